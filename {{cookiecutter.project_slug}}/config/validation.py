"""Checks that settings run at import time, so a bad deploy fails before serving.

Production settings run them all; the URL syntax checks run in every environment. Each raises
ImproperlyConfigured with a message that names the variable to fix and never echoes its value,
which may hold a password.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5
MIN_TOKEN_LENGTH = 32


def validate_secret_key(value: str) -> None:
    """Refuse a missing, short, repetitive or Django-generated development key."""
    if not value:
        raise ImproperlyConfigured("SECRET_KEY is not set.")
    if value.startswith("django-insecure-") or value.startswith("change-me"):
        raise ImproperlyConfigured("SECRET_KEY is a placeholder or development key.")
    if len(value) < MIN_SECRET_KEY_LENGTH or len(set(value)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters."
        )


def validate_metrics_token(value: str) -> None:
    """Refuse a missing or guessable token: without one, /metrics would be public."""
    if not value or value.startswith("change-me"):
        raise ImproperlyConfigured("METRICS_TOKEN is not set: /metrics would be public.")
    if len(value) < MIN_TOKEN_LENGTH:
        raise ImproperlyConfigured(
            f"METRICS_TOKEN is too short: use at least {MIN_TOKEN_LENGTH} random characters."
        )


def validate_jwt_signing_key(value: str, secret_key: str) -> None:
    """Refuse a missing, short or reused key: tokens signed with it open the whole API."""
    if not value or value.startswith("change-me"):
        raise ImproperlyConfigured("JWT_SIGNING_KEY is not set.")
    if len(value) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"JWT_SIGNING_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} random characters."
        )
    if value == secret_key:
        raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY.")


def validate_allowed_hosts(hosts: list[str]) -> None:
    """Refuse an empty list or a wildcard, which would accept any Host header."""
    if not hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS is not set: list the service's host names.")
    if "*" in hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS must not contain '*' in production.")


def validate_database_url(url: str) -> None:
    """Refuse anything but a MySQL URL with a host, user and password."""
    parts = urlsplit(url)
    if parts.scheme not in {"mysql", "mysql2", "mysql-connector"}:
        raise ImproperlyConfigured("DATABASE_URL must be a mysql:// URL in production.")
    if not (parts.hostname and parts.username and parts.password and parts.path.strip("/")):
        raise ImproperlyConfigured(
            "DATABASE_URL must name a host, user, password and database in production."
        )


REDIS_SCHEMES = {"redis", "rediss"}


def validate_redis_url(variable: str, url: str) -> None:
    """Refuse a Redis URL that a client would only reject at the first request."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(f"{variable} is not a valid URL.") from None
    if parts.scheme not in REDIS_SCHEMES or not parts.hostname:
        raise ImproperlyConfigured(f"{variable} must be a redis:// or rediss:// URL with a host.")
    database = parts.path.strip("/")
    if (port is not None and not 0 < port < 65536) or (database and not database.isdigit()):
        raise ImproperlyConfigured(
            f"{variable} must look like redis://host:6379/0 (a port and a database number)."
        )
