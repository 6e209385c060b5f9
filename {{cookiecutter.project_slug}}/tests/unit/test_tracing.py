"""Tracing starts only when the OTEL_* variables name a collector, and costs nothing otherwise."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from config.validation import validate_otlp_protocol, validate_traces_exporter
from core.tracing import process_resource, start_tracing, tracing_wanted

ENDPOINT = "http://127.0.0.1:4318"
OTEL_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


@pytest.fixture(autouse=True)
def no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_without_an_endpoint_nothing_starts() -> None:
    threads = set(threading.enumerate())

    assert start_tracing() is None

    assert set(threading.enumerate()) == threads
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)


@pytest.mark.parametrize(
    "variable", ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
)
def test_an_endpoint_asks_for_tracing(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, ENDPOINT)

    assert tracing_wanted()


@pytest.mark.parametrize(
    ("variable", "value"), [("OTEL_TRACES_EXPORTER", "none"), ("OTEL_SDK_DISABLED", "true")]
)
def test_traces_can_be_switched_off_with_an_endpoint_set(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", ENDPOINT)
    monkeypatch.setenv(variable, value)

    assert not tracing_wanted()
    assert start_tracing() is None


def test_each_process_resource_is_its_own_instance() -> None:
    first, second = process_resource(), process_resource()

    assert first.attributes["service.instance.id"] != second.attributes["service.instance.id"]
    assert first.attributes["service.name"] == "{{ cookiecutter.project_slug }}"


def test_the_service_name_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")

    attributes = process_resource().attributes

    assert attributes["service.name"] == "checkout"
    assert attributes["deployment.environment.name"] == "staging"


@pytest.mark.parametrize("exporter", ["console", "zipkin"])
def test_an_exporter_the_service_does_not_ship_is_refused(exporter: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="OTEL_TRACES_EXPORTER"):
        validate_traces_exporter(exporter)


def test_the_grpc_protocol_is_refused() -> None:
    validate_otlp_protocol("http/protobuf")
    with pytest.raises(ImproperlyConfigured, match="OTEL_EXPORTER_OTLP_PROTOCOL"):
        validate_otlp_protocol("grpc")
