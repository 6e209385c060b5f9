"""Fixtures and hooks of the template's tests; the helpers behind them live in tests/support/.

The quick tier (test_hooks.py, test_render.py, ...) needs none of these fixtures; every one is
lazy, so `pytest -m "not slow"` starts no server and builds no virtualenv.

The slow tier proves that a baked project works for real, so nothing is mocked. MariaDB and
Redis run as throwaway servers started by pytest-mysql and pytest-redis (one pair per
pytest-xdist worker), unless the environment points at running ones:

    PULSEWATCH_TEST_MYSQL_ROOT_URL  mysql://root:PASSWORD@HOST:PORT  (an account that may create
                                    databases and users; `?unix_socket=/path` is honoured)
    PULSEWATCH_TEST_REDIS_URL       redis://[:PASSWORD@]HOST:PORT  (its numbered databases are
                                    shared out between xdist workers and flushed before use)

A missing server binary fails the test with the package to install; it is never a skip, because
a skipped slow tier reads as green while it proves nothing.

Fixtures (session-scoped, per xdist worker):

    mysql_server        support.servers.MysqlServer
    redis_server        support.servers.RedisServer
    provision_services  provision_services(slug) -> a bake's ServiceConfig
    bake_project        bake_project(**answers) -> a Bake with venv and services, one per answers
    default_bake        bake_project() with every default answer

At the end of every run (xdist's controller, or the only process) a table says where the time
went per tier and per test module (support.timing): `make test` reports its figures with it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest
from pytest_mysql import factories as mysql_factories
from support import processes
from support.bakes import Bake
from support.servers import (
    MYSQL_OS_USER,
    MYSQL_ROOT_URL_ENV,
    REDIS_URL_ENV,
    SERVER_INSTALL_HINT,
    MysqlServer,
    RedisServer,
    ServiceConfig,
    provision,
    require_executables,
)
from support.timing import Timings

# pytest-mysql's own `mysql_proc` runs mysqld as root; this one runs it as the current user.
pulsewatch_mysql_proc = mysql_factories.mysql_proc(user=MYSQL_OS_USER)


def xdist_worker() -> tuple[int, int]:
    """This process's worker index and the number of workers (0 and 1 without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return int(worker.removeprefix("gw") or 0), max(count, 1)


@pytest.fixture(scope="session")
def mysql_server(request: pytest.FixtureRequest) -> Iterator[MysqlServer]:
    """The MariaDB server for this worker: $PULSEWATCH_TEST_MYSQL_ROOT_URL, or a throwaway one.

    The throwaway server comes from pytest-mysql (binaries from the [tool.pytest.ini_options]
    mysql_* settings).
    """
    url = os.environ.get(MYSQL_ROOT_URL_ENV)
    if url:
        server = MysqlServer.from_url(url)
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
    yield MysqlServer.of(request.getfixturevalue("pulsewatch_mysql_proc"))


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest) -> RedisServer:
    """The Redis server for this worker: $PULSEWATCH_TEST_REDIS_URL, or a throwaway one."""
    url = os.environ.get(REDIS_URL_ENV)
    if url:
        return RedisServer.from_url(url, *xdist_worker())

    from pytest_redis.config import get_config

    config = get_config(request)
    require_executables({"redis_exec": config.exec}, SERVER_INSTALL_HINT)
    return RedisServer.of(request.getfixturevalue("redis_proc"), db_count=config.db_count)


@pytest.fixture(scope="session")
def provision_services(
    mysql_server: MysqlServer, redis_server: RedisServer
) -> Callable[[str], ServiceConfig]:
    """Factory: `provision_services(slug)` makes a database, a user and two Redis databases."""
    return lambda slug: provision(mysql_server, redis_server, slug)


@pytest.fixture(scope="session")
def bake_project(
    tmp_path_factory: pytest.TempPathFactory,
    provision_services: Callable[[str], ServiceConfig],
) -> Callable[..., Bake]:
    """Factory: `bake_project(**answers)` -> a Bake with venv and services, one per answers.

    Bakes are cached for the session (per worker), so tests asking for the same answers share it.
    """
    cache: dict[tuple[tuple[str, Any], ...], Bake] = {}

    def bake(**answers: Any) -> Bake:
        key = tuple(sorted(answers.items()))
        if key not in cache:
            baked = Bake.render(tmp_path_factory.mktemp("bake"), **answers)
            baked.services = provision_services(baked.slug)
            cache[key] = baked
        return cache[key]

    return bake


@pytest.fixture(scope="session")
def default_bake(bake_project: Callable[..., Bake]) -> Bake:
    """The template baked with every default answer, ready to run against real servers."""
    return bake_project()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failing test, attach the logs of the background processes it ran or shared."""
    report = yield
    if report.failed:
        for managed in processes.LIVE:
            report.sections.append((f"log of {managed.name}", processes.tail(managed.log(), 300)))
    if call.when == "teardown":
        processes.LIVE[:] = [managed for managed in processes.LIVE if managed.alive()]
    return report


def matrix_summary(terminalreporter: Any) -> None:
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


TIMINGS = Timings()
SESSION_START = pytest.StashKey[float]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[SESSION_START] = time.time()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Every phase of every test, as the workers report it to the controller (support.timing)."""
    TIMINGS.add(
        report.nodeid,
        report.keywords,
        report.duration,
        getattr(report, "start", None),
        getattr(report, "stop", None),
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    matrix_summary(terminalreporter)
    timing_summary(terminalreporter, config)


def timing_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The time per tier and per module, unless this is an xdist worker or nothing ran."""
    if hasattr(config, "workerinput") or not TIMINGS.tiers:
        return
    wall = time.time() - config.stash[SESSION_START] if SESSION_START in config.stash else None
    terminalreporter.write_sep("=", "time per tier and per test module")
    for line in TIMINGS.lines(wall):
        terminalreporter.write_line(line)
