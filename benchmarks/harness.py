"""What every benchmark shares: timing, medians, reports, throwaway servers and baked projects.

Benchmarks reuse the template tests' helpers (tests/support/): the same rendering, the same
cached virtualenvs of a bake's requirements, the same throwaway MariaDB and Redis (pytest-mysql's
and pytest-redis's executors, on free ports, data in a temporary directory) and the same per-bake
database and Redis databases, so a benchmark run never touches anything else on the machine.
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
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TEMPLATE_DIR / "tests"))
sys.path.insert(0, str(TEMPLATE_DIR))

from support import processes, servers  # noqa: E402  (tests/support/: bakes, venvs, servers)
from support.bakes import Bake, render_template  # noqa: E402
from support.servers import NO_SERVICES, MysqlServer, RedisServer, ServiceConfig  # noqa: E402

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


@contextlib.contextmanager
def servers_in(workdir: Path) -> Iterator[tuple[MysqlServer, RedisServer]]:
    """A throwaway MariaDB (2000 connections: the load checks open 1000) and Redis in `workdir`."""
    missing = [
        path
        for path in (
            servers.MYSQLD,
            servers.MYSQLD_SAFE,
            servers.MYSQL_INSTALL_DB,
            servers.REDIS_SERVER,
        )
        if not shutil.which(path)
    ]
    if missing:
        raise SystemExit(f"not found: {', '.join(missing)}; {servers.SERVER_INSTALL_HINT}")
    mysql = servers.mariadb(workdir / "mysql", params="--max-connections=2000")
    redis = servers.redis(workdir / "redis")
    with mysql, redis:
        yield MysqlServer.of(mysql), RedisServer.of(redis, db_count=16)


def provision(mysql: MysqlServer, redis: RedisServer, slug: str) -> ServiceConfig:
    """One bake's database, user and two Redis databases."""
    return servers.provision(mysql, redis, slug)


# --------------------------------------------------------------------------------------------
# Bakes
# --------------------------------------------------------------------------------------------


def render(template: Path, output_dir: Path, answers: Mapping[str, Any]) -> Path:
    """Bake any checkout of the template with no input (user config ignored)."""
    return render_template(output_dir, answers, template)


def bake(
    output_dir: Path,
    services: ServiceConfig | None = None,
    template: Path = TEMPLATE_DIR,
    **extra_context: Any,
) -> Bake:
    """Render `template` with no input and attach the cached venv (built if missing)."""
    return Bake.render(output_dir, services or NO_SERVICES, template, **extra_context)


def run(
    command: Sequence[str | Path],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800,
) -> Any:
    """Run a command; a failure stops the benchmark with the command's output."""
    try:
        return processes.run(command, cwd=cwd, env=env, timeout=timeout)
    except pytest.fail.Exception as failure:
        raise SystemExit(str(failure)) from None


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
    """Resident set size of one process (psutil)."""
    return int(psutil.Process(pid).memory_info().rss // 1024)


def children(pid: int) -> list[int]:
    """Direct child processes of `pid` (psutil)."""
    return sorted(child.pid for child in psutil.Process(pid).children())
