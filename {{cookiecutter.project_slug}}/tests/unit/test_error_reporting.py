"""What reaches Sentry: tagged with the request's and the trace's ids, masked as the logs are."""

from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from core.error_reporting import redact_query_string, tag_and_redact
from core.logging import REDACTED


@pytest.fixture
def bound_request_id() -> Iterator[str]:
    structlog.contextvars.bind_contextvars(request_id="req-42")
    yield "req-42"
    structlog.contextvars.clear_contextvars()


def event() -> dict[str, Any]:
    return {
        "request": {
            "headers": {"Authorization": "Bearer abc", "Accept": "application/json"},
            "cookies": {"sessionid": "xyz"},
            "data": {"username": "ada", "password": "hunter2"},
            "query_string": "page=2&api_key=k-1",
        },
        "exception": {"values": [{"type": "RuntimeError"}]},
    }


def test_an_event_in_a_span_is_tagged_and_masked(bound_request_id: str) -> None:
    tracer = TracerProvider().get_tracer(__name__)
    with tracer.start_as_current_span("request") as span:
        sent = tag_and_redact(event(), {})
        context = span.get_span_context()

    assert sent["tags"] == {
        "request_id": bound_request_id,
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
    }
    assert sent["request"] == {
        "headers": {"Authorization": REDACTED, "Accept": "application/json"},
        "cookies": REDACTED,
        "data": {"username": "ada", "password": REDACTED},
        "query_string": "page=2&api_key=%5Bredacted%5D",
    }
    assert sent["exception"] == event()["exception"]


def test_an_event_outside_requests_and_spans_has_no_such_tags() -> None:
    assert tag_and_redact({"message": "boom"}, {}) == {"message": "boom", "tags": {}}


def test_query_strings_keep_their_harmless_parameters() -> None:
    assert redact_query_string("q=a+b&token=t&x=") == "q=a+b&token=%5Bredacted%5D&x="
