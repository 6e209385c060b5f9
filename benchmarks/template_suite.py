"""Template suite throughput: variants fully verified per minute, two at a time on two cores.

"Fully verified" is what the template's slow tier does for a variant (tests/test_static.py,
tests/test_matrix.py's TestOtherPythonTrees): bake, ruff check, ruff format --check, mypy
(strict), `check --deploy` under production settings, `makemigrations --check`, and the bake's
own suite with its coverage gate on MariaDB and Redis. Virtualenvs come from the tests' cache
(built first, outside the clock); each step's median time is printed too, so a miss shows where
the time goes.

    python benchmarks/template_suite.py [--quick] [--output DIR]
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import harness
from support.servers import MysqlServer, RedisServer

TARGET_PER_MINUTE = 10.0
RENDER_LOCK = threading.Lock()
PARALLEL = 2
# Variants with distinct Python trees (the options that change Python), as the slow tier picks.
VARIANTS: list[dict[str, Any]] = [
    {},
    {"use_celery": False},
    {"python_version": "3.13"},
    {"use_docker": False},
    {"python_version": "3.13", "use_celery": False},
    {"use_celery": False, "use_docker": False},
]


def verify(
    work: Path,
    mysql: MysqlServer,
    redis: RedisServer,
    index: int,
    answers: dict[str, Any],
) -> dict[str, float]:
    """Every check of one variant; returns seconds per step."""
    steps: dict[str, float] = {}
    # cookiecutter changes the working directory while it renders: one bake at a time.
    with RENDER_LOCK:
        started = time.perf_counter()
        bake = harness.bake(work / f"variant-{index}", None, **answers)
        bake.services = harness.provision(mysql, redis, bake.slug)
        steps["bake"] = time.perf_counter() - started
    for name, action in (
        (
            "ruff",
            lambda: (bake.run("ruff", "check", "."), bake.run("ruff", "format", "--check", ".")),
        ),
        ("mypy", lambda: bake.run("mypy", ".", timeout=900)),
        (
            "check --deploy",
            lambda: bake.manage(
                "check", "--deploy", "--fail-level", "WARNING", env=bake.prod_env()
            ),
        ),
        ("makemigrations --check", lambda: bake.manage("makemigrations", "--check", "--dry-run")),
        ("pytest", lambda: bake.run("pytest", "-p", "no:cacheprovider", timeout=900)),
    ):
        steps[name] = harness.timed(action)
    return steps


def main() -> int:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    variants = VARIANTS[:2] if args.quick else VARIANTS[:4]
    report = harness.Report("template_suite", "make bench-template-suite")
    with ExitStack() as stack:
        work = stack.enter_context(harness.workspace("template-suite"))
        mysql, redis = stack.enter_context(harness.servers_in(work / "servers"))
        # Build (or find) every virtualenv first: the cache is what a developer's rerun sees.
        for index, answers in enumerate(variants):
            harness.bake(work / f"venv-{index}", None, **answers)
        started = time.perf_counter()
        with ThreadPoolExecutor(PARALLEL) as pool:
            results = list(
                pool.map(
                    lambda item: verify(work, mysql, redis, item[0], item[1]),
                    enumerate(variants),
                )
            )
        elapsed = time.perf_counter() - started
    per_minute = len(variants) / elapsed * 60
    report.add(
        f"variants fully verified per minute ({len(variants)} variants, {PARALLEL} at a time)",
        round(per_minute, 2),
        "per min",
        target=f">= {TARGET_PER_MINUTE:.0f}",
        met=per_minute >= TARGET_PER_MINUTE,
        elapsed=elapsed,
    )
    by_step: dict[str, list[float]] = defaultdict(list)
    for steps in results:
        for name, seconds in steps.items():
            by_step[name].append(seconds)
    for name, values in by_step.items():
        report.add(f"step {name}, median per variant", round(harness.median(values), 2), "s")
    report.note("two variants run side by side, as `make test` runs -n 2")
    return harness.finish(report, args)


if __name__ == "__main__":
    raise SystemExit(main())
