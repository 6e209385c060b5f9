"""Readiness check of the Celery broker; settings.READINESS_CHECKS names it."""

from celery import current_app
from django.conf import settings


def check_broker() -> None:
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(
            max_retries=1, interval_start=0, timeout=settings.HEALTH_CHECK_TIMEOUT
        )


def load_client_modules() -> None:
    """Import the kombu transport class in the calling thread, before the checks' threads."""
    current_app.connection_for_write().transport  # noqa: B018 - kombu transport class
