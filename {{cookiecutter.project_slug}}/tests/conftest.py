"""Fixtures shared by the whole suite.

Integration and contract tests use the real MySQL and Redis named by DATABASE_URL and REDIS_URL;
pytest-django creates and drops the test database.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.users.models import User

from {{ cookiecutter.project_slug }}.celery import app as celery_app

from .factories import UserFactory


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_user() -> User:
    return UserFactory.create(is_staff=True)


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


@pytest.fixture(scope="session")
def celery_worker() -> Iterator[Any]:
    """A real Celery worker, in a thread, consuming from the real broker."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield celery_app
