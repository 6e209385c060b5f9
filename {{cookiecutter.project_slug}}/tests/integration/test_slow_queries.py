"""A statement slower than DATABASE_SLOW_QUERY_MS is logged, by its shape only, and counted."""

import logging
from typing import Any

import pytest
from django.conf import LazySettings
from django.db import connection
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db

SLEEP = "SELECT SLEEP(%s)"


def slow_query_count() -> float:
    return REGISTRY.get_sample_value("database_slow_queries_total", {"alias": "default"}) or 0.0


def slow_query_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The slow_query events, as structlog handed them to the standard library."""
    return [
        record.msg
        for record in caplog.records
        if record.name == "core.database.slow_queries" and isinstance(record.msg, dict)
    ]


@pytest.fixture
def limit_ms(settings: LazySettings) -> float:
    settings.DATABASE_SLOW_QUERY_MS = 20.0
    return 20.0


def test_a_slow_statement_is_logged_with_its_shape_and_counted(
    limit_ms: float, caplog: pytest.LogCaptureFixture
) -> None:
    before = slow_query_count()
    with caplog.at_level(logging.WARNING), connection.cursor() as cursor:
        cursor.execute(SLEEP, [0.05])

    (line,) = slow_query_lines(caplog)
    assert line["event"] == "slow_query"
    assert line["statement"] == SLEEP
    assert line["duration_ms"] >= limit_ms
    assert line["database"] == "default"
    assert slow_query_count() == before + 1


def test_values_written_into_a_statement_stay_out_of_the_log(
    limit_ms: float, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), connection.cursor() as cursor:
        cursor.execute("SELECT 'ada@example.com', 4242, SLEEP(0.05)\n  FROM DUAL")

    (line,) = slow_query_lines(caplog)
    assert line["statement"] == "SELECT ?, ?, SLEEP(?) FROM DUAL"


def test_a_fast_statement_is_neither_logged_nor_counted(
    limit_ms: float, caplog: pytest.LogCaptureFixture
) -> None:
    before = slow_query_count()
    with caplog.at_level(logging.WARNING), connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    assert slow_query_lines(caplog) == []
    assert slow_query_count() == before


def test_zero_turns_the_log_off(settings: LazySettings, caplog: pytest.LogCaptureFixture) -> None:
    settings.DATABASE_SLOW_QUERY_MS = 0
    with caplog.at_level(logging.WARNING), connection.cursor() as cursor:
        cursor.execute(SLEEP, [0.03])

    assert slow_query_lines(caplog) == []


def test_every_database_is_counted_from_zero() -> None:
    assert (
        REGISTRY.get_sample_value("database_slow_queries_total", {"alias": "default"}) is not None
    )
