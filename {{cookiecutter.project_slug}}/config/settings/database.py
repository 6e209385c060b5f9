"""The database: MySQL 8 (or MariaDB) through mysqlclient, wrapped by django-prometheus for metrics.

DATABASE_URL names the primary; DATABASE_REPLICA_URL, when set, a replica that takes the reads
while it answers and keeps up (core/database/replica.py). DATABASE_PASSWORD
(DATABASE_REPLICA_PASSWORD) replaces the password in the URL, so the password alone can come
from a secret file (DATABASE_PASSWORD_FILE) while the URL stays plain configuration.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env

DATABASE_ENGINE = "django_prometheus.db.backends.mysql"
DATABASE_OPTIONS = {
    "charset": "utf8mb4",
    "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
    "isolation_level": "read committed",
    "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3),
}
# The server aborts a statement that runs longer (core/database/statement_timeout.py); 0 turns the limit off.
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=5.0)
# A statement slower than this many milliseconds is logged and counted
# (core/database/slow_queries.py); 0 turns that off. 200 ms: the service's limit for one query.
DATABASE_SLOW_QUERY_MS = env.float("DATABASE_SLOW_QUERY_MS", default=200.0)


def database_from_url(variable: str) -> dict[str, Any]:
    """One DATABASES entry: persistent connections, checked before reuse, utf8mb4 test tables."""
    try:
        config: dict[str, Any] = env.db_url(variable, engine=DATABASE_ENGINE)
    except ValueError:  # e.g. a port that is not a number; the URL itself holds a password
        raise ImproperlyConfigured(f"{variable} is not a valid database URL.") from None
    password = env.str(variable.removesuffix("_URL") + "_PASSWORD", default="")
    if password:
        config["PASSWORD"] = password
    config.update(
        {
            "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {**DATABASE_OPTIONS, **config.get("OPTIONS", {})},
            "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    )
    return config


def seconds_from_env(variable: str, default: float) -> float:
    seconds: float = env.float(variable, default=default)
    if seconds < 0:
        raise ImproperlyConfigured(f"{variable} must be zero or more seconds.")
    return seconds


DATABASES = {"default": database_from_url("DATABASE_URL")}
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = database_from_url("DATABASE_REPLICA_URL")
    # Tests see one database: the replica alias reads the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.database.router.PrimaryReplicaRouter"]
# Reads leave the replica while it is unreachable or further behind the primary than this, and
# each process tries it again after DATABASE_REPLICA_RECHECK_SECONDS.
DATABASE_REPLICA_MAX_LAG_SECONDS = seconds_from_env("DATABASE_REPLICA_MAX_LAG_SECONDS", 10.0)
DATABASE_REPLICA_RECHECK_SECONDS = seconds_from_env("DATABASE_REPLICA_RECHECK_SECONDS", 5.0)
