"""Checks that settings run at import time, so a bad deploy fails before serving.

Production settings run them all; the URL syntax checks run in every environment. Each raises
ImproperlyConfigured with a message that names the variable to fix and never echoes its value,
which may hold a password.
"""

from ipaddress import ip_network
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Prefixes of values that are no secret: Django's development keys and .env.example's placeholders.
PLACEHOLDER_PREFIXES = ("django-insecure-", "change-me")
MIN_UNIQUE_CHARACTERS = 5


def validate_secret(
    variable: str, value: str, min_length: int, must_differ_from: dict[str, str] | None = None
) -> None:
    """Refuse a missing, placeholder, short or repetitive secret, or one another variable holds.

    `must_differ_from` maps the names of other secrets to their values: a key reused for two
    jobs cannot be rotated for one of them alone.
    """
    if not value:
        raise ImproperlyConfigured(f"{variable} is not set.")
    if value.startswith(PLACEHOLDER_PREFIXES):
        raise ImproperlyConfigured(f"{variable} is a placeholder or development value.")
    if len(value) < min_length or len(set(value)) < MIN_UNIQUE_CHARACTERS:
        raise ImproperlyConfigured(
            f"{variable} is too weak: use at least {min_length} random characters."
        )
    for other, other_value in (must_differ_from or {}).items():
        if value == other_value:
            raise ImproperlyConfigured(f"{variable} must differ from {other}.")


def validate_allowed_hosts(hosts: list[str]) -> None:
    """Refuse an empty list or a wildcard, which would accept any Host header."""
    if not hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS is not set: list the service's host names.")
    if "*" in hosts:
        raise ImproperlyConfigured("ALLOWED_HOSTS must not contain '*' in production.")


def validate_database_url(url: str, password: str = "") -> None:
    """Refuse anything but a MySQL URL with a host, user and password (in the URL, or
    DATABASE_PASSWORD's `password`)."""
    parts = urlsplit(url)
    if parts.scheme not in {"mysql", "mysql2", "mysql-connector"}:
        raise ImproperlyConfigured("DATABASE_URL must be a mysql:// URL in production.")
    if not (
        parts.hostname and parts.username and (parts.password or password) and parts.path.strip("/")
    ):
        raise ImproperlyConfigured(
            "DATABASE_URL must name a host, user, password (or set DATABASE_PASSWORD) and "
            "database in production."
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


def validate_networks(variable: str, networks: list[str]) -> None:
    """Refuse anything but IP addresses and networks (10.0.0.0/8): no names, no '*'.

    A '*' would trust every client's X-Forwarded-For, which lets any client choose its address.
    """
    for network in networks:
        try:
            ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{variable} must list IP addresses or networks (e.g. 10.0.0.0/8), "
                "not host names or '*'."
            ) from None


def validate_traces_exporter(value: str) -> None:
    """Traces go out over OTLP or nowhere: the only exporter the service ships."""
    if value.strip().lower() not in {"otlp", "none"}:
        raise ImproperlyConfigured("OTEL_TRACES_EXPORTER must be 'otlp' or 'none'.")


def validate_otlp_protocol(value: str) -> None:
    """The service ships the OTLP/HTTP exporter (protobuf), not the gRPC one."""
    if value.strip().lower() != "http/protobuf":
        raise ImproperlyConfigured(
            "OTEL_EXPORTER_OTLP_PROTOCOL must be 'http/protobuf', the exporter the service ships."
        )
