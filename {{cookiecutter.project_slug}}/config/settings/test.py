"""Tests: the real MySQL and Redis from DATABASE_URL and REDIS_URL, fast password hashing."""

from django.core.management.utils import get_random_secret_key

from .api import JWT_SIGNING_KEY, SIMPLE_JWT
from .base import *  # noqa: F403
from .django import SECRET_KEY, STORAGES

SECRET_KEY = SECRET_KEY or get_random_secret_key()
JWT_SIGNING_KEY = JWT_SIGNING_KEY or get_random_secret_key()
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": JWT_SIGNING_KEY}
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The manifest storage needs `collectstatic`; tests do not serve static files.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
METRICS_TOKEN = ""
# Every /ready in a test runs the checks against that test's settings.
READINESS_CACHE_SECONDS = 0.0
