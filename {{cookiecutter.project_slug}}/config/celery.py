"""The Celery application: configured from Django settings, tasks found in installed apps."""

import os
from logging.config import dictConfig
from typing import Any

from celery import Celery
from celery.signals import setup_logging
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
