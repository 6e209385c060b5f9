"""Tests: the real MySQL and Redis of .env, but never the data a running service keeps there.

{% if cookiecutter.use_celery -%}
The test runner creates `test_<name>` beside the database, as Django does. The cache and the
Celery broker use the Redis databases 8 numbers up from yours (0 -> 8, 1 -> 9, 12 -> 4) on the
same server, so `make test` never empties your sessions and a running `make worker` never takes
a test's task. TEST_REDIS_URL and TEST_CELERY_BROKER_URL name other databases.
{%- else -%}
The test runner creates `test_<name>` beside the database, as Django does. The cache uses the
Redis database 8 numbers up from yours (0 -> 8, 12 -> 4) on the same server, so `make test`
never empties your sessions. TEST_REDIS_URL names another database.
{%- endif %}
"""

{% if cookiecutter.use_celery -%}
import os
{% endif -%}
from urllib.parse import urlsplit

from django.core.management.utils import get_random_secret_key

from config.env import env
from config.validation import validate_redis_url

from .api import JWT_SIGNING_KEY, SIMPLE_JWT
from .base import *  # noqa: F403
from .cache import CACHES, REDIS_URL
{%- if cookiecutter.use_celery %}
from .celery import CELERY_BROKER_URL
{%- endif %}
from .django import SECRET_KEY, STORAGES

# Redis servers have 16 databases unless configured otherwise.
REDIS_DATABASES = 16
TEST_DATABASE_OFFSET = 8


def redis_url_for_tests(variable: str, url: str) -> str:
    """TEST_<variable> when set, else `url` with its database number moved up by 8."""
    test_url: str = env.str(f"TEST_{variable}", default="")
    if not test_url:
        parts = urlsplit(url)
        database = (int(parts.path.strip("/") or 0) + TEST_DATABASE_OFFSET) % REDIS_DATABASES
        test_url = parts._replace(path=f"/{database}").geturl()
    validate_redis_url(f"TEST_{variable}", test_url)
    return test_url


TEST_REDIS_URL = redis_url_for_tests("REDIS_URL", REDIS_URL)
CACHES = {"default": {**CACHES["default"], "LOCATION": TEST_REDIS_URL}}
{%- if cookiecutter.use_celery %}
CELERY_BROKER_URL = redis_url_for_tests("CELERY_BROKER_URL", CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
# Celery prefers these environment variables to its settings, and .env put yours there.
os.environ.update(CELERY_BROKER_URL=CELERY_BROKER_URL, CELERY_RESULT_BACKEND=CELERY_RESULT_BACKEND)
{%- endif %}

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
