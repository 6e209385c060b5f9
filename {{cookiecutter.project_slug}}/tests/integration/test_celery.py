"""A real worker runs the sample task, and its log lines carry the enqueuing request's id."""

import logging
from typing import Any

import pytest
import structlog
from django.core.cache import cache

from core.tasks import HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.celery


def test_heartbeat_runs_on_a_real_worker(celery_worker: Any, clean_cache: None) -> None:
    recorded_at = heartbeat.delay().get(timeout=20)

    assert cache.get(HEARTBEAT_KEY) == recorded_at


def test_task_logs_carry_the_request_id(
    celery_worker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    structlog.contextvars.bind_contextvars(request_id="req-from-web")

    heartbeat.delay().get(timeout=20)

    events = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "heartbeat_recorded"
    ]
    assert events
    assert events[-1]["request_id"] == "req-from-web"
