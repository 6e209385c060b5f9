"""Fixtures every test may use: those in tests/ and those of each app in apps/<app>/tests/.

Integration and contract tests use the real MySQL and Redis named by DATABASE_URL and REDIS_URL;
pytest-django creates the test database on the first run and keeps it for the next (--reuse-db
in pyproject.toml), applying only the migrations it lacks; in CI it creates it afresh. And
config/settings/test.py picks the tests' own Redis databases. When a server is down, the run
stops before the first test, in one line.
"""

import os
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import DatabaseError, connection
from rest_framework.test import APIClient

# jsonschema, under the contract tests' openapi-core, builds a parser for each IRI rule when it
# is imported with rfc3987-syntax installed (cyclonedx-bom's validation extra installs it): about
# 1.7 s of CPU in every run, for the "iri" formats, which no schema here uses. Blocked, jsonschema
# leaves those two formats unchecked and checks every other.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def unreachable_server() -> str | None:
    """What stops the tests from reaching a server they need, and the variable that names it."""
    database = settings.DATABASES["default"]
    # The server, not the database: the test database does not exist yet. pytest-django allows
    # no queries before a test asks for the database, so this opens a connection of its own.
    params = connection.get_connection_params()
    params.pop("database", None)
    try:
        with connection.wrap_database_errors:
            connection.get_new_connection(params).close()
    except DatabaseError as error:
        where = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 3306}"
        return f"cannot reach MySQL at {where} (DATABASE_URL in .env): {error}"
    redis_urls = {"REDIS_URL": settings.CACHES["default"]["LOCATION"]}
{%- if cookiecutter.use_celery %}
    redis_urls["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
{%- endif %}
    for variable, url in redis_urls.items():
        try:
            with redis.Redis.from_url(url, socket_connect_timeout=2) as client:
                client.ping()
        except redis.RedisError as error:
            # The tests' database number, but never the URL: it may hold a password.
            where = urlsplit(url)
            return (
                f"cannot reach Redis at {where.hostname}:{where.port or 6379} ({variable} in .env;"
                f" the tests use database {where.path.strip('/') or 0}): {error}"
            )
    return None


def pytest_configure(config: pytest.Config) -> None:
    """In CI (CI services set CI=true), a fresh test database, as --create-db makes."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        config.option.create_db = True


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once when a server is down, instead of failing every test with a traceback."""
    problem = unreachable_server()
    if problem:
        raise pytest.UsageError(problem)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_user(db: None) -> AbstractBaseUser:
    """A staff member without a usable password: tests sign it in with force_authenticate."""
    return get_user_model().objects.create_user("staff@example.com", is_staff=True)


@pytest.fixture(autouse=True)
def _clean_log_context() -> Iterator[None]:
    """Each test starts without request context left bound by another."""
    structlog.contextvars.clear_contextvars()
    yield
    structlog.contextvars.clear_contextvars()


@pytest.fixture
def clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()
