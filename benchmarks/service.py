"""The baked service under load: its gunicorn.conf.py, MariaDB and Redis on loopback, wrk.

The default bake runs as its image runs it (`sh docker/entrypoint.sh web`, production settings,
JSON logs to a file), with a Celery worker (`sh docker/entrypoint.sh worker`). wrk, on the same
machine, loads each endpoint at 10, 100 and 1000 connections:

* /healthz (no dependency), /ready (database, cache and broker checks),
* /api/v1/users/me/ with a JWT (DRF; authentication reads the user from the database),
* /metrics with the METRICS_TOKEN bearer (merges every worker's samples).

Then the load checks of the reliability issue (1000 connections for 30 s on /healthz and /ready,
a mixed DRF load at 100 connections for 30 s: users/me for several users, /api/v1/info/ and
the staff heartbeat endpoint, which enqueues a task the worker runs), each required to have no
error; what the template's middleware costs over Django's own `startproject` list
(benchmarks/programs/bare_settings.py): requests/s of /api/v1/info/ and /api/v1/users/me/
through each stack in alternate gunicorn servers (reported), and the CPU it adds per request in
one process, which --strict holds to ADDED_CPU_TARGET_MS (--overhead-only runs that alone); the
RSS of a gunicorn worker and of the Celery worker after all that; and, unless --quick, the
gunicorn settings one would try first for the 1000-connection latency (more workers, threads
with keep-alive, no worker recycling).

An error is a socket error (connect, read, write, timeout after --timeout) or a response that
is not 2xx.

    python benchmarks/service.py [--quick] [--load-only | --overhead-only] [--runs N] [--strict]
                                 [--output DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import harness
import requests
from support.bakes import Bake
from support.processes import LoggedProcess
from support.servers import free_port

WRK = shutil.which("wrk") or "/usr/bin/wrk"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "report.lua"
# Programs the benchmark runs in the bake (`python -c`), and the settings module of the bare stack.
PROGRAMS = Path(__file__).resolve().parent / "programs"
LEVELS = (10, 100, 1000)
SOAK_SECONDS = 30
# The reliability issue asks 1000 connections of the probes; the mixed API load runs at 100,
# the level the API figures above show it serving in well under the client timeout.
MIXED_CONNECTIONS = 100
WRK_TIMEOUT = "10s"


def program(name: str) -> str:
    """The source of benchmarks/programs/<name>.py, for `python -c` in the bake."""
    return (PROGRAMS / f"{name}.py").read_text()


@dataclass
class Load:
    """One wrk run's figures."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    detail: dict[str, int]


def wrk(
    base_url: str, request_spec: str, connections: int, seconds: float, threads: int = 2
) -> Load:
    """Run wrk once; `request_spec` is WRK_REQUESTS for wrk/report.lua."""
    command = [
        WRK,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={WRK_TIMEOUT}",
        "-s",
        str(WRK_SCRIPT),
        base_url,
    ]
    env = {**os.environ, "WRK_REQUESTS": request_spec}
    result = harness.run(command, env=env, timeout=seconds + 120)
    settle(base_url)
    match = re.search(r"^WRK_JSON (\{.*\})$", result.stdout, re.MULTILINE)
    if not match:
        raise SystemExit(f"wrk printed no WRK_JSON line:\n{result.stdout}\n{result.stderr}")
    raw = json.loads(match.group(1))
    detail = {key: raw[key] for key in ("non2xx", "connect", "read", "write", "timeout")}
    duration = raw["duration_us"] / 1e6
    return Load(
        requests=raw["requests"],
        seconds=duration,
        rps=raw["requests"] / duration,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=sum(detail.values()),
        detail=detail,
    )


def combined(loads: list[Load]) -> Load:
    """Median figures of several runs; errors and requests summed."""
    detail = {key: sum(load.detail[key] for load in loads) for key in loads[0].detail}
    return Load(
        requests=sum(load.requests for load in loads),
        seconds=sum(load.seconds for load in loads),
        rps=harness.median([load.rps for load in loads]),
        p50_ms=harness.median([load.p50_ms for load in loads]),
        p95_ms=harness.median([load.p95_ms for load in loads]),
        p99_ms=harness.median([load.p99_ms for load in loads]),
        max_ms=max(load.max_ms for load in loads),
        errors=sum(detail.values()),
        detail=detail,
    )


def describe(load: Load) -> str:
    errors = ", ".join(f"{key} {value}" for key, value in load.detail.items() if value)
    return (
        f"{load.rps:.0f} req/s, p50 {load.p50_ms:.1f} ms, p95 {load.p95_ms:.1f} ms, "
        f"p99 {load.p99_ms:.1f} ms, max {load.max_ms:.0f} ms, {load.requests} requests, "
        f"{load.errors} errors{f' ({errors})' if errors else ''}"
    )


@dataclass
class Web:
    process: LoggedProcess
    base_url: str

    def workers(self) -> list[int]:
        return harness.children(self.process.pid)


@contextmanager
def web(bake: Bake, work: Path, name: str, env: dict[str, str | None]) -> Iterator[Web]:
    """gunicorn through the image's entrypoint, answering /healthz with every worker booted."""
    port = free_port()
    metrics_dir = work / f"prometheus-{name}"
    metrics_dir.mkdir(exist_ok=True)
    env = {**env, "PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    with bake.start(name, ["sh", "docker/entrypoint.sh", "web"], work, env) as proc:
        running = Web(proc, f"http://127.0.0.1:{port}")
        wanted = int(env.get("WEB_CONCURRENCY") or 2)
        proc.wait_until(
            lambda: requests.get(running.base_url + "/healthz", timeout=2).status_code == 200,
            timeout=120,
            what="answering /healthz",
        )
        proc.wait_until(
            lambda: len(re.findall(r"Booting worker with pid", proc.log())) >= wanted,
            timeout=60,
            what=f"running {wanted} workers",
        )
        yield running


def settle(base_url: str, timeout: float = 120) -> None:
    """Wait until the server has drained what wrk left queued and answers /healthz promptly.

    wrk stops with requests still in the listen backlog; sync workers serve those after the
    client has gone, so the next run would otherwise start against a busy server.
    """
    deadline = time.monotonic() + timeout
    fast = 0
    while time.monotonic() < deadline and fast < 3:
        started = time.monotonic()
        try:
            requests.get(base_url + "/healthz", timeout=5)
        except requests.RequestException:
            fast = 0
            continue
        fast = fast + 1 if time.monotonic() - started < 0.1 else 0
        time.sleep(0.2)


def warm_up(base_url: str, spec: str) -> None:
    """Every worker imports and connects before it is measured."""
    wrk(base_url, spec, connections=4, seconds=2)


def require_no_errors(report: harness.Report, failures: list[str], title: str, load: Load) -> None:
    """Report a load check's error count; any error is a failure of the run."""
    report.add(
        f"{title}: errors",
        load.errors,
        "errors",
        target="0",
        met=load.errors == 0,
        summary=describe(load),
    )
    if load.errors:
        failures.append(f"{title}: {describe(load)}")


@dataclass
class Run:
    """One benchmark run: its options, the bake under load, and what it has found so far."""

    args: argparse.Namespace
    work: Path
    bake: Bake
    env: dict[str, str | None]
    report: harness.Report
    failures: list[str]
    runs: int
    cell_seconds: float
    soak_seconds: float


def prepare(bake: Bake, env: dict[str, str | None]) -> dict[str, str]:
    """Migrations and static files, as a release runs them; wrk's requests, by label."""
    bake.manage("migrate", "--noinput", env=env)
    bake.manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    tokens = json.loads(bake.run("python", "-c", program("users_and_tokens"), env=env).stdout)
    targets = {
        "/healthz": "GET /healthz",
        "/ready": "GET /ready",
        "/api/v1/users/me/ (JWT, database)": f"GET /api/v1/users/me/ {tokens['users'][0]}",
        "/metrics (bearer)": f"GET /metrics {env['METRICS_TOKEN']}",
        "mixed": ";".join(
            [f"GET /api/v1/users/me/ {token}" for token in tokens["users"]]
            + ["GET /api/v1/info/", f"POST /api/v1/heartbeat/ {tokens['staff']}"]
        ),
        "token": tokens["users"][0],
    }
    return targets


def load_levels(run: Run, service: Web, targets: dict[str, str]) -> dict[str, Load]:
    """Each target at 10, 100 and 1000 connections; returns the 1000-connection probe soaks."""
    soaks: dict[str, Load] = {}
    for label in ("/healthz", "/ready", "/api/v1/users/me/ (JWT, database)", "/metrics (bearer)"):
        spec = targets[label]
        for connections in LEVELS:
            soak = connections == 1000 and label in {"/healthz", "/ready"}
            if run.args.load_only and not soak:
                continue
            if soak:
                load = wrk(service.base_url, spec, connections, run.soak_seconds)
                soaks[label] = load
            elif connections == 1000:
                # One longer run: at this level the queue, not the run, sets the figures.
                load = wrk(service.base_url, spec, connections, run.cell_seconds * 2)
            else:
                loads = [
                    wrk(service.base_url, spec, connections, run.cell_seconds)
                    for _ in range(run.runs)
                ]
                load = combined(loads)
            target, met = None, None
            if label == "/healthz" and connections == 1000:
                target, met = "p95 < 100 ms, 0 errors", load.p95_ms < 100 and not load.errors
            if label == "/ready" and connections == 10:
                target, met = "p99 < 20 ms", load.p99_ms < 20
            run.report.add(
                f"{label} at {connections} connections: requests/s",
                round(load.rps),
                "req/s",
                target=target,
                met=met,
                summary=describe(load),
                **load.__dict__,
            )
            print(f"    {describe(load)}", flush=True)
    return soaks


def load_checks(run: Run, service: Web, soaks: dict[str, Load], mixed: str) -> None:
    """The reliability issue's load checks: the probe soaks and the mixed DRF load, no error."""
    for label, load in soaks.items():
        title = f"soak {label}, 1000 connections for {run.soak_seconds} s"
        require_no_errors(run.report, run.failures, title, load)
    mixed_load = wrk(service.base_url, mixed, MIXED_CONNECTIONS, run.soak_seconds)
    print(f"    {describe(mixed_load)}", flush=True)
    require_no_errors(
        run.report,
        run.failures,
        f"mixed DRF load (users/me x8 users, info, heartbeat POST), {MIXED_CONNECTIONS} "
        f"connections for {run.soak_seconds} s",
        mixed_load,
    )


def memory(run: Run, service: Web, worker: LoggedProcess) -> None:
    """RSS of a gunicorn worker and of the Celery worker's processes, warmed by the loads."""
    worker_rss = [harness.rss_kib(pid) for pid in service.workers()]
    run.report.add("gunicorn worker RSS after load (largest)", max(worker_rss) / 1024, "MiB")
    pool = harness.children(worker.pid)
    run.report.add("Celery worker main process RSS", harness.rss_kib(worker.pid) / 1024, "MiB")
    if pool:
        pool_rss = max(harness.rss_kib(pid) for pid in pool)
        run.report.add(f"Celery pool process RSS (largest of {len(pool)})", pool_rss / 1024, "MiB")
    tasks_done = len(re.findall(r"succeeded in", worker.log()))
    run.report.note(f"the Celery worker ran {tasks_done} heartbeat tasks before its RSS was read")


# The views the overhead is measured on: a trivial one, where the stack's fixed cost shows most,
# and one that reads the database, as most API views do.
OVERHEAD_VIEWS = {
    "/api/v1/info/ (no database)": "/api/v1/info/",
    "/api/v1/users/me/ (JWT, database)": "/api/v1/users/me/",
}


# What the template may add to a request over Django's own `startproject` middleware, in CPU.
ADDED_CPU_TARGET_MS = 0.25


def overhead_under_load(run: Run, bare_env: dict[str, str | None], token: str) -> None:
    """Requests/s of the same views through the full and the bare stack, in alternate servers.

    A reported figure: through gunicorn and wrk on the same two cores it moves with the
    machine's load; the target is on the in-process CPU below.
    """
    specs = {view: f"GET {path} {token}" for view, path in OVERHEAD_VIEWS.items()}
    rps: dict[tuple[str, str], list[float]] = {}
    for pair in range(1 if run.args.quick else 2):
        for name, stack_env in (("full", run.env), ("bare", bare_env)):
            with web(run.bake, run.work, f"web-{name}-{pair}", stack_env) as running:
                for view, spec in specs.items():
                    warm_up(running.base_url, spec)
                    load = wrk(running.base_url, spec, 10, run.cell_seconds * 2)
                    rps.setdefault((view, name), []).append(load.rps)
    for view in specs:
        full, bare = rps[(view, "full")], rps[(view, "bare")]
        ratio = harness.median(full) / harness.median(bare)
        run.report.add(
            f"full / startproject stack requests/s, {view}, 10 connections",
            round(ratio, 3),
            "ratio",
            full_rps=full,
            bare_rps=bare,
        )
        print(f"    full {full} req/s, bare {bare} req/s", flush=True)


def overhead_in_process(run: Run, token: str) -> None:
    """CPU per request through the bake's middleware and through startproject's, one process.

    benchmarks/programs/stack_cpu.py: production settings, multiprocess metrics as under
    gunicorn, tracing off, 5 rounds of 300 requests through each stack in turn; the added CPU
    per request must stay within ADDED_CPU_TARGET_MS for each view.
    """
    metrics_dir = run.work / "prometheus-cpu"
    metrics_dir.mkdir(exist_ok=True)
    env = {**run.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "PYTHONPATH": str(PROGRAMS)}
    stacks = json.dumps({"full": None, "startproject": []})
    for view, path in OVERHEAD_VIEWS.items():
        result = run.bake.run("python", "-c", program("stack_cpu"), path, token, stacks, env=env)
        cpu = json.loads(result.stdout.strip().splitlines()[-1])["median_ms"]
        added = cpu["full"] - cpu["startproject"]
        run.report.add(
            f"CPU added per request over startproject's middleware, in-process, {view}",
            round(added, 3),
            "ms",
            target=f"<= {ADDED_CPU_TARGET_MS}",
            met=added <= ADDED_CPU_TARGET_MS,
            full_ms=cpu["full"],
            bare_ms=cpu["startproject"],
            load_average=os.getloadavg()[0],
            summary=f"{cpu['full']:.3f} ms full, {cpu['startproject']:.3f} ms startproject",
        )
        print(f"    {cpu['full']:.3f} ms CPU full, {cpu['startproject']:.3f} ms bare", flush=True)


def parse_arguments() -> argparse.Namespace:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the bake and logs")
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="only the load checks (no error under 1000 connections and the mixed API load); CI",
    )
    parser.add_argument(
        "--overhead-only",
        action="store_true",
        help="only the in-process CPU the stack adds over startproject's (about a minute)",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    if args.overhead_only:
        report = harness.Report("service_overhead", "make bench-overhead")
    else:
        report = harness.Report("service", "make bench-service")
    failures: list[str] = []
    limit = harness.raise_open_files_limit()
    if limit < 4096:
        failures.append(f"open files limit is {limit}; 1000 connections need more (ulimit -n)")

    with ExitStack() as stack:
        work = stack.enter_context(harness.workspace("service", keep=args.keep))
        mysql, redis = stack.enter_context(harness.servers_in(work / "servers"))
        bake = harness.bake(
            work / "bake", harness.provision(mysql, redis, "pulsewatch"), args.template
        )
        env = bake.prod_env(
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            JWT_ACCESS_TOKEN_MINUTES="600",  # noqa: S106 - a lifetime in minutes, no secret
            # Logs go to a file in this directory, as a container's go to its runtime.
            LOG_FORMAT="json",
        )
        run = Run(
            args,
            work,
            bake,
            env,
            report,
            failures,
            runs=args.runs or (1 if args.quick else 2),
            cell_seconds=3 if args.quick else 5,
            soak_seconds=10 if args.quick else SOAK_SECONDS,
        )
        targets = prepare(bake, env)
        if args.overhead_only:
            overhead_in_process(run, targets["token"])
            return harness.finish(report, args, failures)
        worker_command = ["sh", "docker/entrypoint.sh", "worker"]
        worker = stack.enter_context(bake.start("celery", worker_command, work, env))
        service = stack.enter_context(web(bake, work, "web", env))
        report.note(
            f"gunicorn: {len(service.workers())} sync workers (WEB_CONCURRENCY default), "
            f"gunicorn.conf.py as baked; wrk -t2 --timeout {WRK_TIMEOUT} on the same 2 cores"
        )
        for label in (
            "/healthz",
            "/ready",
            "/api/v1/users/me/ (JWT, database)",
            "/metrics (bearer)",
        ):
            warm_up(service.base_url, targets[label])
        soaks = load_levels(run, service, targets)
        load_checks(run, service, soaks, targets["mixed"])
        if args.load_only:
            return harness.finish(report, args, failures)
        memory(run, service, worker)
        service.process.stop()

        bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bare_settings", "PYTHONPATH": str(PROGRAMS)}
        overhead_under_load(run, bare_env, targets["token"])
        overhead_in_process(run, targets["token"])
        if not args.quick:
            tune(bake, work, env, report, run.cell_seconds * 2)

    return harness.finish(report, args, failures)


# The settings one would try first for latency at 1000 connections, via the environment
# gunicorn.conf.py reads (GUNICORN_CMD_ARGS for what it does not).
TUNINGS: dict[str, dict[str, str | None]] = {
    "as baked (2 sync workers)": {},
    "2 sync workers recycled every 2000 requests (the earlier setting)": {
        "GUNICORN_CMD_ARGS": "--max-requests 2000 --max-requests-jitter 200"
    },
    "4 sync workers": {"WEB_CONCURRENCY": "4"},
    "2 workers x 4 threads (gthread, keep-alive)": {"GUNICORN_THREADS": "4"},
    "2 sync workers, preloaded app": {"GUNICORN_CMD_ARGS": "--preload"},
}


def tune(
    bake: Bake,
    work: Path,
    env: dict[str, str | None],
    report: harness.Report,
    seconds: float,
) -> None:
    """/healthz at 1000 connections under the gunicorn settings one would try first."""
    for index, (label, overrides) in enumerate(TUNINGS.items()):
        with web(bake, work, f"web-tune-{index}", {**env, **overrides}) as running:
            warm_up(running.base_url, "GET /healthz")
            load = wrk(running.base_url, "GET /healthz", 1000, seconds)
        report.add(
            f"tuning, /healthz at 1000 connections, {label}: p95",
            round(load.p95_ms, 1),
            "ms",
            summary=describe(load),
            **load.__dict__,
        )
        print(f"    {describe(load)}", flush=True)


if __name__ == "__main__":
    started = time.monotonic()
    try:
        status = main()
    except subprocess.TimeoutExpired as exc:
        raise SystemExit(f"timed out: {exc}") from exc
    print(f"took {time.monotonic() - started:.0f} s")
    raise SystemExit(status)
