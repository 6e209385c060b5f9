"""Unhandled errors to Sentry, when SENTRY_DSN is set (CoreConfig.ready starts it; unset, nothing).

An event is tagged with the request_id of the request (or task) it happened in and with the
trace_id and span_id of its span, so it leads to the same log lines and trace. Before it leaves
the process it is masked as the logs are (core.logging.redact_sensitive): the values of
sensitive keys in headers, cookies, bodies and query strings. Local variables are never sent:
the logs' tracebacks leave them out for the same reason.
Events name the service's version as their release; SENTRY_ENVIRONMENT is sentry-sdk's own.
"""

from typing import Any
from urllib.parse import parse_qsl, urlencode

import sentry_sdk
import structlog
from django.conf import settings
from opentelemetry import trace

from core.logging import REDACTED, SENSITIVE_KEY, redact_sensitive


def redact_query_string(query: str) -> str:
    """The query string with the values of sensitive parameters masked."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(key, REDACTED if SENSITIVE_KEY.search(key) else value) for key, value in pairs]
    )


def tag_and_redact(event: Any, hint: dict[str, Any]) -> Any:
    """before_send: add the request's and the trace's ids, mask what the logs would mask."""
    tags = event.setdefault("tags", {})
    if request_id := structlog.contextvars.get_contextvars().get("request_id"):
        tags["request_id"] = request_id
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        tags["trace_id"] = trace.format_trace_id(context.trace_id)
        tags["span_id"] = trace.format_span_id(context.span_id)
    request = event.get("request")
    if isinstance(request, dict) and isinstance(request.get("query_string"), str):
        request["query_string"] = redact_query_string(request["query_string"])
    return redact_sensitive(event)


def start_error_reporting(dsn: str) -> None:
    """Send this process's unhandled errors (and logged errors) to the Sentry project at `dsn`."""
    sentry_sdk.init(
        dsn=dsn,
        release=settings.SERVICE_VERSION,
        send_default_pii=False,
        include_local_variables=False,
        before_send=tag_and_redact,
    )
