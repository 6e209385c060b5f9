"""Restarting the web process loses no request, behind a balancer configured as one should be.

Two gunicorn instances of the default bake (started by docker/entrypoint.sh under production
settings, two workers each, on the session's MariaDB and Redis) sit behind Debian's HAProxy,
which checks /ready on each and retries on the other instance a request that no worker read
(see RETRIES). wrk keeps 32 connections busy, from two seconds before to two seconds after
each of these:

* each instance in turn is given SIGTERM (what a pod or a container gets when it stops) and
  started again once it has exited, the next one only once HAProxy sees it UP;
* one instance is given SIGHUP (gunicorn's reload: new workers, then the old ones stop);
* workers are recycled by `max_requests` (GUNICORN_MAX_REQUESTS, set low here).

Each time, every request wrk sent is answered 2xx: wrk reports no socket error (connect, read,
write, timeout) and no non-2xx/3xx response, and HAProxy's counters say every answer was a 2xx.
A missing haproxy or wrk fails the test with the Debian package to install.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import requests
from support.bakes import Bake
from support.processes import LoggedProcess, fail, wait_for
from support.servers import free_port
from test_behaviour import booted_workers, entrypoint, prepare_release, production_env

pytestmark = pytest.mark.slow

CONNECTIONS = 32
# wrk runs from LOAD_MARGIN seconds before a scenario until as long after it, MAX_LOAD_SECONDS
# at most.
LOAD_MARGIN = 2
MAX_LOAD_SECONDS = 60
# A request may wait this long (HAProxy's retries and a busy machine) before wrk counts it lost.
REQUEST_TIMEOUT = "10s"
LOAD_PATH = "/api/v1/info/"
# Low enough that each instance soon replaces RECYCLED workers under load. The jitter spreads
# the two workers' retirements further apart than a worker takes to boot (it imports Django), as
# the defaults' (20000 and 2000) do at production rates: were both to restart together, requests
# would wait in the listen queue for seconds.
MAX_REQUESTS = 100
MAX_REQUESTS_JITTER = 100
RECYCLED = 3


def executable(name: str, package: str) -> str:
    """The program's path; a missing one fails the test naming the Debian package."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        fail(f"{name} not found: install it (Debian/Ubuntu: `apt-get install {package}`)")
    return found


# --------------------------------------------------------------------------------------------
# gunicorn instances
# --------------------------------------------------------------------------------------------


@dataclass
class Instance:
    """One web process (`entrypoint.sh web`) on its own port, which a test may restart."""

    name: str
    bake: Bake
    env: dict[str, str | None]
    run_dir: Path
    port: int
    process: LoggedProcess | None = None
    runs: list[LoggedProcess] = field(default_factory=list)

    def start(self) -> None:
        run = len(self.runs) + 1
        self.process = self.bake.start(
            f"{self.name}-{run}", entrypoint("web"), self.run_dir, env=self.env
        ).start()
        self.runs.append(self.process)

    @property
    def web(self) -> LoggedProcess:
        assert self.process is not None, f"{self.name} is not running"
        return self.process

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM to the gunicorn master alone, as a container's PID 1 gets; wait for its exit."""
        web = self.web
        os.kill(web.pid, signal.SIGTERM)
        try:
            code = web.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            fail(f"{self.name} did not exit within {timeout}s of SIGTERM")
        assert code == 0, f"{self.name} exited with {code} after SIGTERM:\n{web.log()[-3000:]}"
        web.stop()
        self.process = None

    def wait_until_ready(self) -> None:
        """Until /ready answers 200, asked directly, so HAProxy starts with both instances serving."""
        url = f"http://127.0.0.1:{self.port}/ready"
        self.web.wait_until(
            lambda: requests.get(url, timeout=5).status_code == 200, timeout=120, what="ready"
        )

    def log(self) -> str:
        return "".join(run.log() for run in self.runs)

    def close(self) -> None:
        for run in self.runs:
            run.stop()


def instance_env(
    bake: Bake, port: int, metrics_dir: Path, env: Mapping[str, str]
) -> dict[str, str | None]:
    # Each instance empties its own metrics directory when it starts (gunicorn.conf.py).
    return {**production_env(bake, port, env), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}


# --------------------------------------------------------------------------------------------
# HAProxy
# --------------------------------------------------------------------------------------------

# Health checks on /ready every second (faster while a server changes state), two to go down or
# up again; {retries} is where the retry policy goes.
HAPROXY_CONFIG = """\
global
    log stdout format raw local0
    stats socket {socket} mode 600 level admin

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 5s

frontend web
    bind 127.0.0.1:{port}
    default_backend gunicorn

backend gunicorn
    balance roundrobin
    option httpchk
    http-check send meth GET uri /ready
    http-check expect status 200
    default-server check inter 1s fastinter 250ms downinter 500ms fall 2 rise 2
{retries}
{servers}
"""
# A request is retried up to 3 times, each time on the other instance, when its connection was
# refused (the instance stopped listening) or closed before a byte of answer came back (it sat in
# a stopping instance's listen queue, never read by a worker). The second kind only for GET and
# HEAD: HAProxy cannot tell whether a worker began the request, and those are safe to send twice.
RETRIES = """\
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    http-request disable-l7-retry unless METH_GET"""


@dataclass
class Balancer:
    process: LoggedProcess
    socket: Path
    port: int

    def stats(self) -> list[dict[str, str]]:
        """`show stat`: one CSV row per frontend, backend and server."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(self.socket))
            client.sendall(b"show stat\n")
            chunks = []
            while chunk := client.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode().lstrip("# ")
        return list(csv.DictReader(text.splitlines()))

    def row(self, proxy: str, server: str) -> dict[str, str]:
        [found] = [r for r in self.stats() if r["pxname"] == proxy and r["svname"] == server]
        return found

    def wait_until(self, server: str, status: str, timeout: float = 90) -> None:
        """Until HAProxy's health checks give `server` this status (UP or DOWN)."""
        wait_for(
            lambda: self.row("gunicorn", server)["status"] == status,
            timeout,
            f"{server} {status} in HAProxy",
            self.process.log(),
        )


@contextlib.contextmanager
def balanced(
    bake: Bake, run_dir: Path, env: Mapping[str, str] | None = None
) -> Iterator[tuple[Balancer, dict[str, Instance]]]:
    """Two instances of the bake's web process behind HAProxy, both UP."""
    haproxy = executable("haproxy", "haproxy")
    instances = {}
    for name in ("a", "b"):
        port = free_port()
        metrics_dir = run_dir / f"prometheus-{name}"
        instance = Instance(
            name, bake, instance_env(bake, port, metrics_dir, env or {}), run_dir, port
        )
        instances[name] = instance
    servers = "\n".join(
        f"    server {name} 127.0.0.1:{instance.port}" for name, instance in instances.items()
    )
    port = free_port()
    config = run_dir / "haproxy.cfg"
    control = run_dir / "haproxy.sock"
    config.write_text(
        HAPROXY_CONFIG.format(socket=control, retries=RETRIES, port=port, servers=servers)
    )
    subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True, timeout=30)
    with contextlib.ExitStack() as stack:
        for instance in instances.values():
            stack.callback(instance.close)
            instance.start()
        for instance in instances.values():
            instance.wait_until_ready()
        process = stack.enter_context(
            LoggedProcess("haproxy", [haproxy, "-db", "-f", config], run_dir, env=dict(os.environ))
        )
        balancer = Balancer(process, control, port)
        wait_for(control.exists, 10, "HAProxy's stats socket", process.log())
        for name in instances:
            balancer.wait_until(name, "UP")
        yield balancer, instances


# --------------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    socket_errors: dict[str, int]
    non_2xx: int
    output: str


def parse_wrk(output: str) -> LoadResult:
    """wrk's summary; it prints the error lines only when there were errors."""
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    assert total, f"no request count in wrk's output:\n{output}"
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    if errors:
        socket_errors = dict(zip(socket_errors, map(int, errors.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return LoadResult(int(total[1]), socket_errors, int(non_2xx[1]) if non_2xx else 0, output)


@contextlib.contextmanager
def load(balancer: Balancer, max_seconds: int = MAX_LOAD_SECONDS) -> Iterator[list[LoadResult]]:
    """wrk on the balancer from LOAD_MARGIN seconds before the block until as long after it.

    wrk stops at SIGINT and prints its summary, so the load lasts as long as the scenario; the
    result is appended to the yielded list when the block ends.
    """
    wrk = executable("wrk", "wrk")
    url = f"http://127.0.0.1:{balancer.port}{LOAD_PATH}"
    command = [wrk, "--threads", "2", "--connections", str(CONNECTIONS)]
    command += ["--duration", f"{max_seconds}s", "--timeout", REQUEST_TIMEOUT, url]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    results: list[LoadResult] = []
    try:
        time.sleep(LOAD_MARGIN)
        yield results
        time.sleep(LOAD_MARGIN)
        assert process.poll() is None, f"the scenario outlasted wrk's {max_seconds}s"
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    results.append(parse_wrk(output))
    print(f"load: {results[0].requests} requests in {time.monotonic() - started:.1f}s")


def assert_nothing_lost(balancer: Balancer, result: LoadResult) -> None:
    """No request failed, timed out, was reset or answered anything but 2xx."""
    print(result.output)
    frontend = balancer.row("web", "FRONTEND")
    backend = balancer.row("gunicorn", "BACKEND")
    print(
        f"haproxy: {frontend['req_tot']} requests, {backend['wretr']} retried, "
        f"{backend['wredis']} redispatched"
    )
    assert result.requests > 100, f"hardly any load:\n{result.output}"
    assert result.socket_errors == dict.fromkeys(result.socket_errors, 0), result.output
    assert result.non_2xx == 0, result.output
    # wrk counts 3xx as success; HAProxy's counters say every answer was a 2xx. (The backend's:
    # the frontend also counts wrk's address check, a connection closed without a request.)
    for status in ("1xx", "3xx", "4xx", "5xx", "other"):
        assert backend[f"hrsp_{status}"] == "0", (status, backend, balancer.process.log())


@pytest.fixture(scope="module")
def released(default_bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Bake:
    """The default bake with its migrations applied and static files collected."""
    port = free_port()
    prepare_release(default_bake, production_env(default_bake, port, {}))
    return default_bake


def test_each_instance_restarted_in_turn_loses_no_request(released: Bake, tmp_path: Path) -> None:
    with balanced(released, tmp_path) as (balancer, instances):
        with load(balancer) as results:
            for name, instance in instances.items():
                started = time.monotonic()
                instance.stop()
                # As a rollout would, stop the next one only once this one serves again.
                balancer.wait_until(name, "DOWN")
                instance.start()
                balancer.wait_until(name, "UP")
                print(f"{name}: stopped, started and UP in {time.monotonic() - started:.1f}s")
        assert_nothing_lost(balancer, results[0])
        backend = balancer.row("gunicorn", "BACKEND")
        # The restarts met traffic: requests sent to a stopped instance went to the other one.
        assert int(backend["wredis"]) > 0, backend


def test_reload_with_sighup_loses_no_request(released: Bake, tmp_path: Path) -> None:
    with balanced(released, tmp_path) as (balancer, instances):
        web = instances["a"].web
        old_workers = booted_workers(web.log())
        with load(balancer) as results:
            os.kill(web.pid, signal.SIGHUP)
            web.wait_until(
                lambda: (
                    len(booted_workers(web.log()) - old_workers) == 2
                    and not any(psutil.pid_exists(int(pid)) for pid in old_workers)
                ),
                timeout=60,
                what="reloaded: two new workers, the old ones gone",
            )
        assert "Hang up: Master" in web.log()
        assert_nothing_lost(balancer, results[0])


def recycled(instance: Instance) -> int:
    """How many of the instance's workers max_requests has retired so far."""
    return instance.log().count("Autorestarting worker after current request")


def test_workers_recycled_by_max_requests_lose_no_request(released: Bake, tmp_path: Path) -> None:
    env = {
        "GUNICORN_MAX_REQUESTS": str(MAX_REQUESTS),
        "GUNICORN_MAX_REQUESTS_JITTER": str(MAX_REQUESTS_JITTER),
    }
    with balanced(released, tmp_path, env) as (balancer, instances):
        with load(balancer) as results:
            wait_for(
                lambda: all(recycled(instance) >= RECYCLED for instance in instances.values()),
                MAX_LOAD_SECONDS - 10,
                f"{RECYCLED} workers recycled by each instance",
                "\n".join(instance.log()[-3000:] for instance in instances.values()),
            )
        print({name: recycled(instance) for name, instance in instances.items()})
        assert_nothing_lost(balancer, results[0])


def test_wrk_output_is_parsed() -> None:
    """The parser sees errors that wrk reports, so a clean result means a clean run."""
    output = textwrap.dedent(
        """\
        Running 10s test @ http://127.0.0.1:8000/
          2 threads and 32 connections
          4134 requests in 10.02s, 1.32MB read
          Socket errors: connect 0, read 3, write 0, timeout 2
          Non-2xx or 3xx responses: 7
        Requests/sec:    412.60
        """
    )
    result = parse_wrk(output)
    assert result.requests == 4134
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 2}
    assert result.non_2xx == 7
