"""Bad requests get a 4xx JSON error, never a 500, and leave a log line saying what happened."""

import json
import logging
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"

# name -> (method, path, keyword arguments for the test client)
BAD_REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "disallowed-host": ("get", "/api/v1/info/", {"HTTP_HOST": "attacker.example"}),
    "oversized-body": (
        "post",
        TOKEN,
        {
            "data": json.dumps({"email": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}),
            "content_type": "application/json",
        },
    ),
    "malformed-json": ("post", TOKEN, {"data": '{"email": ', "content_type": "application/json"}),
    "form-encoded": (
        "post",
        TOKEN,
        {"data": "email=a%40b.c", "content_type": "application/x-www-form-urlencoded"},
    ),
    "xml": ("post", TOKEN, {"data": "<email/>", "content_type": "application/xml"}),
    "traversal-dot-dot": ("get", "/api/v1/../../../etc/passwd", {}),
    "traversal-encoded": ("get", "/api/v1/%2e%2e/%2e%2e/etc/passwd", {}),
    "traversal-encoded-slash": ("get", "/api/v1/users/..%2f..%2f..%2f.env", {}),
    "traversal-static": ("get", "/static/..%2f..%2f.env", {}),
    "traversal-null-byte": ("get", "/api/v1/info/%00../../.env", {}),
}


def access_statuses(caplog: pytest.LogCaptureFixture) -> list[object]:
    return [
        record.msg.get("status")
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request_finished"
    ]


@pytest.mark.parametrize(("method", "path", "kwargs"), BAD_REQUESTS.values(), ids=BAD_REQUESTS)
def test_bad_requests_get_a_logged_json_4xx(
    method: str, path: str, kwargs: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    response = getattr(Client(raise_request_exception=False), method)(path, **kwargs)

    assert 400 <= response.status_code < 500, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["status"] == response.status_code
    # The access line, and Django's own line saying why (django.request or django.security.*).
    assert access_statuses(caplog) == [response.status_code]
    reasons = [
        r for r in caplog.records if r.name.startswith("django.") and r.levelno >= logging.WARNING
    ]
    assert reasons, "no log line says why the request was refused"
    assert "Internal Server Error" not in caplog.text
