"""Bake to green: from `cookiecutter --no-input` to a passing baked suite in a fresh virtualenv.

Two installers, as a user would run them: pip through the bake's own `make install` (a venv,
pip upgraded, requirements/dev.txt), and uv (`uv venv` and `uv pip install -r
requirements/dev.txt`). Cold means an empty download and build cache (mysqlclient is compiled
from source: PyPI has no Linux wheel); warm means the cache the cold run filled. The suite is
the bake's `pytest` with its coverage gate, on MariaDB and Redis. Every step's time is printed.

    python benchmarks/bake_to_green.py [--quick] [--output DIR]   (--quick: uv only)
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import harness
from support.bakes import clean_environ
from support.servers import MysqlServer, RedisServer, ServiceConfig
from support.venvs import find_python, find_uv

TARGET_COLD_SECONDS = 180.0


def user_env(cache: Path, services: ServiceConfig, python: str) -> dict[str, str]:
    """A user's shell: no test-runner variables, this run's caches and servers."""
    env = {
        key: value
        for key, value in clean_environ().items()
        if key not in {"PYTHONDONTWRITEBYTECODE", "PIP_CACHE_DIR", "UV_CACHE_DIR"}
    }
    env.update(services.env())
    env["PIP_CACHE_DIR"] = str(cache / "pip")
    env["UV_CACHE_DIR"] = str(cache / "uv")
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def bake_to_green(
    work: Path,
    installer: str,
    cache: Path,
    mysql: MysqlServer,
    redis: RedisServer,
) -> dict[str, float]:
    """One run; returns seconds per step and in total."""
    python = find_python("3.12")
    output = work / f"{installer}-{time.monotonic_ns()}"
    steps: dict[str, float] = {}
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    config = work / "cookiecutter-config.yaml"
    config.write_text(f"cookiecutters_dir: {work / 'cc'}\nreplay_dir: {work / 'replay'}\n")
    steps["bake"] = harness.timed(
        lambda: harness.run(
            [
                cookiecutter,
                "--no-input",
                "--config-file",
                config,
                "-o",
                output,
                harness.TEMPLATE_DIR,
            ]
        )
    )
    project = output / "pulsewatch"
    env = user_env(cache, harness.provision(mysql, redis, "pulsewatch"), python)
    uv = find_uv()
    if installer == "pip":
        install = [["make", "install", f"PYTHON={python}"]]
    else:
        install = [
            [uv, "venv", "--quiet", "--python", python, ".venv"],
            [
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                ".venv/bin/python",
                "-r",
                "requirements/dev.txt",
            ],
        ]
    steps["install"] = harness.timed(
        lambda: [harness.run(command, cwd=project, env=env) for command in install]
    )
    steps["suite"] = harness.timed(
        lambda: harness.run([".venv/bin/pytest", "-p", "no:cacheprovider"], cwd=project, env=env)
    )
    steps["total"] = sum(steps.values())
    return steps


def main() -> int:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    installers = ["uv"] if args.quick else ["uv", "pip"]
    runs = args.runs or 1
    report = harness.Report("bake_to_green", "make bench-green")
    with ExitStack() as stack:
        work = stack.enter_context(harness.workspace("green"))
        mysql, redis = stack.enter_context(harness.servers_in(work / "servers"))
        for installer in installers:
            cache = work / f"cache-{installer}"
            for temperature in ("cold", "warm"):
                totals = []
                for _ in range(runs):
                    if temperature == "cold":
                        for sub in ("pip", "uv"):
                            shutil.rmtree(cache / sub, ignore_errors=True)
                    steps = bake_to_green(work, installer, cache, mysql, redis)
                    totals.append(steps["total"])
                    print(
                        f"  {installer} {temperature}: "
                        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items()),
                        flush=True,
                    )
                median = harness.median(totals)
                report.add(
                    f"bake to green with {installer}, {temperature} cache",
                    round(median, 1),
                    "s",
                    target=f"< {TARGET_COLD_SECONDS:.0f} s" if temperature == "cold" else None,
                    met=median < TARGET_COLD_SECONDS if temperature == "cold" else None,
                    steps=steps,
                    runs=totals,
                )
    report.note("cold: empty PIP_CACHE_DIR/UV_CACHE_DIR, packages downloaded from PyPI")
    return harness.finish(report, args)


if __name__ == "__main__":
    raise SystemExit(main())
