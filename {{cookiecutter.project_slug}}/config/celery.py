"""The Celery application: configured from Django settings, tasks found in installed apps."""

import os
from logging.config import dictConfig
from typing import Any

from celery import Celery
from celery.signals import setup_logging, worker_process_init, worker_process_shutdown
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

app = Celery("{{ cookiecutter.project_slug }}")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Binds the request_id of the request that enqueued a task to the task's log lines.
app.steps["worker"].add(DjangoStructLogInitStep)
# Serves the worker's task and queue metrics to Prometheus; named, so only workers import it.
app.steps["worker"].add("core.celery_metrics:MetricsServer")


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Keep Celery from replacing the root logger, so worker logs share Django's format."""
    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_process_init.connect
def start_tracing_in_pool_process(**kwargs: Any) -> None:
    """Each pool process traces for itself: the exporter's thread must not cross the fork."""
    from core.tracing import start_tracing

    start_tracing()


@worker_process_shutdown.connect
def stop_tracing_in_pool_process(**kwargs: Any) -> None:
    """Send the spans a pool process still holds before it goes."""
    from core.tracing import stop_tracing

    stop_tracing()
