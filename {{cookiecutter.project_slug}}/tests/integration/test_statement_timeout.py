"""A statement that outlives DATABASE_STATEMENT_TIMEOUT fails its request fast: JSON 500, logged."""

import logging
from collections.abc import Iterator
from time import perf_counter

import pytest
from django.conf import LazySettings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import path

from config import urls as project_urls
from core.database.statement_timeout import limit_new_connection, set_statement_timeout

pytestmark = pytest.mark.django_db

# Over two rows: MySQL's SLEEP() alone returns 1 when interrupted instead of failing the query.
SLOW_QUERY = "SELECT SLEEP(%s) FROM (SELECT 1 UNION ALL SELECT 2) AS two_rows"
LIMIT = 1.0


def slow_query(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(SLOW_QUERY, [float(request.GET["seconds"])])
    return JsonResponse({"slept": True})


# The project's routes and error handlers, plus one view whose query sleeps.
urlpatterns = [path("slow-query/", slow_query), *project_urls.urlpatterns]
handler500 = project_urls.handler500


def session_limit(wrapper: BaseDatabaseWrapper) -> float:
    """The statement time limit of the connection's session, in seconds."""
    with wrapper.cursor() as cursor:
        if wrapper.mysql_is_mariadb:  # type: ignore[attr-defined]
            cursor.execute("SELECT @@SESSION.max_statement_time")
            return float(cursor.fetchone()[0])
        cursor.execute("SELECT @@SESSION.max_execution_time")
        return float(cursor.fetchone()[0]) / 1000


@pytest.fixture
def one_second_limit(settings: LazySettings) -> Iterator[float]:
    """The test's connection limited to LIMIT seconds, as a new connection would be."""
    original = settings.DATABASE_STATEMENT_TIMEOUT
    settings.DATABASE_STATEMENT_TIMEOUT = LIMIT
    limit_new_connection(connection)
    yield LIMIT
    set_statement_timeout(connection, original)


@pytest.mark.urls(__name__)
def test_a_statement_over_the_limit_fails_the_request_within_it(
    one_second_limit: float, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)

    started = perf_counter()
    response = client.get("/slow-query/", {"seconds": "30"})
    elapsed = perf_counter() - started

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert one_second_limit <= elapsed < one_second_limit + 3, elapsed
    (logged,) = [
        r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR
    ]
    assert logged.exc_info is not None
    assert logged.exc_info[0] is not None
    assert issubclass(logged.exc_info[0], OperationalError)


@pytest.mark.urls(__name__)
def test_a_statement_within_the_limit_succeeds(one_second_limit: float) -> None:
    response = Client().get("/slow-query/", {"seconds": "0.1"})

    assert response.status_code == 200
    assert response.json() == {"slept": True}


def test_each_new_connection_gets_the_configured_limit(settings: LazySettings) -> None:
    settings.DATABASE_STATEMENT_TIMEOUT = 2.5
    fresh = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        assert session_limit(fresh) == 2.5
    finally:
        fresh.close()


def test_migrate_lifts_the_limit(one_second_limit: float) -> None:
    assert session_limit(connection) == one_second_limit

    call_command("migrate", "--plan", verbosity=0)

    assert session_limit(connection) == 0
