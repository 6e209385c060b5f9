"""Fixtures every test may use: those in tests/ and those of each app in apps/<app>/tests/.

Integration and contract tests use the real MySQL and Redis named by DATABASE_URL and REDIS_URL;
pytest-django creates and drops the test database.
"""

from collections.abc import Iterator

import pytest
import structlog
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from rest_framework.test import APIClient


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
