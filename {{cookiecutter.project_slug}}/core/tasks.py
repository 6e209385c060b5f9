"""Sample Celery task: proves the worker runs and shows how tasks log."""

import structlog
from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

logger = structlog.get_logger(__name__)

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task
def heartbeat() -> str:
    """Record when a worker last ran a task; beat schedules it every minute.

    Running it twice only moves the timestamp, so a redelivered task does no harm.
    """
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    logger.info("heartbeat_recorded", at=now)
    return now
