"""Sample Celery task: proves the worker runs and shows how tasks log and stay idempotent."""

from typing import Any

import structlog
from celery import Task, shared_task
from django.core.cache import cache
from django.utils import timezone

logger = structlog.get_logger(__name__)

HEARTBEAT_KEY = "celery:heartbeat"
# How long a heartbeat's own record is kept: far longer than any redelivery takes.
RECORD_TIMEOUT = 24 * 60 * 60


def record_key(task_id: str) -> str:
    return f"celery:heartbeat:{task_id}"


@shared_task(bind=True)
def heartbeat(self: Task[Any, str]) -> str:
    """Record when a worker last ran a task; beat schedules it every minute.

    Tasks are acknowledged late and requeued when their worker dies, so one may run again after
    it took effect. This one is idempotent: its time is added once under its own task id (an
    atomic add), and a second delivery finds and reports that record instead of a new one.
    """
    now = timezone.now().isoformat()
    key = record_key(str(self.request.id))
    if cache.add(key, now, timeout=RECORD_TIMEOUT):
        recorded = now
        logger.info("heartbeat_recorded", at=recorded)
    else:
        recorded = cache.get(key) or now
        logger.info("heartbeat_already_recorded", at=recorded)
    cache.set(HEARTBEAT_KEY, recorded, timeout=None)
    return recorded
