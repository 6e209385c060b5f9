"""Receivers that shape django-structlog's request_finished line into the access log line.

Its request_failed line gets the same fields: both name the path without its query string,
which may carry a token.
"""

from time import perf_counter
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse
from django_structlog import signals

from core.client_ip import client_ip

STARTED_AT = "_access_log_started_at"


def mark_request_start(request: HttpRequest, **kwargs: Any) -> None:
    setattr(request, STARTED_AT, perf_counter())
    # django-structlog's own `ip` believes any X-Forwarded-For; log the one lockout uses.
    structlog.contextvars.bind_contextvars(ip=client_ip(request))


def add_access_fields(
    request: HttpRequest, response: HttpResponse, log_kwargs: dict[str, Any], **kwargs: Any
) -> None:
    """Method, path, status and duration: what an access log reader filters on."""
    started_at = getattr(request, STARTED_AT, None)
    # Replace django-structlog's "code" and "request" with separate, filterable fields.
    log_kwargs.pop("code", None)
    log_kwargs.pop("request", None)
    log_kwargs.update(
        method=request.method,
        path=request.path,
        status=response.status_code,
    )
    if started_at is not None:
        log_kwargs["duration_ms"] = round((perf_counter() - started_at) * 1000, 2)


def add_failure_fields(request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    """Method, path and status of a request whose view raised, as the access line has them."""
    log_kwargs.pop("code", None)
    log_kwargs.pop("request", None)
    log_kwargs.update(method=request.method, path=request.path, status=500)


def connect() -> None:
    signals.bind_extra_request_metadata.connect(mark_request_start, dispatch_uid="access-start")
    signals.bind_extra_request_finished_metadata.connect(
        add_access_fields, dispatch_uid="access-fields"
    )
    signals.bind_extra_request_failed_metadata.connect(
        add_failure_fields, dispatch_uid="access-failure-fields"
    )
