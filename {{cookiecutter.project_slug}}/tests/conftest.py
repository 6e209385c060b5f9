"""Fixtures shared by the whole suite.

Integration and contract tests use the real MySQL and Redis named by DATABASE_URL and REDIS_URL;
pytest-django creates and drops the test database.
"""

from collections.abc import Iterator

import pytest
import structlog
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.users.models import User

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
