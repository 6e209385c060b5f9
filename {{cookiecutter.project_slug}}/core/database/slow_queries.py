"""A log line and a count for every SQL statement slower than settings.DATABASE_SLOW_QUERY_MS.

The line gives the statement's shape: the SQL with its placeholders, literals written into it
replaced by `?`, so no parameter value (a password hash, an e-mail address) reaches the logs.
The counter, database_slow_queries_total{alias}, is what the DatabaseSlowQueries alert watches.
Django's execute_wrappers see every statement of a connection, whichever code runs it.
"""

import re
from collections.abc import Callable
from time import perf_counter
from typing import Any

import structlog
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from prometheus_client import Counter

logger = structlog.get_logger(__name__)

SLOW_QUERIES = Counter(
    "database_slow_queries",
    "SQL statements that ran longer than DATABASE_SLOW_QUERY_MS, by database alias.",
    ["alias"],
)

# Quoted strings, hex and numeric literals: what a statement written without placeholders
# carries its values in. Django's own SQL quotes names with backticks, which stay.
LITERAL = re.compile(
    r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|\b0x[0-9a-f]+\b|\b\d+(?:\.\d+)?\b", re.I
)
SPACE = re.compile(r"\s+")
MAX_STATEMENT_LENGTH = 2000


def statement_shape(sql: str) -> str:
    """The statement without its values, on one line, cut to a readable length."""
    shape = SPACE.sub(" ", LITERAL.sub("?", sql)).strip()
    return shape[:MAX_STATEMENT_LENGTH]


class SlowQueryLog:
    """An execute wrapper that times each statement of one connection."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        started = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            duration_ms = (perf_counter() - started) * 1000
            limit_ms = settings.DATABASE_SLOW_QUERY_MS
            if limit_ms and duration_ms >= limit_ms:
                SLOW_QUERIES.labels(alias=self.alias).inc()
                logger.warning(
                    "slow_query",
                    database=self.alias,
                    duration_ms=round(duration_ms, 2),
                    limit_ms=limit_ms,
                    statement=statement_shape(sql),
                )


def watch_new_connection(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created receiver: time this connection's statements, once per wrapper."""
    if not any(isinstance(wrapper, SlowQueryLog) for wrapper in connection.execute_wrappers):
        connection.execute_wrappers.append(SlowQueryLog(connection.alias))


def export_zero_counts() -> None:
    """Export a count of 0 for every database, so the first slow query is an increase."""
    for alias in settings.DATABASES:
        SLOW_QUERIES.labels(alias=alias)
