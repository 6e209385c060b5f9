"""/healthz and /ready answer as contracts/health.yaml says, in success and failure."""

import pytest
from django.test import Client, override_settings
from openapi_core.validation.response.exceptions import ResponseValidationError

from .conftest import Validator

pytestmark = pytest.mark.django_db


def test_liveness_matches_the_contract(client: Client, health_contract: Validator) -> None:
    health_contract(client.get("/healthz"))


def test_readiness_matches_the_contract(client: Client, health_contract: Validator) -> None:
    response = client.get("/ready")

    assert response.status_code == 200
    health_contract(response)


def test_failed_readiness_matches_the_contract(client: Client, health_contract: Validator) -> None:
    dead_cache = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    with override_settings(CACHES=dead_cache):
        response = client.get("/ready")

    assert response.status_code == 503
    health_contract(response)


def test_the_contract_rejects_a_wrong_body(client: Client, health_contract: Validator) -> None:
    response = client.get("/healthz")
    response.content = b'{"status": "fine"}'

    with pytest.raises(ResponseValidationError, match="not valid for schema"):
        health_contract(response)
