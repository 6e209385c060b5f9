"""The core app: the infrastructure every app relies on, wired up when Django starts."""

import os

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core infrastructure"

    def ready(self) -> None:
        from . import access_log
        from .database.slow_queries import export_zero_counts, watch_new_connection
        from .database.statement_timeout import limit_new_connection
        from .logging import configure_structlog
        from .metrics import APP_INFO

        configure_structlog()
        access_log.connect()
        connection_created.connect(limit_new_connection, dispatch_uid="statement-timeout")
        connection_created.connect(watch_new_connection, dispatch_uid="slow-queries")
        # In Prometheus multiprocess mode every process writes there, manage.py commands too.
        if metrics_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            os.makedirs(metrics_dir, exist_ok=True)
        APP_INFO.labels(version=settings.SERVICE_VERSION).set(1)
        export_zero_counts()
        if settings.SENTRY_DSN:
            from .error_reporting import start_error_reporting

            start_error_reporting(settings.SENTRY_DSN)
