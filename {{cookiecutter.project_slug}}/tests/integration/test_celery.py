"""A real worker runs the sample task, and its log lines carry the enqueuing request's id."""

import logging
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
import structlog
from celery.contrib.testing.worker import start_worker
from celery.result import AsyncResult
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.users.models import User
from config.celery import app as celery_app
from core.tasks import HEARTBEAT_KEY, heartbeat, record_key

pytestmark = pytest.mark.celery


@pytest.fixture(scope="session")
def celery_worker() -> Iterator[Any]:
    """A real Celery worker, in a thread, consuming from the real broker."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield celery_app


def test_heartbeat_runs_on_a_real_worker(celery_worker: Any, clean_cache: None) -> None:
    result = heartbeat.delay()
    recorded_at = result.get(timeout=20)

    assert cache.get(HEARTBEAT_KEY) == recorded_at
    assert cache.get(record_key(result.id)) == recorded_at


def test_a_heartbeat_delivered_twice_takes_effect_once(
    celery_worker: Any, clean_cache: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The same task id run again, as after a worker died before acknowledging it."""
    caplog.set_level(logging.INFO)
    task_id = f"heartbeat-{uuid4()}"
    first = heartbeat.apply_async(task_id=task_id).get(timeout=20)
    # The first result, stored under the same id, must not answer for the second run.
    AsyncResult(task_id).forget()

    again = heartbeat.apply_async(task_id=task_id).get(timeout=20)

    assert again == first
    assert cache.get(record_key(task_id)) == first
    events = [
        record.msg["event"]
        for record in caplog.records
        if isinstance(record.msg, dict) and str(record.msg.get("event")).startswith("heartbeat_")
    ]
    assert events == ["heartbeat_recorded", "heartbeat_already_recorded"]


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


@pytest.mark.django_db
def test_staff_can_enqueue_a_heartbeat_that_carries_the_request_id(
    celery_worker: Any, api_client: APIClient, staff_user: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api_client.force_authenticate(staff_user)

    response = api_client.post("/api/v1/heartbeat/", HTTP_X_REQUEST_ID="req-heartbeat")

    assert response.status_code == 202
    task_id = response.json()["task_id"]
    AsyncResult(task_id).get(timeout=20)
    recorded = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "heartbeat_recorded"
    ]
    assert recorded[-1]["request_id"] == "req-heartbeat"
    assert recorded[-1]["task_id"] == task_id


@pytest.mark.django_db
def test_anonymous_users_cannot_enqueue(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/heartbeat/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
