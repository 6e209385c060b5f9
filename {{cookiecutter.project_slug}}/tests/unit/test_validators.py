"""Production settings refuse unsafe values with a message naming the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from config.validation import (
    validate_allowed_hosts,
    validate_database_url,
    validate_jwt_signing_key,
    validate_metrics_token,
    validate_redis_url,
    validate_secret_key,
)


def test_a_random_secret_key_is_accepted() -> None:
    validate_secret_key(get_random_secret_key())


@pytest.mark.parametrize(
    "value",
    ["", "short", "a" * 60, "django-insecure-" + "x1y2z3" * 10, "change-me-secret-key" * 3],
)
def test_unsafe_secret_keys_are_refused(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        validate_secret_key(value)


def test_named_hosts_are_accepted() -> None:
    validate_allowed_hosts(["api.example.com", ".example.org"])


@pytest.mark.parametrize("hosts", [[], ["*"], ["example.com", "*"]])
def test_missing_or_wildcard_hosts_are_refused(hosts: list[str]) -> None:
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        validate_allowed_hosts(hosts)


def test_a_complete_mysql_url_is_accepted() -> None:
    validate_database_url("mysql://app:s3cret@db.internal:3306/app")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///db.sqlite3",
        "postgres://app:pw@db/app",
        "mysql://db.internal/app",
        "mysql://app:pw@db.internal/",
        "not a url",
    ],
)
def test_incomplete_or_foreign_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        validate_database_url(url)


def test_a_long_random_metrics_token_is_accepted() -> None:
    validate_metrics_token(get_random_secret_key())


@pytest.mark.parametrize("token", ["", "change-me-metrics-token", "short-token"])
def test_missing_placeholder_or_short_metrics_tokens_are_refused(token: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="METRICS_TOKEN"):
        validate_metrics_token(token)


def test_a_separate_random_jwt_signing_key_is_accepted() -> None:
    validate_jwt_signing_key(get_random_secret_key(), get_random_secret_key())


@pytest.mark.parametrize("key", ["", "change-me-jwt-signing-key", "too-short"])
def test_missing_placeholder_or_short_jwt_keys_are_refused(key: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="JWT_SIGNING_KEY"):
        validate_jwt_signing_key(key, get_random_secret_key())


def test_the_jwt_key_must_not_be_the_secret_key() -> None:
    shared = get_random_secret_key()

    with pytest.raises(ImproperlyConfigured, match="differ from SECRET_KEY"):
        validate_jwt_signing_key(shared, shared)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/1", "redis://cache"]
)
def test_redis_urls_with_a_host_are_accepted(url: str) -> None:
    validate_redis_url("REDIS_URL", url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not-a-url",
        "http://127.0.0.1:6379/0",
        "redis://:6379/0",
        "redis://cache:port/0",
        "redis://cache:0/0",
        "redis://cache:6379/zero",
    ],
)
def test_malformed_redis_urls_are_refused_by_name(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^REDIS_URL "):
        validate_redis_url("REDIS_URL", url)
