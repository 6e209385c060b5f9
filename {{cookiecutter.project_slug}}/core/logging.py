"""Structured logging: one pipeline for structlog and the standard library.

Every record, from our code, Django, gunicorn or any other library, is rendered by structlog: JSON
lines in production, a readable console format in development. The request's context (its
request_id) is merged into every record, so are the trace_id and span_id of the span it was
written in (when tracing is on: core/tracing.py), and values under sensitive keys are masked
before rendering.

This module imports nothing from Django, so gunicorn's config can use it before Django starts.
"""

import logging
import os
import re
import sys
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any

import structlog
from opentelemetry import trace
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer

REDACTED = "[redacted]"
SENSITIVE_KEY = re.compile(
    r"authorization|cookie|passw(or)?d|secret|token|api[-_]?key|csrf|session", re.IGNORECASE
)


# Values that cannot hold a sensitive key.
PLAIN_VALUES = frozenset({str, int, float, bool, type(None)})


@lru_cache(maxsize=1024)
def is_sensitive(key: str) -> bool:
    """Whether a key names a secret; a service logs the same few keys over and over."""
    return SENSITIVE_KEY.search(key) is not None


def redact_sensitive(value: Any) -> Any:
    """Mask the values of sensitive keys, at any depth of nested mappings and lists."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_sensitive(str(key)) else redact_sensitive(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_sensitive(item) for item in value]
    return value


def redact_event(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask sensitive values before any renderer sees them.

    Most events, the access line among them, hold no sensitive key and nothing nested: those
    pass as they are (a value of any other type than PLAIN_VALUES may nest some), and only an
    event that may need masking is copied.
    """
    for key, value in event_dict.items():
        if is_sensitive(str(key)) or type(value) not in PLAIN_VALUES:
            redacted: MutableMapping[str, Any] = redact_sensitive(event_dict)
            return redacted
    return event_dict


def add_trace_ids(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the ids of the current span, as a trace backend writes them (hex)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", trace.format_trace_id(context.trace_id))
        event_dict.setdefault("span_id", trace.format_span_id(context.span_id))
    return event_dict


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    add_trace_ids,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_event,
]


def colour_wanted() -> bool:
    """Colour for a person at a terminal only: no escape codes in files, pipes or CI logs.

    NO_COLOR (https://no-color.org) switches it off on a terminal too.
    """
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def build_logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A dictConfig for the standard library that renders through structlog."""
    if log_format not in {"json", "console"}:
        raise ValueError(f"LOG_FORMAT must be 'json' or 'console', not {log_format!r}.")
    final: list[Any]
    # Tracebacks without local variables, which may hold secrets (passwords, tokens, keys).
    if log_format == "json":
        frames = ExceptionDictTransformer(show_locals=False)
        final = [ExceptionRenderer(frames), structlog.processors.JSONRenderer()]
    else:
        final = [
            structlog.dev.ConsoleRenderer(
                colors=colour_wanted(), exception_formatter=structlog.dev.plain_traceback
            )
        ]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "structlog",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Django's default config also prints to stderr when DEBUG is on; keep one output.
            "django": {"handlers": [], "level": level, "propagate": True},
            # django.server repeats runserver's access lines, which django_structlog already writes.
            "django.server": {"level": logging.WARNING},
        },
    }


def configure_structlog() -> None:
    """Send structlog's own loggers, and Python warnings, through the handlers configured above.

    No renderer writes the caller's file and line, the thread, the process or the asyncio task of
    a record, so the standard library is told not to look them up for every record (the logging
    HOWTO's "Optimization"): the access line alone would look them up on every request.
    """
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # Python 3.12's switch, which typeshed does not declare yet.
    setattr(logging, "logAsyncioTasks", False)  # noqa: B010
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
