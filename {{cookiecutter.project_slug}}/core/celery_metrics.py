"""Prometheus metrics of the Celery worker: finished tasks, their duration, waiting messages.

Celery exports no metrics itself. Tasks run in the pool's child processes, which count into
PROMETHEUS_MULTIPROC_DIR (every way of starting a worker, `make worker` among them, gives it a
fresh one), and the worker's main process serves the sum on WORKER_METRICS_PORT, asking for the
same bearer token as /metrics. Whether a worker is there at all is Prometheus' own `up` for that
target.
"""

import hmac
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from time import perf_counter
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import structlog
from celery import Celery, bootsteps
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from prometheus_client import REGISTRY, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = structlog.get_logger(__name__)

TASKS = Counter(
    "celery_tasks_total",
    "Tasks that finished, by task name and Celery state (SUCCESS, FAILURE, RETRY, ...).",
    ["task", "state"],
)
TASK_DURATION = Histogram(
    "celery_task_duration_seconds",
    "How long tasks ran, by task name.",
    ["task"],
    # Up to CELERY_TASK_TIME_LIMIT (5 minutes).
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300),
)
# Exported from the start for every task, so a first failure is an increase from zero.
INITIAL_STATES = ("SUCCESS", "FAILURE", "RETRY")

_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id: str, **kwargs: Any) -> None:
    _started[task_id] = perf_counter()


@task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    TASKS.labels(task=task.name, state=state or "UNKNOWN").inc()
    started = _started.pop(task_id, None)
    if started is not None:
        TASK_DURATION.labels(task=task.name).observe(perf_counter() - started)


class QueueLengths(Collector):
    """celery_queue_length{queue}: messages waiting in each queue this worker consumes.

    Read from the broker at every scrape. When the broker does not answer, the metric is left
    out rather than failing the scrape: the worker is still there, and `up` must say so.
    """

    def __init__(self, app: Celery) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "celery_queue_length", "Messages waiting in the queue.", labels=["queue"]
        )
        try:
            with self.app.connection_for_read() as connection:
                # No pause before the one retry (kombu's default is 2 s): a scrape while the
                # broker is down answers at once instead of 2 s late.
                connection.ensure_connection(
                    max_retries=1, interval_start=0, timeout=settings.HEALTH_CHECK_TIMEOUT
                )
                channel = connection.default_channel
                for name, queue in sorted(self.app.amqp.queues.consume_from.items()):
                    # Declared as the worker declares it, which changes nothing and answers
                    # with the length (a passive declare fails on Redis while it is empty).
                    declared: Any = queue.queue_declare(channel=channel)
                    family.add_metric([name], declared.message_count)
        except Exception as exc:  # noqa: BLE001 - the broker may fail in any way
            logger.warning("queue_length_unavailable", error=type(exc).__name__)
            return
        yield family


class WorkerMetrics(Collector):
    """What the worker serves: every pool process's counts and the queue lengths."""

    def __init__(self, app: Celery) -> None:
        self.sources: list[Collector] = [QueueLengths(app)]
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            self.sources.append(MultiProcessCollector(None))  # type: ignore[no-untyped-call]
        else:
            # One process (solo or threads pool): its own counts are all there is.
            self.sources.append(REGISTRY)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def authorized(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """`app`, but only for "Authorization: Bearer <METRICS_TOKEN>" when a token is set."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token = settings.METRICS_TOKEN
        given = environ.get("HTTP_AUTHORIZATION", "").encode()
        if token and not hmac.compare_digest(given, f"Bearer {token}".encode()):
            headers = [
                ("Content-Type", "application/json"),
                ("WWW-Authenticate", 'Bearer realm="metrics"'),
            ]
            start_response("401 Unauthorized", headers)
            return [b'{"error": {"status": 401, "code": "not_authenticated"}}']
        return app(environ, start_response)

    return guarded


class QuietHandler(WSGIRequestHandler):
    """Scrapes are not worth a log line each."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class MetricsServer(bootsteps.StartStopStep):
    """Serve the worker's metrics over HTTP from its main process while the worker runs."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.server: WSGIServer | None = None

    def start(self, parent: Any) -> None:
        app: Celery = parent.app
        for task in app.tasks:
            if not task.startswith("celery."):
                for state in INITIAL_STATES:
                    TASKS.labels(task=task, state=state)
        port = settings.WORKER_METRICS_PORT
        try:
            self.server = make_server(
                "0.0.0.0",  # noqa: S104 - Prometheus scrapes the pod's address
                port,
                authorized(make_wsgi_app(WorkerMetrics(app))),
                ThreadingWSGIServer,
                handler_class=QuietHandler,
            )
        except OSError as exc:
            # The worker still works; its missing target is what the alert reports.
            logger.warning("worker_metrics_unavailable", port=port, error=type(exc).__name__)
            return
        threading.Thread(
            target=self.server.serve_forever, name="worker-metrics", daemon=True
        ).start()
        logger.info("worker_metrics_serving", port=self.server.server_port)

    def stop(self, parent: Any) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
