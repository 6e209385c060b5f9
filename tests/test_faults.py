"""A fresh bake survives the faults its README promises, with real processes killed and stopped.

The web process (gunicorn, 2 workers) and a Celery worker run as in test_behaviour.py, started by
docker/entrypoint.sh under production settings, but against a MariaDB and a Redis of this module's
own, which the tests stop and start again (the session's shared servers are never touched):

* Redis stopped: /healthz stays 200, /ready turns 503 naming the cache and the broker within 2 s,
  no probe takes longer than the check timeout, a page that does not need Redis still answers;
  Redis back: /ready is 200 within 5 s and the worker runs tasks again, nothing restarted.
* MariaDB stopped and started again: the same for the database, and every gunicorn worker's
  persistent connection is replaced (CONN_HEALTH_CHECKS) without a restart.
* A Celery pool process SIGKILLed in the middle of the heartbeat task, before and after the task
  took effect: the task is delivered again and completes, takes effect once, and no message is
  left in the queue or unacknowledged. A whole worker SIGKILLed the same way: a worker started
  afterwards runs the task again once CELERY_VISIBILITY_TIMEOUT (shortened here) has passed.
* A worker stopped as a container is, SIGTERM first (Celery's warm shutdown): the task it is
  running finishes there, once, and the worker exits 0; a second SIGTERM changes nothing. If it
  is stopped harder while the task runs, by SIGQUIT (Celery's cold shutdown) or by SIGKILL once
  the grace period is over, the task is delivered again to the next worker and takes effect once.
* A gunicorn worker SIGKILLed: the master boots another, and /metrics still counts every request,
  the dead worker's included.

To kill the task at a chosen point, the worker loads fault_injection.py (below) with
`entrypoint.sh worker --include`; it stalls the first delivery of a task whose id asks for it and
leaves every other task alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import textwrap
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from pytest_mysql.executor import MySQLExecutor
from pytest_redis.executor import RedisExecutor
from support import servers
from support.bakes import Bake
from support.processes import LoggedProcess, wait_for
from support.servers import MysqlServer, RedisServer
from test_behaviour import (
    Service,
    booted_workers,
    celery_ready,
    entrypoint,
    metric_value,
    per_process_counts,
    records_with,
    running_service,
)

pytestmark = pytest.mark.slow

# The bake's default HEALTH_CHECK_TIMEOUT, and the promises of the issue: /ready reports an
# outage within OUTAGE_SEEN_WITHIN seconds and a recovery within RECOVERY_SEEN_WITHIN.
CHECK_TIMEOUT = 2.0
OUTAGE_SEEN_WITHIN = 2.0
RECOVERY_SEEN_WITHIN = 5.0
# What a request may take beyond the check timeout on a loaded machine.
REQUEST_SLACK = 1.0
# The bake's default READINESS_CACHE_SECONDS: a worker may answer /ready from a round of checks
# this old, so every worker reports an outage once this much time has passed since it began.
READINESS_CACHED_FOR = 1.0
assert READINESS_CACHED_FOR < OUTAGE_SEEN_WITHIN


# --------------------------------------------------------------------------------------------
# Fault injection in the worker
# --------------------------------------------------------------------------------------------

FAULT_INJECTION = textwrap.dedent(
    '''
    """Stall a task at a chosen point on its first delivery, so a test can SIGKILL it there.

    A task id "stall-before-<x>" stalls before the task runs; "stall-after-<x>" stalls once the
    heartbeat has taken effect (right after it logs heartbeat_recorded), before it returns;
    "stall-pause-<x>" only pauses a few seconds before it runs, long enough to stop the worker
    meanwhile. The stalled process writes its pid to $FAULT_STALL_DIR/<task id>; a redelivery
    finds that file and runs normally.
    """

    import os
    import time
    from pathlib import Path

    from celery import current_task
    from celery.signals import task_prerun

    import core.tasks

    STALL_DIR = Path(os.environ["FAULT_STALL_DIR"])


    def stall_once(task_id, point, seconds=300):
        if not str(task_id).startswith(f"stall-{point}-"):
            return
        try:
            fd = os.open(STALL_DIR / task_id, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        time.sleep(seconds)


    @task_prerun.connect
    def stall_before(task_id=None, **kwargs):
        stall_once(task_id, "before")
        stall_once(task_id, "pause", seconds=4)


    class StallAfterRecording:
        def __init__(self, logger):
            self._logger = logger

        def __getattr__(self, name):
            return getattr(self._logger, name)

        def info(self, event, **kwargs):
            self._logger.info(event, **kwargs)
            if event == "heartbeat_recorded":
                stall_once(current_task.request.id, "after")


    core.tasks.logger = StallAfterRecording(core.tasks.logger)
    '''
)

ENQUEUE = (
    "from core.tasks import heartbeat; heartbeat.apply_async(task_id={task_id!r}, queue={queue!r})"
)

OUTCOME = textwrap.dedent(
    """
    import json
    from celery.result import AsyncResult
    from django.core.cache import cache
    from core.tasks import record_key
    result = AsyncResult({task_id!r}).get(timeout=60)
    print(json.dumps({{"result": result, "record": cache.get(record_key({task_id!r}))}}))
    """
)


def enqueue_heartbeat(service: Service, task_id: str, queue: str = "celery") -> None:
    code = ENQUEUE.format(task_id=task_id, queue=queue)
    service.bake.manage("shell", "-c", code, env=service.env)


def task_outcome(service: Service, task_id: str) -> dict[str, Any]:
    """The task's result (waiting for it) and the record it left in the cache."""
    code = OUTCOME.format(task_id=task_id)
    result = service.bake.manage("shell", "-c", code, env=service.env)
    outcome: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return outcome


# --------------------------------------------------------------------------------------------
# The service under test
# --------------------------------------------------------------------------------------------


@dataclass
class Lab:
    """The running service and the servers it depends on, which tests may stop."""

    service: Service
    redis: RedisExecutor
    mariadb: MySQLExecutor
    broker_db: int
    stall_dir: Path


def lab_servers(
    request: pytest.FixtureRequest, run_dir: Path
) -> tuple[MySQLExecutor, RedisExecutor]:
    """A MariaDB and a Redis of the module's own, from the binaries the plugins are set up with."""
    from pytest_mysql.config import get_config as mysql_config
    from pytest_redis.config import get_config as redis_config

    mysql, redis_exec = mysql_config(request), str(redis_config(request).exec)
    servers.require_executables(
        {
            "mysql_mysqld": mysql.mysqld,
            "mysql_mysqld_safe": mysql.mysqld_safe,
            "mysql_install_db": mysql.install_db,
            "redis_exec": redis_exec,
        },
        servers.SERVER_INSTALL_HINT,
    )
    mariadb = servers.mariadb(
        run_dir / "mariadb",
        mysqld=str(mysql.mysqld),
        mysqld_safe=str(mysql.mysqld_safe),
        install_db=str(mysql.install_db),
        admin=str(mysql.admin),
        params="--skip-log-bin",
    )
    return mariadb, servers.redis(run_dir / "redis", executable=redis_exec, databases=4)


def install_fault_injection(run_dir: Path) -> dict[str, str]:
    """fault_injection.py where the worker can import it; the environment that points there.

    Sign-ins are neither throttled nor locked out: the outage tests fail to log in many times.
    """
    inject_dir, stall_dir = run_dir / "inject", run_dir / "stalls"
    for directory in (inject_dir, stall_dir):
        directory.mkdir()
    (inject_dir / "fault_injection.py").write_text(FAULT_INJECTION)
    return {
        "PYTHONPATH": str(inject_dir),
        "FAULT_STALL_DIR": str(stall_dir),
        "AUTH_THROTTLE_RATE": "10000/min",
        "LOGIN_FAILURE_LIMIT": "100000",
    }


WORKER_ARGS = ["--include", "fault_injection", "--concurrency", "2"]


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The default bake's web process and worker, on a MariaDB and a Redis of this module's own."""
    run_dir = tmp_path_factory.mktemp("faults")
    env = install_fault_injection(run_dir)
    mariadb, redis = lab_servers(request, run_dir)
    with mariadb, redis:
        services = servers.provision(
            MysqlServer.of(mariadb), RedisServer.of(redis, db_count=4), "faults"
        )
        bake = Bake.render(run_dir / "bake", services)
        with running_service(bake, run_dir, env=env, worker_args=WORKER_ARGS) as service:
            broker_db = int(services.celery_broker_url.rsplit("/", 1)[1])
            yield Lab(service, redis, mariadb, broker_db, Path(env["FAULT_STALL_DIR"]))


@pytest.fixture
def lab_up(lab: Lab) -> Iterator[Lab]:
    """The lab with both servers running before and after the test, whatever it stopped."""
    yield lab
    for server in (lab.redis, lab.mariadb):
        if not server.running():
            server.start()


# --------------------------------------------------------------------------------------------
# Probes during an outage
# --------------------------------------------------------------------------------------------


def probe(service: Service, path: str) -> tuple[requests.Response, float]:
    """GET `path`; fails the test if it takes longer than the check timeout allows."""
    started = time.monotonic()
    try:
        response = service.get(path, timeout=CHECK_TIMEOUT + REQUEST_SLACK)
    except requests.Timeout:
        pytest.fail(f"{path} hung past {CHECK_TIMEOUT + REQUEST_SLACK}s", pytrace=False)
    return response, time.monotonic() - started


def failing_checks(response: requests.Response) -> set[str]:
    return {name for name, check in response.json()["checks"].items() if check["status"] != "ok"}


def seconds_until_ready_is(service: Service, status: int, within: float) -> float:
    """Poll /ready until it answers `status`; fail if that takes longer than `within`."""
    started = time.monotonic()
    last = None
    while time.monotonic() - started < within:
        last, _ = probe(service, "/ready")
        if last.status_code == status:
            return time.monotonic() - started
        time.sleep(0.1)
    body = last.text if last is not None else "(no answer)"
    pytest.fail(f"/ready did not answer {status} within {within}s; last: {body}", pytrace=False)


def live_gunicorn_workers(service: Service) -> set[str]:
    return {pid for pid in booted_workers(service.web.log()) if psutil.pid_exists(int(pid))}


def assert_outage_handled(service: Service, down: set[str], since: float) -> None:
    """/ready 503 naming exactly `down`, quickly; /healthz and a page needing neither still 200.

    Asked once every worker's cached round predates the outage (`since`, a monotonic time),
    two at a time, so both gunicorn workers answer.
    """
    time.sleep(max(0.0, since + READINESS_CACHED_FOR - time.monotonic()))
    paths = ["/ready", "/healthz", "/api/v1/info/"] * 4
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda path: probe(service, path), paths))
    for path, (response, took) in zip(paths, answers, strict=True):
        if path == "/ready":
            assert response.status_code == 503, response.text
            assert failing_checks(response) == down, response.text
            assert took <= CHECK_TIMEOUT + REQUEST_SLACK, took
        else:
            assert response.status_code == 200, (path, response.text)


def test_redis_outage_and_recovery(lab_up: Lab) -> None:
    service = lab_up.service
    assert service.get("/ready").status_code == 200
    workers_before = live_gunicorn_workers(service)

    lab_up.redis.stop()
    stopped = time.monotonic()
    seen = seconds_until_ready_is(service, 503, within=OUTAGE_SEEN_WITHIN)
    assert_outage_handled(service, down={"cache", "broker"}, since=stopped)

    lab_up.redis.start()
    recovered = seconds_until_ready_is(service, 200, within=RECOVERY_SEEN_WITHIN)
    print(f"redis: /ready 503 after {seen:.2f}s, 200 again {recovered:.2f}s after restart")

    # Nothing was restarted: the same gunicorn workers, and the worker reconnects to the broker.
    assert live_gunicorn_workers(service) == workers_before
    assert service.worker.alive()
    task_id = f"after-redis-{uuid.uuid4()}"
    enqueue_heartbeat(service, task_id)
    outcome = task_outcome(service, task_id)
    assert outcome["result"] == outcome["record"], outcome


def token_attempts(service: Service, count: int = 8) -> list[int]:
    """Failed logins from several threads: each one queries the users table."""

    def attempt(_: int) -> int:
        response = service.request(
            "POST",
            "/api/v1/auth/token/",
            json={"email": "nobody@example.com", "password": "wrong"},
            timeout=30,  # password hashing, queued behind the other threads
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(attempt, range(count)))


def test_mariadb_outage_and_recovery(lab_up: Lab) -> None:
    service = lab_up.service
    # Both workers hold a persistent connection (CONN_MAX_AGE) when the server goes away.
    assert set(token_attempts(service)) == {401}
    workers_before = live_gunicorn_workers(service)

    lab_up.mariadb.stop()
    stopped = time.monotonic()
    seen = seconds_until_ready_is(service, 503, within=OUTAGE_SEEN_WITHIN)
    assert_outage_handled(service, down={"database:default"}, since=stopped)

    lab_up.mariadb.start()
    recovered = seconds_until_ready_is(service, 200, within=RECOVERY_SEEN_WITHIN)
    print(f"mariadb: /ready 503 after {seen:.2f}s, 200 again {recovered:.2f}s after restart")

    # Every worker's stale connection is noticed and replaced: no 500, no restart.
    assert set(token_attempts(service, count=12)) == {401}
    assert live_gunicorn_workers(service) == workers_before


# --------------------------------------------------------------------------------------------
# A worker process killed in the middle of a task
# --------------------------------------------------------------------------------------------


def broker_backlog(lab: Lab, queue: str = "celery") -> tuple[int, int]:
    """Messages waiting in `queue`, and messages delivered but not acknowledged (any queue)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=lab.redis.port, db=lab.broker_db)
    try:
        return int(client.llen(queue)), int(client.hlen("unacked"))
    finally:
        client.close()


@pytest.mark.parametrize("point", ["before", "after"])
def test_killed_task_is_delivered_again_and_takes_effect_once(lab_up: Lab, point: str) -> None:
    """SIGKILL the pool process running the heartbeat, before or after it took effect."""
    service = lab_up.service
    task_id = f"stall-{point}-{uuid.uuid4()}"
    enqueue_heartbeat(service, task_id)
    marker = lab_up.stall_dir / task_id
    service.worker.wait_until(
        lambda: marker.exists() and marker.read_text().isdigit(),
        timeout=30,
        what=f"stalling {task_id}",
    )
    os.kill(int(marker.read_text()), signal.SIGKILL)

    outcome = task_outcome(service, task_id)

    events = [r.get("event") for r in records_with(service.worker.log(), task_id=task_id)]
    recorded = records_with(service.worker.log(), task_id=task_id, event="heartbeat_recorded")
    assert len(recorded) == 1, events
    assert outcome["result"] == outcome["record"] == recorded[0]["at"], outcome
    again = events.count("heartbeat_already_recorded")
    assert again == (1 if point == "after" else 0), events
    assert re.search(r"exited with 'signal 9 \(SIGKILL\)'", service.worker.log())
    wait_for(lambda: broker_backlog(lab_up) == (0, 0), 10, "an empty queue", service.worker.log())


# A worker of its own for the next test, on a queue of its own, so the lab's worker (whose
# visibility timeout is the bake's ten minutes) neither takes the task nor restores it.
KILL_QUEUE = "faults-whole-worker"
SHORT_VISIBILITY_TIMEOUT = 3


@contextlib.contextmanager
def queue_worker(lab: Lab, name: str) -> Iterator[LoggedProcess]:
    service = lab.service
    env = {**service.env, "CELERY_VISIBILITY_TIMEOUT": str(SHORT_VISIBILITY_TIMEOUT)}
    args = [*entrypoint("worker"), "--include", "fault_injection", "--queues", KILL_QUEUE]
    args += ["--concurrency", "1", "--hostname", f"{name}@%h"]
    with service.bake.start(name, args, lab.stall_dir.parent, env=env) as worker:
        worker.wait_until(lambda: celery_ready(worker.log()), timeout=60, what="ready")
        yield worker


def assert_runs_again_once(lab: Lab, task_id: str, first: LoggedProcess, name: str) -> None:
    """A worker started now runs the task `first` left unfinished after it took effect: the
    task finds its effect recorded, returns it, and leaves the queue empty."""
    with queue_worker(lab, name) as successor:
        outcome = task_outcome(lab.service, task_id)
        recorded = records_with(first.log(), task_id=task_id, event="heartbeat_recorded")
        again = records_with(successor.log(), task_id=task_id, event="heartbeat_already_recorded")
        assert len(recorded) == 1, first.log()
        assert len(again) == 1, successor.log()
        assert outcome["result"] == outcome["record"] == recorded[0]["at"], outcome
        wait_for(
            lambda: broker_backlog(lab, KILL_QUEUE) == (0, 0),
            10,
            "an empty queue",
            successor.log(),
        )


def test_task_of_a_killed_worker_runs_again_on_another(lab_up: Lab) -> None:
    """SIGKILL a whole worker (main process and pool) after the task took effect; a worker
    started afterwards runs it again once the visibility timeout has passed, to the same effect."""
    service = lab_up.service
    task_id = f"stall-after-{uuid.uuid4()}"
    marker = lab_up.stall_dir / task_id
    with queue_worker(lab_up, "doomed") as doomed:
        enqueue_heartbeat(service, task_id, queue=KILL_QUEUE)
        doomed.wait_until(
            lambda: marker.exists() and marker.read_text().isdigit(),
            timeout=30,
            what=f"stalling {task_id}",
        )
        doomed.kill(signal.SIGKILL)
    assert broker_backlog(lab_up, KILL_QUEUE) == (0, 1), "the task should wait unacknowledged"

    assert_runs_again_once(lab_up, task_id, doomed, "successor")


def wait_until_stalled(worker: LoggedProcess, marker: Path) -> None:
    worker.wait_until(
        lambda: marker.exists() and marker.read_text().isdigit(),
        timeout=30,
        what=f"running {marker.name}",
    )


def test_warm_shutdown_lets_the_running_task_finish(lab_up: Lab) -> None:
    """SIGTERM to the worker's main process (a container's PID 1) while a task runs: the task
    finishes on that worker, once, and the worker exits 0."""
    service = lab_up.service
    task_id = f"stall-pause-{uuid.uuid4()}"
    with queue_worker(lab_up, "warm") as worker:
        enqueue_heartbeat(service, task_id, queue=KILL_QUEUE)
        wait_until_stalled(worker, lab_up.stall_dir / task_id)
        os.kill(worker.pid, signal.SIGTERM)
        time.sleep(0.5)
        # Celery >= 5.5 ignores a second SIGTERM: only SIGQUIT turns a warm shutdown cold.
        os.kill(worker.pid, signal.SIGTERM)
        assert worker.process.wait(timeout=30) == 0, worker.log()
    assert "Warm shutdown" in worker.log()
    recorded = records_with(worker.log(), task_id=task_id, event="heartbeat_recorded")
    assert len(recorded) == 1, worker.log()
    outcome = task_outcome(service, task_id)
    assert outcome["result"] == outcome["record"] == recorded[0]["at"], outcome
    assert broker_backlog(lab_up, KILL_QUEUE) == (0, 0)


@pytest.mark.parametrize("then", ["SIGQUIT", "SIGKILL"])
def test_task_cut_short_at_shutdown_runs_again_once(lab_up: Lab, then: str) -> None:
    """SIGTERM while a task that already took effect runs on, then a cold shutdown (SIGQUIT)
    or the grace period's end (SIGKILL to every process, as the kubelet does): the next worker
    runs the task again, to the same effect."""
    service = lab_up.service
    task_id = f"stall-after-{uuid.uuid4()}"
    with queue_worker(lab_up, f"stopped-by-{then.lower()}") as stopped:
        enqueue_heartbeat(service, task_id, queue=KILL_QUEUE)
        wait_until_stalled(stopped, lab_up.stall_dir / task_id)
        os.kill(stopped.pid, signal.SIGTERM)
        time.sleep(1)  # the grace period, while the warm shutdown waits for the task
        assert stopped.alive(), "the warm shutdown should wait for the running task"
        if then == "SIGQUIT":
            os.kill(stopped.pid, signal.SIGQUIT)
            stopped.process.wait(timeout=30)
        else:
            stopped.kill(signal.SIGKILL)
    assert "Warm shutdown" in stopped.log()
    # A cold shutdown puts the task back in the queue on its way out; after a SIGKILL it waits
    # unacknowledged for the visibility timeout.
    waiting = (1, 0) if then == "SIGQUIT" else (0, 1)
    assert broker_backlog(lab_up, KILL_QUEUE) == waiting, stopped.log()
    assert_runs_again_once(lab_up, task_id, stopped, f"after-{then.lower()}")


# --------------------------------------------------------------------------------------------
# A gunicorn worker killed
# --------------------------------------------------------------------------------------------

ALL_REQUESTS = "django_http_requests_before_middlewares_total"


def test_killed_gunicorn_worker_is_replaced_and_metrics_stay_right(lab_up: Lab) -> None:
    service = lab_up.service
    workers = live_gunicorn_workers(service)
    assert len(workers) == 2, workers
    victim = min(workers)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(10):  # until the victim served some, which must stay counted
            list(pool.map(lambda _: service.get("/healthz"), range(20)))
            if per_process_counts(service, ALL_REQUESTS).get(victim, 0) > 0:
                break
    before = metric_value(service.scrape(), ALL_REQUESTS)
    served_by_victim = per_process_counts(service, ALL_REQUESTS).get(victim, 0)
    assert served_by_victim > 0

    os.kill(int(victim), signal.SIGKILL)
    service.web.wait_until(
        lambda: len(live_gunicorn_workers(service) - workers) == 1,
        timeout=30,
        what="booting a worker in place of the killed one",
    )
    (replacement,) = live_gunicorn_workers(service) - workers

    sent = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(10):  # until the new worker served some
            codes = list(pool.map(lambda _: service.get("/healthz").status_code, range(20)))
            assert set(codes) == {200}, codes
            sent += len(codes)
            if per_process_counts(service, ALL_REQUESTS).get(replacement, 0) > 0:
                break
    counts = per_process_counts(service, ALL_REQUESTS)
    assert counts.get(replacement, 0) > 0, counts
    # The dead worker's counts stay in the sums; its live-only gauges went at child_exit, and
    # no sample names its pid.
    assert counts.get(victim, 0) == served_by_victim, counts
    assert not list(service.metrics_dir.glob(f"gauge_live*_{victim}.db"))
    scraped = service.scrape()
    assert f'pid="{victim}"' not in scraped
    after = metric_value(scraped, ALL_REQUESTS)
    assert after - before == sent + 1, (before, after, sent)  # +1: this scrape
