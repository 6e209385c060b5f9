"""What every benchmark shares: timing, medians, reports, throwaway servers and baked projects.

Benchmarks reuse the template tests' machinery (tests/conftest.py): the same rendering, the same
cached virtualenvs of a bake's requirements, the same per-bake MySQL database and Redis
databases. The servers are started here, with the same executors pytest-mysql and pytest-redis
use, in a temporary directory on free ports, so a benchmark run never touches anything else on
the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_DIR / "tests"))
sys.path.insert(0, str(TEMPLATE_DIR))

import conftest  # noqa: E402  (tests/conftest.py: bakes, venvs, servers)

MYSQLD = "/usr/sbin/mysqld"
MYSQLD_SAFE = "/usr/bin/mysqld_safe"
MYSQL_INSTALL_DB = "/usr/bin/mysql_install_db"
MYSQLADMIN = "/usr/bin/mysqladmin"
REDIS_SERVER = "/usr/bin/redis-server"


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def timed(action: Callable[[], object]) -> float:
    """Wall-clock seconds `action` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def machine() -> dict[str, Any]:
    """What the figures ran on, load included: the machine may be shared."""
    load1, load5, load15 = os.getloadavg()
    memory_kb = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "time_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }


@dataclass
class Report:
    """A benchmark's figures: printed as they come, written as JSON and Markdown at the end."""

    name: str
    command: str
    figures: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        what: str,
        value: float,
        unit: str,
        target: str | None = None,
        met: bool | None = None,
        **details: Any,
    ) -> None:
        """One figure; `met` is None when the figure has no target."""
        figure = {"what": what, "value": value, "unit": unit, "target": target, "met": met}
        figure.update(details)
        self.figures.append(figure)
        verdict = "" if met is None else ("  [target met]" if met else "  [target MISSED]")
        target_text = f" (target {target})" if target else ""
        print(f"{what}: {format_value(value)} {unit}{target_text}{verdict}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"note: {text}", flush=True)

    def markdown(self) -> str:
        lines = [
            f"### {self.name}",
            "",
            f"`{self.command}`",
            "",
            "| Figure | Value | Target | Met | Detail |",
            "| --- | --- | --- | --- | --- |",
        ]
        for figure in self.figures:
            met = {None: "", True: "yes", False: "**no**"}[figure["met"]]
            value = f"{format_value(figure['value'])} {figure['unit']}"
            detail = figure.get("summary", "")
            lines.append(
                f"| {figure['what']} | {value} | {figure['target'] or ''} | {met} | {detail} |"
            )
        lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def write(self, output_dir: Path | None) -> None:
        if output_dir is None:
            return
        output_dir.mkdir(parents=True, exist_ok=True)
        payload = {
            "name": self.name,
            "command": self.command,
            "machine": machine(),
            "figures": self.figures,
            "notes": self.notes,
        }
        (output_dir / f"{self.name}.json").write_text(json.dumps(payload, indent=2) + "\n")
        (output_dir / f"{self.name}.md").write_text(self.markdown())
        print(f"wrote {output_dir / self.name}.json and .md", flush=True)

    def missed(self) -> list[dict[str, Any]]:
        return [figure for figure in self.figures if figure["met"] is False]


def format_value(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def argument_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs and shorter loads: a smoke run"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="repetitions per figure (the median is quoted)"
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="directory for <name>.json and <name>.md"
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=TEMPLATE_DIR,
        help="the template checkout to bake (another commit's, for before/after figures)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a figure misses its target (errors under load always fail)",
    )
    return parser


def finish(report: Report, args: argparse.Namespace, failures: Sequence[str] = ()) -> int:
    """Write the report; the exit status says whether the hard requirements held."""
    report.write(args.output)
    missed = report.missed()
    print(f"machine: {json.dumps(machine())}", flush=True)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
    if failures:
        return 1
    if missed and args.strict:
        print(f"{len(missed)} figure(s) missed their target", file=sys.stderr)
        return 1
    return 0


def raise_open_files_limit(wanted: int = 65536) -> int:
    """Lift this process's (and so its children's) soft limit on open files toward `wanted`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


def require(paths: Sequence[str], hint: str) -> None:
    missing = [path for path in paths if not shutil.which(path)]
    if missing:
        raise SystemExit(f"not found: {', '.join(missing)}; {hint}")


@contextlib.contextmanager
def servers(workdir: Path) -> Iterator[tuple[conftest.MysqlServer, conftest.RedisServer]]:
    """A throwaway MariaDB and Redis on free loopback ports, data under `workdir`."""
    from pytest_mysql.executor import MySQLExecutor
    from pytest_redis.executor import RedisExecutor

    require(
        [MYSQLD, MYSQLD_SAFE, MYSQL_INSTALL_DB, MYSQLADMIN, REDIS_SERVER],
        conftest.SERVER_INSTALL_HINT,
    )
    mysql_dir = workdir / "mysql"
    redis_dir = workdir / "redis"
    mysql_dir.mkdir(parents=True)
    redis_dir.mkdir(parents=True)
    mysql_port, redis_port = conftest.free_port(), conftest.free_port()
    mysql = MySQLExecutor(
        mysqld_safe=Path(MYSQLD_SAFE),
        mysqld=Path(MYSQLD),
        admin_exec=MYSQLADMIN,
        logfile_path=str(mysql_dir / "mysql.log"),
        params="--max-connections=2000",
        base_directory=mysql_dir,
        user=conftest.MYSQL_OS_USER,
        host="127.0.0.1",
        port=mysql_port,
        install_db=MYSQL_INSTALL_DB,
    )
    redis = RedisExecutor(
        REDIS_SERVER,
        databases=16,
        redis_timeout=30,
        loglevel="notice",
        host="127.0.0.1",
        port=redis_port,
        datadir=redis_dir,
    )
    with mysql, redis:
        yield (
            conftest.MysqlServer(
                host="127.0.0.1",
                port=mysql_port,
                admin_connect_kwargs={
                    "unix_socket": mysql.unixsocket,
                    "user": conftest.MYSQL_OS_USER,
                    "connect_timeout": 5,
                },
            ),
            conftest.RedisServer("127.0.0.1", redis_port, None, first_db=0, db_count=16),
        )


def provision(
    mysql: conftest.MysqlServer, redis: conftest.RedisServer, slug: str
) -> conftest.ServiceConfig:
    """One bake's database, user and two Redis databases (conftest's provision_services)."""
    factory = conftest.provision_services.__wrapped__(mysql, redis)  # type: ignore[attr-defined]
    return factory(slug)


# --------------------------------------------------------------------------------------------
# Bakes
# --------------------------------------------------------------------------------------------


def render(template: Path, output_dir: Path, answers: Mapping[str, Any]) -> Path:
    """conftest.render_template for any checkout of the template (user config ignored)."""
    from cookiecutter.main import cookiecutter

    output_dir.mkdir(parents=True, exist_ok=True)
    project = cookiecutter(
        str(template),
        no_input=True,
        extra_context=dict(answers),
        output_dir=str(output_dir),
        default_config={
            "cookiecutters_dir": str(output_dir / ".cookiecutters"),
            "replay_dir": str(output_dir / ".cookiecutter_replay"),
        },
    )
    return Path(project)


def bake(
    output_dir: Path,
    services: conftest.ServiceConfig | None = None,
    template: Path = TEMPLATE_DIR,
    **extra_context: Any,
) -> conftest.Bake:
    """Render `template` with no input and attach the cached venv (built if missing)."""
    path = render(template, output_dir, extra_context)
    context = {**conftest.template_defaults(), **extra_context}
    venv = conftest.ensure_project_venv(path, str(context["python_version"]))
    empty = conftest.ServiceConfig("", "", "", "", "", "")
    return conftest.Bake(path, context, venv, services or empty)


def run(
    command: Sequence[str | Path],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800,
) -> subprocess.CompletedProcess[str]:
    """Run a command; a failure stops the benchmark with the command's output."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(conftest.describe_result(result, cwd))
    return result


@contextlib.contextmanager
def workspace(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary directory for one benchmark run, removed afterwards unless `keep`."""
    path = Path(tempfile.mkdtemp(prefix=f"pulsewatch-bench-{prefix}-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def rss_kib(pid: int) -> int:
    """Resident set size of one process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def children(pid: int) -> list[int]:
    """Direct child processes of `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)
