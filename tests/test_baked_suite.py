"""The bake's own test suite as its developers run it: beside their running service, and with a
server down.

* `make test` on the same `.env` as a running `make worker` leaves that service alone: its
  sessions stay in the cache, the worker takes none of the tests' tasks, and the tests' broker
  database ends empty. The bake gets a Redis of its own here, so its test settings pick the test
  databases themselves (8 up from `.env`'s), as on a developer's machine.
* With MySQL or Redis unreachable, `make test` stops within seconds with one line naming the
  server and the variable that sets it, not a traceback per test.
* A rerun reuses the test database the run before left; with CI set, every run creates it afresh.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_client
from support.bakes import Bake
from support.servers import free_port, redis

pytestmark = pytest.mark.slow

# A key a developer's signed-in admin session would have in the cache database.
DEV_SESSION_KEY = ":1:django.contrib.sessions.cachedeveloper-session"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[redis_client.Redis]:
    """A Redis server with the usual 16 databases, for this test alone."""
    with redis(tmp_path / "redis") as server:
        client = redis_client.Redis(host=server.host, port=server.port)
        yield client
        client.close()


def database(client: redis_client.Redis, number: int) -> redis_client.Redis:
    kwargs = client.connection_pool.connection_kwargs
    return redis_client.Redis(host=kwargs["host"], port=kwargs["port"], db=number)


def test_make_test_leaves_a_running_service_alone(
    default_bake: Bake, own_redis: redis_client.Redis, tmp_path: Path
) -> None:
    """The suite's cache and Celery tests run while `make worker` serves the same `.env`."""
    port = own_redis.connection_pool.connection_kwargs["port"]
    env: dict[str, str | None] = {
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/1",
        "TEST_REDIS_URL": None,
        "TEST_CELERY_BROKER_URL": None,
        "WORKER_METRICS_PORT": "0",
    }
    cache, broker, test_broker = (database(own_redis, n) for n in (0, 1, 9))
    cache.set(DEV_SESSION_KEY, "signed-in")
    command = ["make", "worker", f"VENV={default_bake.venv}"]
    with default_bake.start("dev-worker", command, tmp_path, env=env) as worker:
        worker.wait_until(lambda: " ready." in worker.log(), timeout=120, what="ready")
        suite = default_bake.run(
            "pytest",
            "-p",
            "no:randomly",
            "--no-cov",
            "tests/integration/test_celery.py",
            "apps/users/tests/test_auth.py",
            env=env,
            check=False,
            timeout=900,
        )
        worker_log = worker.log()

    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert cache.get(DEV_SESSION_KEY) == b"signed-in"
    # The worker lists the task it knows at start; a task it took would log `...heartbeat[<id>]`.
    assert "heartbeat_recorded" not in worker_log, worker_log
    assert "core.tasks.heartbeat[" not in worker_log, worker_log
    assert broker.keys("celery-task-meta-*") == []
    assert test_broker.dbsize() == 0, test_broker.keys()


@pytest.mark.parametrize("variable", ["DATABASE_URL", "REDIS_URL"])
def test_a_server_down_stops_make_test_at_once_in_one_line(
    default_bake: Bake, variable: str
) -> None:
    port = free_port()
    closed = {
        "DATABASE_URL": f"mysql://nobody:secret@127.0.0.1:{port}/nothing",
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    env = {variable: closed[variable], "TEST_REDIS_URL": None}

    started = time.monotonic()
    done = default_bake.run("make", "test", f"VENV={default_bake.venv}", env=env, check=False)
    seconds = time.monotonic() - started

    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert seconds < 30, f"{seconds:.1f} s\n{output}"
    named = [line for line in output.splitlines() if f"127.0.0.1:{port}" in line]
    assert len(named) == 1, output
    assert variable in named[0], output
    assert "Traceback" not in output, output
    assert not re.search(r"\d+ (passed|failed|error)", output), output


def test_a_rerun_reuses_the_test_database_and_ci_creates_it_afresh(default_bake: Bake) -> None:
    # -v -s: Django says which it did ("Creating test database ...", "Using existing ...").
    args = ("pytest", "-p", "no:cacheprovider", "--no-cov", "-v", "-s")
    test = "tests/integration/test_base_models.py"

    def database_lines(ci: str | None) -> str:
        done = default_bake.run(*args, test, env={"CI": ci}, timeout=300)
        output = done.stdout + done.stderr
        return "\n".join(line for line in output.splitlines() if "test database" in line)

    database_lines(None)  # leaves the database, whichever run came before
    assert "Using existing test database" in database_lines(None)
    in_ci = database_lines("true")
    assert "Creating test database" in in_ci, in_ci
    assert "Using existing test database" not in in_ci, in_ci
