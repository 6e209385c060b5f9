"""Production settings refuse unsafe values with a message naming the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from config.validation import (
    validate_allowed_hosts,
    validate_database_url,
    validate_redis_url,
    validate_secret,
)

# Each secret production refuses when weak, with the length it asks for.
SECRETS = {"SECRET_KEY": 50, "METRICS_TOKEN": 32, "JWT_SIGNING_KEY": 50}


@pytest.mark.parametrize(("variable", "min_length"), SECRETS.items())
def test_a_random_secret_is_accepted(variable: str, min_length: int) -> None:
    validate_secret(variable, get_random_secret_key(), min_length)


@pytest.mark.parametrize(("variable", "min_length"), SECRETS.items())
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is not set"),
        ("short", "is too weak"),
        ("a" * 60, "is too weak"),
        ("django-insecure-" + "x1y2z3" * 10, "is a placeholder or development value"),
        ("change-me-" + "x1y2z3" * 10, "is a placeholder or development value"),
    ],
)
def test_unsafe_secrets_are_refused_by_name(
    variable: str, min_length: int, value: str, reason: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"^{variable} {reason}") as refusal:
        validate_secret(variable, value, min_length)

    if value:
        assert value not in str(refusal.value)


def test_a_secret_shorter_than_its_minimum_is_refused() -> None:
    token = get_random_secret_key()[:31]

    with pytest.raises(ImproperlyConfigured, match="at least 32 random characters"):
        validate_secret("METRICS_TOKEN", token, min_length=32)


def test_a_secret_must_differ_from_the_ones_named() -> None:
    shared = get_random_secret_key()

    validate_secret("JWT_SIGNING_KEY", shared, 50, must_differ_from={"SECRET_KEY": "other"})
    with pytest.raises(ImproperlyConfigured, match="JWT_SIGNING_KEY must differ from SECRET_KEY"):
        validate_secret("JWT_SIGNING_KEY", shared, 50, must_differ_from={"SECRET_KEY": shared})


def test_named_hosts_are_accepted() -> None:
    validate_allowed_hosts(["api.example.com", ".example.org"])


@pytest.mark.parametrize("hosts", [[], ["*"], ["example.com", "*"]])
def test_missing_or_wildcard_hosts_are_refused(hosts: list[str]) -> None:
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        validate_allowed_hosts(hosts)


def test_a_complete_mysql_url_is_accepted() -> None:
    validate_database_url("mysql://app:s3cret@db.internal:3306/app")
    # The password may come separately, from DATABASE_PASSWORD (or its file).
    validate_database_url("mysql://app@db.internal:3306/app", password="s3cret")


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
