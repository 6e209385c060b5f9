"""A read replica that stops or lags costs the default bake its help, never a request.

A MariaDB primary and a real replica of it (two local servers, MariaDB replication), the
default bake's web process (gunicorn, 2 workers) and worker with DATABASE_REPLICA_URL set:

* reads go to the replica (a group that only the replica holds is found), writes to the
  primary, and a request that writes and then reads sees its write although the replica holds
  it back (MASTER_DELAY);
* replica stopped: a sign-in and reads answer 200 from the primary, /ready answers 200
  "degraded" naming database:replica, the web log says so once and /metrics counts the
  fallbacks; replica started again: reads return to it;
* replication lagging past DATABASE_REPLICA_MAX_LAG_SECONDS: /metrics shows the lag, /ready is
  degraded, and reads go to the primary until the replica has caught up.

The web process runs production's settings with the project's routes plus two views (PROBE_URLS,
below) that report which alias served their reads.
"""

from __future__ import annotations

import contextlib
import secrets
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_mysql.executor import MySQLExecutor
from support import servers
from support.bakes import Bake
from support.processes import wait_for
from support.servers import MysqlServer, RedisServer
from test_behaviour import Service, metric_value, records_with, running_service

pytestmark = pytest.mark.slow

MAX_LAG = 2
RECHECK = 1

PROBE_SETTINGS = textwrap.dedent(
    """
    from config.settings.prod import *  # noqa: F403

    ROOT_URLCONF = "replica_probe_urls"
    """
)
PROBE_URLS = textwrap.dedent(
    '''
    """The project's routes, plus two views that say which database alias served their reads."""

    from uuid import uuid4

    from django.contrib.auth.models import Group
    from django.http import JsonResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    from config import urls


    @csrf_exempt
    def write_then_read(request):
        name = f"probe-{uuid4().hex}"
        Group.objects.create(name=name)
        reads = Group.objects.filter(name=name)
        return JsonResponse({"name": name, "read_from": reads.db, "seen": reads.exists()})


    def read(request):
        reads = Group.objects.filter(name=request.GET["name"])
        return JsonResponse({"read_from": reads.db, "seen": reads.exists()})


    urlpatterns = [
        path("probe/write-then-read", write_then_read),
        path("probe/read", read),
        *urls.urlpatterns,
    ]
    handler500 = urls.handler500
    '''
)


def execute(
    server: MySQLExecutor, sql: str, *params: Any, database: str | None = None
) -> tuple[Any, ...] | None:
    """Run one statement as the server's superuser (in `database`); its first row, if any."""
    import MySQLdb

    kwargs = MysqlServer.of(server).admin_connect_kwargs
    connection = MySQLdb.connect(**kwargs, **({"database": database} if database else {}))
    connection.autocommit(True)
    try:
        cursor = connection.cursor()
        cursor.execute(sql, params or None)
        row: tuple[Any, ...] | None = cursor.fetchone() if cursor.description else None
        return row
    finally:
        connection.close()


def caught_up(primary: MySQLExecutor, replica: MySQLExecutor, timeout: int = 30) -> None:
    """Wait until the replica has applied everything the primary has written so far."""
    status = execute(primary, "SHOW MASTER STATUS")
    assert status, "the primary writes no binary log"
    waited = execute(replica, "SELECT MASTER_POS_WAIT(%s, %s, %s)", status[0], status[1], timeout)
    assert waited is not None, status
    assert waited[0] is not None, "the replica's SQL thread is not running"
    assert waited[0] >= 0, f"the replica did not catch up within {timeout}s"


def start_replication(primary: MySQLExecutor, replica: MySQLExecutor) -> None:
    """The replica follows the primary from its current binary log position."""
    password = secrets.token_urlsafe(16)
    for host in ("localhost", "%"):
        execute(primary, f"CREATE USER 'repl'@'{host}' IDENTIFIED BY '{password}'")
        execute(primary, f"GRANT REPLICATION SLAVE ON *.* TO 'repl'@'{host}'")
    status = execute(primary, "SHOW MASTER STATUS")
    assert status, "the primary writes no binary log"
    execute(
        replica,
        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='repl', "
        "MASTER_PASSWORD=%s, MASTER_LOG_FILE=%s, MASTER_LOG_POS=%s, MASTER_CONNECT_RETRY=1",
        primary.port,
        password,
        status[0],
        status[1],
    )
    execute(replica, "START SLAVE")


def set_delay(replica: MySQLExecutor, seconds: int) -> None:
    """Make the replica apply each event `seconds` after the primary wrote it."""
    execute(replica, "STOP SLAVE")
    execute(replica, "CHANGE MASTER TO MASTER_DELAY=%s", seconds)
    execute(replica, "START SLAVE")


@dataclass
class Replication:
    service: Service
    primary: MySQLExecutor
    replica: MySQLExecutor
    database: str
    email: str
    password: str
    only_on_replica: str


def mysql_executors(request: pytest.FixtureRequest, run_dir: Path) -> list[MySQLExecutor]:
    """A primary that writes a binary log and a replica, from the binaries pytest-mysql uses."""
    from pytest_mysql.config import get_config

    mysql = get_config(request)
    servers.require_executables(
        {
            "mysql_mysqld": mysql.mysqld,
            "mysql_mysqld_safe": mysql.mysqld_safe,
            "mysql_install_db": mysql.install_db,
        },
        "install mariadb-server (Debian/Ubuntu: `apt-get install mariadb-server`): "
        "the replica test runs a MariaDB primary and a replica of it",
    )
    binaries = {
        "mysqld": str(mysql.mysqld),
        "mysqld_safe": str(mysql.mysqld_safe),
        "install_db": str(mysql.install_db),
        "admin": str(mysql.admin),
    }
    return [
        servers.mariadb(
            run_dir / "primary",
            params="--server-id=1 --log-bin=primary-bin --binlog-format=MIXED",
            **binaries,
        ),
        servers.mariadb(
            run_dir / "replica",
            params="--server-id=2 --skip-log-bin --relay-log=replica-relay --read-only",
            **binaries,
        ),
    ]


@pytest.fixture(scope="module")
def replication(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,
) -> Iterator[Replication]:
    run_dir = tmp_path_factory.mktemp("replica")
    (run_dir / "probe").mkdir()
    (run_dir / "probe" / "replica_probe_settings.py").write_text(PROBE_SETTINGS)
    (run_dir / "probe" / "replica_probe_urls.py").write_text(PROBE_URLS)
    primary, replica = mysql_executors(request, run_dir)
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=2) as pool:
        # Started side by side: each first runs mysql_install_db, seconds on a busy machine.
        started = {server: pool.submit(server.start) for server in (primary, replica)}
        for server, start in started.items():
            if start.exception() is None:
                stack.callback(server.stop)
        for start in started.values():
            start.result()  # the first failure, once every server that started will be stopped
        start_replication(primary, replica)
        services = servers.provision(MysqlServer.of(primary), redis_server, "replica")
        user = services.database_user
        for host in ("localhost", "%"):  # SHOW REPLICA STATUS, for the lag
            execute(primary, f"GRANT SLAVE MONITOR ON *.* TO '{user}'@'{host}'")
        bake = Bake.render(run_dir / "bake", services)
        replica_url = services.database_url.replace(f":{primary.port}/", f":{replica.port}/")
        env = {
            "DATABASE_REPLICA_URL": replica_url,
            "DATABASE_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
            "DATABASE_REPLICA_RECHECK_SECONDS": str(RECHECK),
            "DJANGO_SETTINGS_MODULE": "replica_probe_settings",
            "PYTHONPATH": str(run_dir / "probe"),
            "AUTH_THROTTLE_RATE": "10000/min",
            # Every /ready runs its checks, so it reports a change at once.
            "READINESS_CACHE_SECONDS": "0",
        }
        with running_service(bake, run_dir, env=env) as service:
            email, password = "reader@example.com", secrets.token_urlsafe(16)
            create = "from apps.users.models import User; User.objects.create_user({!r}, {!r})"
            bake.manage("shell", "-c", create.format(email, password), env=service.env)
            caught_up(primary, replica)
            # A group only the replica holds, with an id the primary will never hand out.
            only_on_replica = "only-on-the-replica"
            execute(
                replica,
                "INSERT INTO auth_group (id, name) VALUES (%s, %s)",
                10**9,
                only_on_replica,
                database=services.database_name,
            )
            yield Replication(
                service,
                primary,
                replica,
                services.database_name,
                email,
                password,
                only_on_replica,
            )


@pytest.fixture
def replicating(replication: Replication) -> Iterator[Replication]:
    """The replication as each test expects it and leaves it: running, no delay, caught up."""
    yield replication
    if not replication.replica.running():
        replication.replica.start()
    set_delay(replication.replica, 0)
    caught_up(replication.primary, replication.replica)


def read(service: Service, name: str) -> dict[str, Any]:
    response = service.get(f"/probe/read?name={name}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_until_reads_return_to_the_replica(replication: Replication) -> None:
    """Every worker (asked four times in a row) reads the replica's own group again."""
    service = replication.service
    wait_for(
        lambda: all(read(service, replication.only_on_replica)["seen"] for _ in range(4)),
        10,
        "reads from the replica again",
        service.web.log(),
    )


def write_held_back_by_the_replica(replication: Replication) -> dict[str, Any]:
    """A request that writes and reads a group while the replica delays every event by 60 s."""
    set_delay(replication.replica, 60)
    response = replication.service.request("POST", "/probe/write-then-read")
    assert response.status_code == 200, response.text
    written: dict[str, Any] = response.json()
    return written


def sign_in(replication: Replication) -> str:
    response = replication.service.request(
        "POST",
        "/api/v1/auth/token/",
        json={"email": replication.email, "password": replication.password},
    )
    assert response.status_code == 200, response.text
    access: str = response.json()["access"]
    return access


def ready(service: Service) -> dict[str, Any]:
    response = service.get("/ready")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_reads_go_to_the_replica_and_writes_to_the_primary(replicating: Replication) -> None:
    service = replicating.service

    assert read(service, replicating.only_on_replica) == {"read_from": "replica", "seen": True}
    written = service.request("POST", "/probe/write-then-read").json()
    on_primary = execute(
        replicating.primary,
        "SELECT COUNT(*) FROM auth_group WHERE name = %s",
        written["name"],
        database=replicating.database,
    )
    assert on_primary == (1,)
    assert ready(service)["status"] == "ok"


def test_a_request_reads_its_own_write_while_the_replica_lags_behind(
    replicating: Replication,
) -> None:
    written = write_held_back_by_the_replica(replicating)

    assert written["seen"], written
    assert written["read_from"] == "default", written
    # Another request reads the replica, which has not applied the write yet.
    assert read(replicating.service, written["name"]) == {"read_from": "replica", "seen": False}


def test_a_stopped_replica_sends_reads_to_the_primary_and_back(
    replicating: Replication,
) -> None:
    service = replicating.service
    replicating.replica.stop()

    token = sign_in(replicating)
    me = service.get("/api/v1/users/me/", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert read(service, replicating.only_on_replica) == {"read_from": "default", "seen": False}
    readiness = ready(service)
    assert readiness["status"] == "degraded", readiness
    assert readiness["checks"]["database:replica"]["status"] == "error", readiness
    assert readiness["checks"]["database:default"]["status"] == "ok", readiness
    assert records_with(service.web.log(), event="database_replica_unusable", reason="unreachable")
    fallbacks = metric_value(
        service.scrape(), "database_replica_fallback_reads_total", reason="unreachable"
    )
    assert fallbacks >= 1

    replicating.replica.start()
    wait_until_reads_return_to_the_replica(replicating)
    assert records_with(service.web.log(), event="database_replica_usable_again")
    assert sign_in(replicating)


def test_lag_over_the_limit_is_exported_and_sends_reads_to_the_primary(
    replicating: Replication,
) -> None:
    service = replicating.service
    written = write_held_back_by_the_replica(replicating)
    time.sleep(MAX_LAG + RECHECK + 0.5)  # the delayed write ages past the limit

    readiness = ready(service)
    assert readiness["status"] == "degraded", readiness
    assert readiness["checks"]["database:replica"]["error"] == "ReplicaLagging", readiness
    assert metric_value(service.scrape(), "database_replica_lag_seconds") > MAX_LAG
    for _ in range(4):  # both workers
        assert read(service, written["name"]) == {"read_from": "default", "seen": True}
    assert metric_value(service.scrape(), "database_replica_fallback_reads_total", reason="lagging")

    set_delay(replicating.replica, 0)
    caught_up(replicating.primary, replicating.replica)
    wait_until_reads_return_to_the_replica(replicating)
    assert metric_value(service.scrape(), "database_replica_lag_seconds") <= MAX_LAG
