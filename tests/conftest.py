"""Shared fixtures for the template's tests: real servers, baked projects and their virtualenvs.

The quick tier (test_hooks.py, test_render.py) needs none of this; every fixture here is lazy, so
`pytest -m "not slow"` starts no server and builds no virtualenv.

The slow tier proves that a baked project works for real, so nothing is mocked:

* MariaDB and Redis run as throwaway servers started from the installed binaries by pytest-mysql
  and pytest-redis (one pair per pytest-xdist worker), unless the environment points at servers
  that already run:

      PULSEWATCH_TEST_MYSQL_ROOT_URL  mysql://root:PASSWORD@HOST:PORT  (an account that may create
                                      databases and users; `?unix_socket=/path` is honoured)
      PULSEWATCH_TEST_REDIS_URL       redis://[:PASSWORD@]HOST:PORT  (its numbered databases are
                                      shared out between xdist workers and flushed before use)

  A missing server binary fails the test with the package to install; it is never a skip, because
  a skipped slow tier reads as green while it proves nothing.
* Each bake gets its own MySQL database and user (random password) and its own pair of Redis
  databases, so bakes and workers never see each other's data.
* The baked project's virtualenv is built by uv from the bake's requirements/dev.txt for the
  bake's python_version. It is cached across tests and runs under
  $PULSEWATCH_VENV_CACHE, else $XDG_CACHE_HOME/pulsewatch-template/venvs, else
  ~/.cache/pulsewatch-template/venvs, keyed by the requirement files and the interpreter, and
  guarded by a file lock so parallel workers build it once.
* The interpreter for python_version X.Y is $PULSEWATCH_PYTHON_X_Y when set, else the first
  working `pythonX.Y` on PATH, in pyenv's versions, or in /usr/bin and /usr/local/bin.

Fixtures (all session-scoped, per xdist worker):

    mysql_server        MysqlServer: host, port, create_database(name, user, password)
    redis_server        RedisServer: host, port, allocate(n) -> n fresh database numbers
    provision_services  provision_services(slug) -> ServiceConfig (DATABASE_URL, REDIS_URL,
                        CELERY_BROKER_URL; .env() gives them as variables)
    project_venv        project_venv(project_dir, "3.12") -> the cached virtualenv's path
    bake_project        bake_project(**extra_context) -> Bake (path, context, venv, services)
    default_bake        bake_project() with every default answer

Bake.run(*cmd, env=..., check=True) runs a command in the bake with its venv and services and
fails the test with the command's output; Bake.manage() is `python manage.py`; Bake.prod_env()
gives production-like overrides. background() starts a long-running process (gunicorn, celery)
that is always stopped, and whose log is attached to the report of a test that fails meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from cookiecutter.main import cookiecutter
from pytest_mysql import factories as mysql_factories

TEMPLATE_DIR = Path(__file__).resolve().parent.parent

MYSQL_ROOT_URL_ENV = "PULSEWATCH_TEST_MYSQL_ROOT_URL"
REDIS_URL_ENV = "PULSEWATCH_TEST_REDIS_URL"
VENV_CACHE_ENV = "PULSEWATCH_VENV_CACHE"
SERVER_INSTALL_HINT = (
    "install the servers (Debian/Ubuntu: `apt-get install mariadb-server redis-server`) "
    f"or point {MYSQL_ROOT_URL_ENV} / {REDIS_URL_ENV} at running ones"
)
BUILD_INSTALL_HINT = (
    "mysqlclient compiles against libmariadb: "
    "`apt-get install libmariadb-dev pkg-config build-essential`"
)

# Variables a developer's shell may carry that would change how a baked project or its own pytest
# behaves; bakes always start from a clean slate plus what the fixtures set explicitly.
SCRUBBED_ENV_PREFIXES = ("PYTEST_", "COV_CORE_", "DJANGO_", "CELERY_", "GUNICORN_", "PROMETHEUS_")
SCRUBBED_ENV_NAMES = frozenset(
    {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "CONDA_PREFIX", "UV_PYTHON"}
)

# pytest-mysql's own `mysql_proc` runs mysqld as root; running it as the current user works both
# as root (CI) and as a developer's login (mysql_install_db then creates a socket-authenticated
# account of that name, which is how the fixtures log in).
MYSQL_OS_USER = getpass.getuser()
pulsewatch_mysql_proc = mysql_factories.mysql_proc(user=MYSQL_OS_USER)


# --------------------------------------------------------------------------------------------
# Process output in failure messages
# --------------------------------------------------------------------------------------------


def tail(text: str | bytes | None, lines: int = 200) -> str:
    """The last lines of a process's output: enough to diagnose, short enough to read."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def describe_result(result: subprocess.CompletedProcess[str], cwd: Path | None = None) -> str:
    """Command, exit status and both output streams, for assertion messages."""
    command = " ".join(str(part) for part in result.args)
    where = f" (in {cwd})" if cwd else ""
    return (
        f"$ {command}{where}\nexit status {result.returncode}\n"
        f"--- stdout ---\n{tail(result.stdout)}\n--- stderr ---\n{tail(result.stderr)}"
    )


# --------------------------------------------------------------------------------------------
# MariaDB
# --------------------------------------------------------------------------------------------


@dataclass
class MysqlServer:
    """A MariaDB/MySQL server the tests may create databases and users on."""

    host: str
    port: int
    admin_connect_kwargs: dict[str, Any]
    _created: list[tuple[str, str]] = field(default_factory=list)

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


def mysql_server_from_url(url: str) -> MysqlServer:
    """Parse PULSEWATCH_TEST_MYSQL_ROOT_URL into connection settings."""
    parts = urlsplit(url)
    if parts.scheme not in {"mysql", "mariadb"}:
        raise pytest.UsageError(f"{MYSQL_ROOT_URL_ENV} must be a mysql:// URL, got {url!r}")
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
    return MysqlServer(host=host, port=port, admin_connect_kwargs=kwargs)


def require_executables(paths: Mapping[str, str | Path | None], hint: str) -> None:
    """Fail (never skip) when a server binary is missing, saying what to install."""
    missing = []
    for option, path in paths.items():
        text = str(path) if path else ""
        found = shutil.which(text) if text and os.sep not in text else text
        if not found or not os.access(found, os.X_OK):
            missing.append(f"{option}={text or '(unset)'}")
    if missing:
        pytest.fail(f"server binaries not found: {', '.join(missing)}; {hint}", pytrace=False)


@pytest.fixture(scope="session")
def mysql_server(request: pytest.FixtureRequest) -> Iterator[MysqlServer]:
    """The MariaDB server for this worker: $PULSEWATCH_TEST_MYSQL_ROOT_URL, or a throwaway one.

    The throwaway server comes from pytest-mysql (binaries from the [tool.pytest.ini_options]
    mysql_* settings) and is reached as its superuser over its unix socket.
    """
    url = os.environ.get(MYSQL_ROOT_URL_ENV)
    if url:
        server = mysql_server_from_url(url)
        yield server
        server.drop_created()
        return

    from pytest_mysql.config import get_config

    config = get_config(request)
    require_executables(
        {
            "mysql_mysqld": config.mysqld,
            "mysql_mysqld_safe": config.mysqld_safe,
            "mysql_install_db": config.install_db,
            "mysql_admin": config.admin,
        },
        SERVER_INSTALL_HINT,
    )
    executor = request.getfixturevalue("pulsewatch_mysql_proc")
    yield MysqlServer(
        host="127.0.0.1",
        port=executor.port,
        admin_connect_kwargs={
            "unix_socket": executor.unixsocket,
            "user": MYSQL_OS_USER,
            "connect_timeout": 5,
        },
    )


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------


def xdist_worker() -> tuple[int, int]:
    """This process's worker index and the number of workers (0 and 1 without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return int(worker.removeprefix("gw") or 0), max(count, 1)


@dataclass
class RedisServer:
    """A Redis server whose numbered databases are handed out, never shared, between bakes.

    `first_db`..`first_db + db_count - 1` belong to this worker; with a throwaway server that is
    all of them, with a shared one each xdist worker gets its own slice.
    """

    host: str
    port: int
    password: str | None
    first_db: int
    db_count: int
    _next: Iterator[int] = field(default_factory=itertools.count)

    def url(self, db: int) -> str:
        """redis://[:password@]host:port/db"""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{db}"

    def allocate(self, count: int = 1) -> list[int]:
        """`count` fresh database numbers, flushed, for one bake's exclusive use."""
        import redis

        dbs = [self.first_db + next(self._next) for _ in range(count)]
        if dbs[-1] >= self.first_db + self.db_count:
            pytest.fail(
                f"out of Redis databases ({self.db_count} per worker); raise redis_db_count "
                "in pyproject.toml or the server's `databases` setting",
                pytrace=False,
            )
        for db in dbs:
            client = redis.Redis(host=self.host, port=self.port, password=self.password, db=db)
            try:
                client.flushdb()
            finally:
                client.close()
        return dbs


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest) -> RedisServer:
    """The Redis server for this worker: $PULSEWATCH_TEST_REDIS_URL, or a throwaway one."""
    url = os.environ.get(REDIS_URL_ENV)
    worker, workers = xdist_worker()
    if url:
        import redis

        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        password = unquote(parts.password) if parts.password else None
        client = redis.Redis(host=host, port=port, password=password)
        try:
            databases = int(client.config_get("databases")["databases"])
        except redis.ResponseError:  # CONFIG may be disabled on managed servers
            databases = 16
        finally:
            client.close()
        share = databases // workers
        return RedisServer(host, port, password, first_db=worker * share, db_count=share)

    from pytest_redis.config import get_config

    config = get_config(request)
    require_executables({"redis_exec": config.exec}, SERVER_INSTALL_HINT)
    executor = request.getfixturevalue("redis_proc")
    return RedisServer(
        host=executor.host,
        port=executor.port,
        password=executor.password,
        first_db=0,
        db_count=config.db_count,
    )


# --------------------------------------------------------------------------------------------
# Per-bake services
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceConfig:
    """One bake's share of the servers: its own MySQL database and user, two Redis databases."""

    database_name: str
    database_user: str
    database_password: str
    database_url: str
    redis_url: str
    celery_broker_url: str

    def env(self) -> dict[str, str]:
        """The variables the baked settings read to find the servers."""
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_BROKER_URL": self.celery_broker_url,
            "MYSQL_DATABASE": self.database_name,
            "MYSQL_USER": self.database_user,
            "MYSQL_PASSWORD": self.database_password,
        }


@pytest.fixture(scope="session")
def provision_services(
    mysql_server: MysqlServer, redis_server: RedisServer
) -> Callable[[str], ServiceConfig]:
    """Factory: `provision_services(slug)` makes a database, a user and two Redis databases.

    Names carry a random suffix, so bakes of the same slug (or a rerun against an external
    server) never collide; the user may also create Django's `test_<name>` database.
    """

    def provision(slug: str) -> ServiceConfig:
        suffix = secrets.token_hex(4)
        name = f"{re.sub(r'[^a-z0-9_]', '_', slug.lower())[:20]}_{suffix}"
        password = secrets.token_urlsafe(24)
        mysql_server.create_database(name, name, password)
        cache_db, broker_db = redis_server.allocate(2)
        return ServiceConfig(
            database_name=name,
            database_user=name,
            database_password=password,
            database_url=f"mysql://{name}:{password}@127.0.0.1:{mysql_server.port}/{name}"
            if mysql_server.host in {"127.0.0.1", "localhost"}
            else f"mysql://{name}:{password}@{mysql_server.host}:{mysql_server.port}/{name}",
            redis_url=redis_server.url(cache_db),
            celery_broker_url=redis_server.url(broker_db),
        )

    return provision


# --------------------------------------------------------------------------------------------
# Interpreters and the baked project's virtualenv
# --------------------------------------------------------------------------------------------


def _python_reports(candidate: str, version: str) -> bool:
    """True when `candidate` runs and is Python `version` (pyenv shims may exist yet fail)."""
    try:
        result = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == version


def _pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            return Path(result.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _version_key(path: Path) -> tuple[int, ...]:
    digits = re.findall(r"\d+", path.parent.parent.name)
    return tuple(int(d) for d in digits)


def find_python(version: str) -> str:
    """The interpreter for `python_version` (e.g. "3.12"); fails with how to provide one."""
    variable = "PULSEWATCH_PYTHON_" + version.replace(".", "_")
    candidates: list[str] = []
    if os.environ.get(variable):
        candidates.append(os.environ[variable])
    if shutil.which(f"python{version}"):
        candidates.append(shutil.which(f"python{version}") or "")
    root = _pyenv_root()
    if root:
        found = (root / "versions").glob(f"{version}.*/bin/python{version}")
        candidates += [str(p) for p in sorted(found, key=_version_key, reverse=True)]
    candidates += [f"/usr/local/bin/python{version}", f"/usr/bin/python{version}"]
    for candidate in candidates:
        if candidate and _python_reports(candidate, version):
            return candidate
    pytest.fail(
        f"no working Python {version} found (tried {', '.join(filter(None, candidates))}); "
        f"install it (e.g. `pyenv install {version}`) or set {variable}=/path/to/python{version}",
        pytrace=False,
    )


def find_uv() -> str:
    """uv from the test environment (the `uv` package in the test group) or from PATH."""
    with contextlib.suppress(ImportError):
        from uv import find_uv_bin

        return find_uv_bin()
    beside = Path(sys.executable).parent / "uv"
    if beside.exists():
        return str(beside)
    found = shutil.which("uv")
    if not found:
        pytest.fail("uv not found: `pip install uv` (it is in the test dependency group)")
    return found


def venv_cache_root() -> Path:
    """Where baked virtualenvs are kept between runs."""
    if os.environ.get(VENV_CACHE_ENV):
        return Path(os.environ[VENV_CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pulsewatch-template" / "venvs"


# Part of the cache key: bump it when the way venvs are built changes, so old ones are rebuilt.
VENV_LAYOUT = "compiled-bytecode"


def requirements_key(project_dir: Path, python: str) -> str:
    """A hash of every requirements file and the exact interpreter the venv is built from."""
    digest = hashlib.sha256()
    version = subprocess.run(
        [python, "-c", "import sys, platform; print(sys.version, platform.machine())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    digest.update(version.encode())
    digest.update(str(Path(python).resolve()).encode())
    digest.update(VENV_LAYOUT.encode())
    for path in sorted((project_dir / "requirements").glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 1800) -> Iterator[None]:
    """An exclusive fcntl lock on `path`, shared by every process (xdist workers, parallel runs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"timed out after {timeout:.0f}s waiting for the lock {path}")
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


VENV_COMPLETE_MARKER = ".pulsewatch-venv-complete"


def ensure_project_venv(project_dir: Path, python_version: str) -> Path:
    """The cached virtualenv for a bake's requirements/dev.txt, built once under a file lock.

    A venv is only used once its marker file exists, so one interrupted mid-install is rebuilt
    rather than trusted.
    """
    python = find_python(python_version)
    key = requirements_key(project_dir, python)
    root = venv_cache_root()
    venv = root / f"py{python_version}-{key}"
    if (venv / VENV_COMPLETE_MARKER).exists():
        (venv / VENV_COMPLETE_MARKER).touch()  # last used, for prune_stale_venvs
        return venv
    uv = find_uv()
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV_NAMES}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    with file_lock(root / f"{venv.name}.lock"):
        if (venv / VENV_COMPLETE_MARKER).exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        steps = [
            [uv, "venv", "--quiet", "--python", python, str(venv)],
            [
                uv,
                "pip",
                "install",
                # Compiled once here: bakes run with PYTHONDONTWRITEBYTECODE, and without
                # bytecode every process (pytest, manage.py, gunicorn) compiles Django anew.
                "--compile-bytecode",
                "--python",
                str(venv / "bin" / "python"),
                "-r",
                str(project_dir / "requirements" / "dev.txt"),
            ],
        ]
        for step in steps:
            result = subprocess.run(
                step, capture_output=True, text=True, env=env, timeout=1500, check=False
            )
            if result.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                pytest.fail(
                    f"building the baked virtualenv failed ({BUILD_INSTALL_HINT})\n"
                    + describe_result(result),
                    pytrace=False,
                )
        (venv / VENV_COMPLETE_MARKER).write_text(key + "\n")
    prune_stale_venvs(root, keep=venv)
    return venv


STALE_VENV_DAYS = 14


def prune_stale_venvs(root: Path, keep: Path) -> None:
    """Delete cached venvs nobody built or used for STALE_VENV_DAYS (old requirement sets).

    Best effort: a venv whose lock another process holds is left alone.
    """
    cutoff = time.time() - STALE_VENV_DAYS * 86400
    for marker in root.glob(f"*/{VENV_COMPLETE_MARKER}"):
        venv = marker.parent
        if venv == keep or marker.stat().st_mtime > cutoff:
            continue
        with (root / f"{venv.name}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(venv, ignore_errors=True)


@pytest.fixture(scope="session")
def project_venv() -> Callable[[Path, str], Path]:
    """Factory: `project_venv(project_dir, "3.12")` -> the cached virtualenv's directory."""
    return ensure_project_venv


# --------------------------------------------------------------------------------------------
# Bakes
# --------------------------------------------------------------------------------------------


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blanks skipped, no interpolation)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def template_defaults() -> dict[str, Any]:
    """cookiecutter.json's answers with no input (a list's first item is its default)."""
    raw = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    return {
        key: value[0] if isinstance(value, list) else value
        for key, value in raw.items()
        if not key.startswith("_")
    }


@dataclass
class Bake:
    """A rendered project, its virtualenv and its share of the servers.

    `run()` executes a command in the project directory with the venv first on PATH and the
    service URLs set; the inherited environment is scrubbed of variables the project reads, so
    the project sees its `.env` plus exactly what the test passes.
    """

    path: Path
    context: dict[str, Any]
    venv: Path
    services: ServiceConfig

    @property
    def slug(self) -> str:
        return self.path.name

    @property
    def dotenv(self) -> dict[str, str]:
        """The `.env` the post-generation hook wrote (fresh secrets)."""
        return read_dotenv(self.path / ".env")

    def env(self, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The full environment for a process in this bake; a None override removes a variable."""
        project_vars = set(read_dotenv(self.path / ".env.example")) | set(self.dotenv)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in SCRUBBED_ENV_NAMES
            and key not in project_vars
            and not key.startswith(SCRUBBED_ENV_PREFIXES)
        }
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(self.services.env())
        for key, value in (overrides or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(
        self,
        *args: str | Path,
        env: Mapping[str, str | None] | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the bake; with check, a non-zero exit fails the test with its output."""
        command = [str(arg) for arg in args]
        executable = self.venv / "bin" / command[0]
        if executable.exists():
            command[0] = str(executable)
        try:
            result = subprocess.run(
                command,
                cwd=self.path,
                env=self.env(env),
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(
                f"$ {' '.join(command)} timed out after {timeout}s\n"
                f"--- stdout ---\n{tail(exc.stdout)}\n--- stderr ---\n{tail(exc.stderr)}",
                pytrace=False,
            )
        if check and result.returncode != 0:
            pytest.fail(describe_result(result, self.path), pytrace=False)
        return result

    def manage(
        self, *args: str, env: Mapping[str, str | None] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`python manage.py ...` in the bake."""
        return self.run("python", "manage.py", *args, env=env, check=check)

    def prod_env(self, **overrides: str | None) -> dict[str, str | None]:
        """Overrides for a production-like process: prod settings, the bake's own secrets.

        DEBUG is set to false explicitly because the developer `.env` the hook writes says
        DEBUG=true, and django-environ fills unset variables from it.
        """
        dotenv = self.dotenv
        env: dict[str, str | None] = {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": dotenv.get("SECRET_KEY", ""),
            "METRICS_TOKEN": dotenv.get("METRICS_TOKEN", ""),
            "ALLOWED_HOSTS": "example.com",
            "DEBUG": "false",
            "LOG_FORMAT": "json",
        }
        env.update(overrides)
        return env


def render_template(output_dir: Path, extra_context: Mapping[str, Any] | None = None) -> Path:
    """Bake the template with no input into `output_dir`; returns the project directory.

    cookiecutter's user config (and its replay files in the home directory) are ignored so a
    developer's ~/.cookiecutterrc cannot change what the tests see.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    project = cookiecutter(
        str(TEMPLATE_DIR),
        no_input=True,
        extra_context=dict(extra_context or {}),
        output_dir=str(output_dir),
        default_config={
            "cookiecutters_dir": str(output_dir / ".cookiecutters"),
            "replay_dir": str(output_dir / ".cookiecutter_replay"),
        },
    )
    return Path(project)


@pytest.fixture(scope="session")
def bake_project(
    tmp_path_factory: pytest.TempPathFactory,
    provision_services: Callable[[str], ServiceConfig],
) -> Callable[..., Bake]:
    """Factory: `bake_project(**extra_context)` -> a Bake with venv and services, one per context.

    Bakes are cached for the session (per worker), so tests asking for the same answers share it.
    """
    cache: dict[str, Bake] = {}

    def bake(**extra_context: Any) -> Bake:
        key = json.dumps(extra_context, sort_keys=True)
        if key not in cache:
            path = render_template(tmp_path_factory.mktemp("bake"), extra_context)
            context = {**template_defaults(), **extra_context}
            venv = ensure_project_venv(path, str(context["python_version"]))
            cache[key] = Bake(path, context, venv, provision_services(path.name))
        return cache[key]

    return bake


@pytest.fixture(scope="session")
def default_bake(bake_project: Callable[..., Bake]) -> Bake:
    """The template baked with every default answer, ready to run against real servers."""
    return bake_project()


# --------------------------------------------------------------------------------------------
# Long-running processes (gunicorn, celery)
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_members(session_id: int) -> list[int]:
    """Pids of the live processes in session `session_id` (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # Fields after the command name, which may itself hold spaces and parentheses:
            # state, ppid, pgrp, session, ...
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session_id and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


@dataclass
class ManagedProcess:
    """A background process whose output goes to a log file, stopped for sure at teardown."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Everything the process printed so far (stdout and stderr interleaved)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM the process group, wait, SIGKILL on timeout; returns the exit status.

        Anything of its session that outlived it (a worker its master did not reap) is killed by
        pid afterwards; the session is the one `background()` started, so nothing else is touched.
        """
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        for pid in session_members(self.process.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return self.process.returncode

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 60, what: str = "ready"
    ) -> None:
        """Poll `predicate` until true; fail with the log if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                pytest.fail(
                    f"{self.name} exited with {self.process.returncode} before it was {what}\n"
                    f"--- {self.name} log ---\n{tail(self.log())}",
                    pytrace=False,
                )
            with contextlib.suppress(Exception):
                if predicate():
                    return
            time.sleep(0.25)
        pytest.fail(
            f"{self.name} was not {what} within {timeout}s\n--- {self.name} log ---\n"
            f"{tail(self.log())}",
            pytrace=False,
        )


# Background processes of the current test: running ones, and those stopped during it (kept
# until its teardown so a failure's report can still show what they printed).
LIVE_PROCESSES: list[ManagedProcess] = []


def start_process(
    name: str,
    command: Sequence[str | Path],
    log_dir: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ManagedProcess:
    """Start `command` in its own session, output appended to log_dir/<name>.log.

    The process joins LIVE_PROCESSES, so a failing test's report shows its log; stopping it is
    the caller's job.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [str(arg) for arg in command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    managed = ManagedProcess(name, process, log_path)
    LIVE_PROCESSES.append(managed)
    return managed


@contextlib.contextmanager
def background(
    bake: Bake,
    name: str,
    args: Sequence[str],
    log_dir: Path,
    env: Mapping[str, str | None] | None = None,
) -> Iterator[ManagedProcess]:
    """Start `args` in the bake in its own process group; always stopped when the block ends."""
    command = [str(arg) for arg in args]
    executable = bake.venv / "bin" / command[0]
    if executable.exists():
        command[0] = str(executable)
    managed = start_process(name, command, log_dir, cwd=bake.path, env=bake.env(env))
    try:
        yield managed
    finally:
        managed.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failing test, attach the logs of the background processes it ran or shared."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for managed in LIVE_PROCESSES:
            report.sections.append((f"log of {managed.name}", tail(managed.log(), 300)))
    if call.when == "teardown":
        LIVE_PROCESSES[:] = [managed for managed in LIVE_PROCESSES if managed.alive()]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many variants tests/test_matrix.py verified, and how long they took."""
    reports = [
        report
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", None) == "call"
        and "test_matrix.py::test_variant[" in report.nodeid
    ]
    if not reports:
        return
    passed = sum(report.passed for report in reports)
    seconds = sum(report.duration for report in reports)
    terminalreporter.write_line(
        f"variant matrix: {passed} of {len(reports)} variants verified "
        f"({seconds:.1f} s of test time across workers)"
    )
