"""Access lines: one per request, with its request_id, and nothing secret."""

import json
import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request_finished"
    ]


def test_one_access_line_per_request(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    response = client.get("/api/v1/info/")

    (line,) = access_lines(caplog)
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/info/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["request_id"] == response["X-Request-ID"]
    assert line["ip"] == "127.0.0.1"


def test_the_access_line_ignores_a_forwarded_address_from_an_untrusted_peer(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    client.get("/api/v1/info/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert access_lines(caplog)[0]["ip"] == "203.0.113.7"


def test_an_incoming_request_id_is_kept(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    response = client.get("/healthz", HTTP_X_REQUEST_ID="trace-42")

    assert response["X-Request-ID"] == "trace-42"
    assert access_lines(caplog)[0]["request_id"] == "trace-42"


def test_a_request_id_is_generated_when_missing(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert first
    assert first != second


def test_credentials_never_reach_the_logs(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = ["Bearer sekrit-token", "sessionid=sekrit-cookie", "sekrit-password"]

    client.post(
        "/api/v1/info/",
        data=json.dumps({"password": secrets[2]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=secrets[0],
        HTTP_COOKIE=secrets[1],
    )

    assert access_lines(caplog)
    logged = caplog.text + "".join(repr(record.msg) for record in caplog.records)
    for secret in secrets:
        assert secret not in logged
