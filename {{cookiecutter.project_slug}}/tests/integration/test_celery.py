"""A real worker runs the sample task, its log lines carry the enqueuing request's id, and its
metrics count it."""

import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
import redis
import structlog
from celery.contrib.testing.worker import start_worker
from celery.result import AsyncResult
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from apps.users.models import User
from config.celery import app as celery_app
from core.celery_metrics import MetricsServer, QueueLengths
from core.tasks import HEARTBEAT_KEY, heartbeat, record_key

pytestmark = pytest.mark.celery

# How long a test waits for its task: generous, because a busy CI machine can take many seconds,
# and a passing test waits only as long as its task takes.
TASK_TIMEOUT = 120


@pytest.fixture(scope="session")
def celery_worker() -> Iterator[Any]:
    """A real Celery worker, in a thread, consuming from the real broker.

    Its metrics go to a free port, not to that of a worker running beside the suite. The broker's
    database is the tests' own (config/settings/test.py), so emptying it afterwards removes only
    their messages and results.
    """
    with (
        override_settings(WORKER_METRICS_PORT=0),
        start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        yield celery_app
    with redis.Redis.from_url(settings.CELERY_BROKER_URL) as broker:
        broker.flushdb()


def test_heartbeat_runs_on_a_real_worker(celery_worker: Any, clean_cache: None) -> None:
    result = heartbeat.delay()
    recorded_at = result.get(timeout=TASK_TIMEOUT)

    assert cache.get(HEARTBEAT_KEY) == recorded_at
    assert cache.get(record_key(result.id)) == recorded_at


def test_a_heartbeat_delivered_twice_takes_effect_once(
    celery_worker: Any, clean_cache: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The same task id run again, as after a worker died before acknowledging it."""
    caplog.set_level(logging.INFO)
    task_id = f"heartbeat-{uuid4()}"
    first = heartbeat.apply_async(task_id=task_id).get(timeout=TASK_TIMEOUT)
    # The first result, stored under the same id, must not answer for the second run.
    AsyncResult(task_id).forget()

    again = heartbeat.apply_async(task_id=task_id).get(timeout=TASK_TIMEOUT)

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

    heartbeat.delay().get(timeout=TASK_TIMEOUT)

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
    AsyncResult(task_id).get(timeout=TASK_TIMEOUT)
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


# --------------------------------------------------------------------------------------------
# The worker's metrics (core/celery_metrics.py)
# --------------------------------------------------------------------------------------------

METRICS_TOKEN = "worker-scrape-token"


@pytest.fixture
def metrics_server() -> Iterator[MetricsServer]:
    """The worker's metrics step, started on a free port as the worker starts it."""
    worker = SimpleNamespace(app=celery_app)
    step = MetricsServer(worker)
    with override_settings(WORKER_METRICS_PORT=0, METRICS_TOKEN=METRICS_TOKEN):
        step.start(worker)
        yield step
        step.stop(worker)


def scrape(step: MetricsServer, token: str) -> tuple[int, str]:
    assert step.server is not None
    request = urllib.request.Request(
        f"http://127.0.0.1:{step.server.server_port}/metrics",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local URL
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_worker_metrics_count_finished_tasks_and_waiting_messages(
    celery_worker: Any, metrics_server: MetricsServer
) -> None:
    heartbeat.delay().get(timeout=TASK_TIMEOUT)

    status, text = scrape(metrics_server, METRICS_TOKEN)

    assert status == 200, text
    labels = 'state="SUCCESS",task="core.tasks.heartbeat"'
    counted = [line for line in text.splitlines() if line.startswith("celery_tasks_total{")]
    assert any(labels in line and not line.endswith(" 0.0") for line in counted), counted
    # Every task's failures are there from the start, so the first one is an increase.
    assert 'celery_tasks_total{state="FAILURE",task="core.tasks.heartbeat"}' in text
    assert 'celery_task_duration_seconds_count{task="core.tasks.heartbeat"}' in text
    assert 'celery_queue_length{queue="celery"}' in text


def test_worker_metrics_need_the_token(metrics_server: MetricsServer) -> None:
    status, text = scrape(metrics_server, "not-the-token")

    assert status == 401
    assert "celery_tasks_total" not in text


def test_a_taken_port_leaves_the_worker_without_metrics(metrics_server: MetricsServer) -> None:
    assert metrics_server.server is not None
    worker = SimpleNamespace(app=celery_app)
    second = MetricsServer(worker)
    with override_settings(WORKER_METRICS_PORT=metrics_server.server.server_port):
        second.start(worker)

    assert second.server is None


def test_queue_lengths_are_left_out_while_the_broker_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Celery prefers the CELERY_BROKER_URL environment variable over its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    assert list(QueueLengths(celery_app).collect()) == []
