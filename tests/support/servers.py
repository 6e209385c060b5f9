"""MariaDB and Redis for the tests and benchmarks, and each bake's share of them.

Throwaway servers are pytest-mysql's and pytest-redis's own executors (mirakuru TCP executors)
on a free port with their data in a directory of the caller's: the session's servers come from
those plugins' fixtures, and the fault tests, the frontend test and the benchmarks start more
the same way (mariadb() and redis()), which they may stop and start again. Running servers can
be used instead (MysqlServer.from_url, RedisServer.from_url).

Every bake gets its own MySQL database and user, with a random password, and its own Redis
databases (provision()): a cache and a broker database for its processes, and another pair for
its own test suite, so bakes, workers and test runs never see each other's data.
"""

from __future__ import annotations

import getpass
import itertools
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import port_for
from pytest_mysql.executor import MySQLExecutor
from pytest_redis.executor import RedisExecutor

from .processes import fail

MYSQL_ROOT_URL_ENV = "PULSEWATCH_TEST_MYSQL_ROOT_URL"
REDIS_URL_ENV = "PULSEWATCH_TEST_REDIS_URL"
SERVER_INSTALL_HINT = (
    "install the servers (Debian/Ubuntu: `apt-get install mariadb-server redis-server`) "
    f"or point {MYSQL_ROOT_URL_ENV} / {REDIS_URL_ENV} at running ones"
)

# Debian's binaries, as pyproject.toml's [tool.pytest.ini_options] names them for pytest-mysql
# and pytest-redis; the benchmarks, which run without pytest, use these.
MYSQLD = "/usr/sbin/mysqld"
MYSQLD_SAFE = "/usr/bin/mysqld_safe"
MYSQL_INSTALL_DB = "/usr/bin/mysql_install_db"
MYSQLADMIN = "/usr/bin/mysqladmin"
REDIS_SERVER = "/usr/bin/redis-server"

# mysqld runs as the current user: root in CI, a developer's login elsewhere (mysql_install_db
# then creates a socket-authenticated account of that name, which is how the tests log in).
MYSQL_OS_USER = getpass.getuser()


def require_executables(paths: Mapping[str, str | Path | None], hint: str) -> None:
    """Fail (never skip) when a server binary is missing, saying what to install."""
    missing = []
    for option, path in paths.items():
        text = str(path) if path else ""
        found = shutil.which(text) if text and os.sep not in text else text
        if not found or not os.access(found, os.X_OK):
            missing.append(f"{option}={text or '(unset)'}")
    if missing:
        fail(f"server binaries not found: {', '.join(missing)}; {hint}")


def free_port() -> int:
    """A TCP port that nothing listens on right now (port-for, as pytest-mysql picks them)."""
    return int(port_for.select_random())


# --------------------------------------------------------------------------------------------
# Throwaway servers
# --------------------------------------------------------------------------------------------


def mariadb(
    directory: Path,
    *,
    mysqld: str = MYSQLD,
    mysqld_safe: str = MYSQLD_SAFE,
    install_db: str = MYSQL_INSTALL_DB,
    admin: str = MYSQLADMIN,
    params: str = "",
) -> MySQLExecutor:
    """A MariaDB server (not started) on a free port with its data in `directory`.

    Started again after a stop, it keeps its data: databases and users survive an outage.
    """
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    return MySQLExecutor(
        mysqld_safe=Path(mysqld_safe),
        mysqld=Path(mysqld),
        admin_exec=admin,
        logfile_path=str(directory / "mysql.log"),
        params=params,
        base_directory=directory,
        user=MYSQL_OS_USER,
        host="127.0.0.1",
        port=port,
        install_db=install_db,
    )


def redis(directory: Path, *, executable: str = REDIS_SERVER, databases: int = 16) -> RedisExecutor:
    """A Redis server (not started) on a free port, nothing saved to disk, logs in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    return RedisExecutor(
        executable,
        databases=databases,
        redis_timeout=30,
        loglevel="notice",
        host="127.0.0.1",
        port=free_port(),
        datadir=directory,
    )


# --------------------------------------------------------------------------------------------
# The servers as the tests see them
# --------------------------------------------------------------------------------------------


@dataclass
class MysqlServer:
    """A MariaDB/MySQL server the tests may create databases and users on."""

    host: str
    port: int
    admin_connect_kwargs: dict[str, Any]
    _created: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, executor: MySQLExecutor) -> MysqlServer:
        """A throwaway server, reached as its superuser over its unix socket."""
        return cls(
            host="127.0.0.1",
            port=executor.port,
            admin_connect_kwargs={
                "unix_socket": executor.unixsocket,
                "user": MYSQL_OS_USER,
                "connect_timeout": 5,
            },
        )

    @classmethod
    def from_url(cls, url: str) -> MysqlServer:
        """A running server from PULSEWATCH_TEST_MYSQL_ROOT_URL (`?unix_socket=` honoured)."""
        parts = urlsplit(url)
        if parts.scheme not in {"mysql", "mariadb"}:
            fail(f"{MYSQL_ROOT_URL_ENV} must be a mysql:// URL, got {url!r}")
        host = parts.hostname or "127.0.0.1"
        port = parts.port or 3306
        kwargs: dict[str, Any] = {
            "user": unquote(parts.username or "root"),
            "passwd": unquote(parts.password or ""),
            "connect_timeout": 5,
        }
        socket_path = parse_qs(parts.query).get("unix_socket")
        if socket_path:
            kwargs["unix_socket"] = socket_path[0]
        else:
            kwargs.update(host=host, port=port)
        return cls(host=host, port=port, admin_connect_kwargs=kwargs)

    def connect(self) -> Any:
        """An administrative connection (autocommit), for DDL and grants."""
        import MySQLdb

        connection = MySQLdb.connect(**self.admin_connect_kwargs)
        connection.autocommit(True)
        return connection

    def create_database(self, name: str, user: str, password: str) -> None:
        """A database plus a user with all rights on it and on Django's `test_*` databases.

        The user exists for both 'localhost' and '%': MariaDB matches a TCP login from 127.0.0.1
        against user@localhost first (and its anonymous ''@localhost account would otherwise win).
        """
        for value in (name, user):
            if not re.fullmatch(r"[a-z0-9_]{1,32}", value):
                raise ValueError(f"unsafe MySQL identifier {value!r}")
        if not re.fullmatch(r"[A-Za-z0-9_-]+", password):
            raise ValueError("passwords here come from secrets.token_urlsafe")
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            for host in ("localhost", "%"):
                cursor.execute(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{password}'")
                cursor.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{user}'@'{host}'")
                cursor.execute(f"GRANT ALL PRIVILEGES ON `test\\_%`.* TO '{user}'@'{host}'")
            cursor.execute("FLUSH PRIVILEGES")
        finally:
            connection.close()
        self._created.append((name, user))

    def drop_created(self) -> None:
        """Remove what create_database made (only matters for a long-lived external server)."""
        connection = self.connect()
        try:
            cursor = connection.cursor()
            for name, user in self._created:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cursor.execute(f"DROP DATABASE IF EXISTS `test_{name}`")
                for host in ("localhost", "%"):
                    cursor.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
        finally:
            connection.close()
        self._created.clear()


@dataclass
class RedisServer:
    """A Redis server whose numbered databases are handed out, never shared, between bakes.

    `first_db`..`first_db + db_count - 1` belong to this process; with a throwaway server that is
    all of them, with a shared one each xdist worker gets its own slice.
    """

    host: str
    port: int
    password: str | None
    first_db: int
    db_count: int
    _next: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def of(cls, executor: RedisExecutor, db_count: int) -> RedisServer:
        return cls(executor.host, executor.port, executor.password, 0, db_count)

    @classmethod
    def from_url(cls, url: str, worker: int, workers: int) -> RedisServer:
        """A running server from PULSEWATCH_TEST_REDIS_URL, its databases split among workers."""
        import redis as redis_client

        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        password = unquote(parts.password) if parts.password else None
        client = redis_client.Redis(host=host, port=port, password=password)
        try:
            databases = int(str(client.config_get("databases")["databases"]))
        except redis_client.ResponseError:  # CONFIG may be disabled on managed servers
            databases = 16
        finally:
            client.close()
        share = databases // workers
        return cls(host, port, password, first_db=worker * share, db_count=share)

    def url(self, db: int) -> str:
        """redis://[:password@]host:port/db"""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{db}"

    def allocate(self, count: int = 1) -> list[int]:
        """`count` fresh database numbers, flushed, for one bake's exclusive use."""
        import redis as redis_client

        dbs = [self.first_db + next(self._next) for _ in range(count)]
        if dbs[-1] >= self.first_db + self.db_count:
            fail(
                f"out of Redis databases ({self.db_count} per worker); raise redis_db_count "
                "in pyproject.toml or the server's `databases` setting"
            )
        for db in dbs:
            client = redis_client.Redis(
                host=self.host, port=self.port, password=self.password, db=db
            )
            try:
                client.flushdb()
            finally:
                client.close()
        return dbs


# --------------------------------------------------------------------------------------------
# Each bake's share
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceConfig:
    """One bake's share of the servers: its own MySQL database and user, four Redis databases."""

    database_name: str
    database_user: str
    database_password: str
    database_url: str
    redis_url: str
    celery_broker_url: str
    test_redis_url: str = ""
    test_celery_broker_url: str = ""

    def env(self) -> dict[str, str]:
        """The variables the baked settings read to find the servers."""
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.celery_broker_url,
            "TEST_REDIS_URL": self.test_redis_url,
            "TEST_CELERY_BROKER_URL": self.test_celery_broker_url,
            "MYSQL_DATABASE": self.database_name,
            "MYSQL_USER": self.database_user,
            "MYSQL_PASSWORD": self.database_password,
        }


NO_SERVICES = ServiceConfig("", "", "", "", "", "")


def provision(mysql: MysqlServer, redis_server: RedisServer, slug: str) -> ServiceConfig:
    """A database, a user and four Redis databases for one bake.

    Names carry a random suffix, so bakes of the same slug (or a rerun against an external
    server) never collide; the user may also create Django's `test_<name>` database.
    """
    name = f"{re.sub(r'[^a-z0-9_]', '_', slug.lower())[:20]}_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    mysql.create_database(name, name, password)
    # The bake's own test suite takes the second pair (TEST_*), not the one its settings would
    # derive, which may be another bake's.
    cache_db, broker_db, test_cache_db, test_broker_db = redis_server.allocate(4)
    host = "127.0.0.1" if mysql.host in {"127.0.0.1", "localhost"} else mysql.host
    return ServiceConfig(
        database_name=name,
        database_user=name,
        database_password=password,
        database_url=f"mysql://{name}:{password}@{host}:{mysql.port}/{name}",
        redis_url=redis_server.url(cache_db),
        celery_broker_url=redis_server.url(broker_db),
        test_redis_url=redis_server.url(test_cache_db),
        test_celery_broker_url=redis_server.url(test_broker_db),
    )
