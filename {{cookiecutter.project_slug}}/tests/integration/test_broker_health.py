"""Readiness reports a broker it cannot reach."""

import pytest
from celery import current_app
from django.test import Client

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_readiness_names_a_dead_broker(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # Celery prefers the CELERY_BROKER_URL environment variable over its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_REDIS)
    monkeypatch.setattr(current_app.conf, "broker_url", UNREACHABLE_REDIS)

    response = client.get("/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "error"
