"""The logging pipeline masks secrets and renders every record the same way."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from core.logging import (
    REDACTED,
    add_trace_ids,
    build_logging_config,
    redact_event,
    redact_sensitive,
)


def test_sensitive_values_are_masked_at_any_depth() -> None:
    event = {
        "event": "login",
        "headers": {"Authorization": "Bearer abc", "Cookie": "sessionid=xyz", "Accept": "json"},
        "form": [{"password": "hunter2", "username": "ada"}],
        "api_key": "k-123",
    }

    redacted = redact_sensitive(event)

    assert redacted == {
        "event": "login",
        "headers": {"Authorization": REDACTED, "Cookie": REDACTED, "Accept": "json"},
        "form": [{"password": REDACTED, "username": "ada"}],
        "api_key": REDACTED,
    }


def test_the_processor_masks_nested_secrets() -> None:
    event = {"event": "call", "request": {"headers": {"X-Api-Key": "k-1"}}, "user": "ada"}

    redacted = redact_event(None, "info", event)

    assert redacted == {
        "event": "call",
        "request": {"headers": {"X-Api-Key": REDACTED}},
        "user": "ada",
    }


def test_the_processor_passes_an_event_with_nothing_to_mask_as_it_is() -> None:
    event = {"event": "request_finished", "status": 200, "path": "/api/v1/info/"}

    assert redact_event(None, "info", event) is event
    assert event == {"event": "request_finished", "status": 200, "path": "/api/v1/info/"}


def test_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        build_logging_config("xml", "INFO")


@contextmanager
def rendered_by(log_format: str, name: str) -> Iterator[logging.Logger]:
    """A standard-library logger whose records go through the structlog formatter to stderr."""
    formatter = build_logging_config(log_format, "INFO")["formatters"]["structlog"]
    factory = formatter.pop("()")
    handler = logging.StreamHandler()
    handler.setFormatter(factory(**formatter))
    record_logger = logging.getLogger(name)
    record_logger.addHandler(handler)
    record_logger.propagate = False
    try:
        yield record_logger
    finally:
        record_logger.removeHandler(handler)


def test_json_format_renders_stdlib_records_with_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    structlog.contextvars.bind_contextvars(request_id="req-1")
    with rendered_by("json", "tests.json") as record_logger:
        record_logger.warning("disk %s", "low")

    line = json.loads(capsys.readouterr().err.strip())
    assert line["event"] == "disk low"
    assert line["level"] == "warning"
    assert line["request_id"] == "req-1"
    assert "timestamp" in line


def test_structlog_events_are_masked_before_rendering(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    structlog.get_logger("tests").warning("login_failed", password="hunter2", user="ada")

    event = caplog.records[-1].msg
    assert isinstance(event, dict)
    assert event["password"] == REDACTED
    assert event["user"] == "ada"


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_tracebacks_leave_local_variables_out(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with rendered_by(log_format, "tests.traceback") as record_logger:
        try:
            database_password = "sekrit-in-a-local"  # noqa: F841 - what a traceback must not show
            raise RuntimeError("connection failed")
        except RuntimeError:
            record_logger.exception("query_failed")

    output = capsys.readouterr().err
    assert "RuntimeError" in output
    assert "sekrit-in-a-local" not in output


class Terminal:
    """Stands in for sys.stdout when it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("terminal", "no_color", "coloured"),
    [(True, None, True), (True, "1", False), (False, None, False)],
)
def test_console_format_is_coloured_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    terminal: bool,
    no_color: str | None,
    coloured: bool,
) -> None:
    if terminal:
        monkeypatch.setattr("sys.stdout", Terminal())
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    with rendered_by("console", "tests.colour") as record_logger:
        record_logger.warning("disk low")

    output = capsys.readouterr().err
    assert "disk low" in output
    assert ("\x1b[" in output) is coloured


def test_a_line_written_in_a_span_carries_its_trace_and_span_ids() -> None:
    tracer = TracerProvider().get_tracer(__name__)
    with tracer.start_as_current_span("request") as span:
        inside = add_trace_ids(None, "info", {"event": "inside"})
        context = span.get_span_context()
    outside = add_trace_ids(None, "info", {"event": "outside"})

    assert inside == {
        "event": "inside",
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
    }
    assert outside == {"event": "outside"}
