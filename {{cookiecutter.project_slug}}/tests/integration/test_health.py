"""Probes against the real database and cache, and the checks settings.READINESS_CHECKS adds."""

import time

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_liveness_answers_without_dependencies(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readiness_checks_every_dependency(client: Client) -> None:
    response = client.get("/ready")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database:default", *settings.READINESS_CHECKS}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["latency_ms"] >= 0


def test_readiness_names_a_dead_cache_quickly(client: Client) -> None:
    dead_cache = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    started = time.perf_counter()
    with override_settings(CACHES=dead_cache):
        response = client.get("/ready")

    assert time.perf_counter() - started < 3
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["status"] == "error"
    assert body["checks"]["database:default"]["status"] == "ok"
    assert "127.0.0.1" not in response.content.decode()


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["api.example.com"])
@pytest.mark.parametrize("path", ["/healthz", "/ready"])
def test_probes_skip_host_validation_and_https_redirect(client: Client, path: str) -> None:
    # A kubelet probes http://<pod-ip>:8000/healthz.
    response = client.get(path, HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["api.example.com"])
def test_other_paths_still_validate_the_host(client: Client) -> None:
    response = client.get("/api/v1/info/", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_probes_refuse_writes(client: Client) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
