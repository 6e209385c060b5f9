"""Traces: OpenTelemetry spans of requests, SQL, Redis and tasks, sent to a collector over OTLP/HTTP.

Configured by the standard OTEL_* variables only: OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) says where to send, OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_* tune the
rest. Without an endpoint, or with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, nothing
is set up: no exporter, no background thread, and every span is the API's no-op.

The exporter's thread must not cross a fork, so tracing starts in each process that serves,
after it forked, never when the settings are imported: in every gunicorn worker (post_fork in
gunicorn.conf.py){% if cookiecutter.use_celery %} and every Celery pool process
(worker_process_init in config/celery.py){% endif %}. Each process is its own
service.instance.id, and sends what it holds when it exits gracefully.
"""

import os
import uuid

import structlog
from django.conf import settings
from django.utils.module_loading import import_string
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

logger = structlog.get_logger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def tracing_wanted() -> bool:
    """Whether the environment names a collector and has not switched traces off."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return any(os.environ.get(name) for name in ENDPOINT_VARIABLES)


def process_resource() -> Resource:
    """What the collector knows this process by: OTEL_* attributes, its own instance id."""
    resource = Resource.create(
        {"service.instance.id": str(uuid.uuid4()), "process.pid": os.getpid()}
    )
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "{{ cookiecutter.project_slug }}"}))
    return resource


def start_tracing() -> TracerProvider | None:
    """Send this process's spans to the collector the environment names; None when it names none.

    The exporter runs on the batch processor's thread, so a slow or absent collector costs a
    request nothing: spans wait in a bounded queue (OTEL_BSP_MAX_QUEUE_SIZE) and are dropped
    when it is full.
    """
    if not tracing_wanted():
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Flushed by stop_tracing() from the process's exit hook, not atexit, which a process that
    # leaves with os._exit (as a pool process may) never runs.
    provider = TracerProvider(resource=process_resource(), shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    for path in settings.TRACING_INSTRUMENTORS:
        instrumentor = import_string(path)()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
    logger.info(
        "tracing_started",
        service_instance_id=provider.resource.attributes["service.instance.id"],
    )
    return provider


def stop_tracing() -> None:
    """Export the spans still queued, then stop the exporter: a graceful exit loses none."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()
