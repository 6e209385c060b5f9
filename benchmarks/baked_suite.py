"""Wall time of the default bake's own test suite (`pytest` in the bake) on MariaDB and Redis.

The bake's virtualenv is the template tests' cached one; the run is what `make test` in the
bake does, coverage gate included. Two figures: the first run, which creates the test database
and applies every migration (`--create-db`, as CI always does), and a rerun, which reuses the
database the run before left (what `make test` twice in a row does; a bake before --reuse-db
creates it again). The slowest tests of the last rerun are listed, since they decide the figure.
Beside each wall time, the CPU time of pytest and its subprocesses (user + system), which a
loaded machine inflates less; the database server's own CPU is not in it.

    python benchmarks/baked_suite.py [--quick] [--runs N] [--output DIR]
"""

from __future__ import annotations

import os
import re
import resource
from contextlib import ExitStack

import harness

TARGET_SECONDS = 10.0


def main() -> int:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    report = harness.Report("baked_suite", "make bench-suite")
    with ExitStack() as stack:
        work = stack.enter_context(harness.workspace("suite"))
        mysql, redis = stack.enter_context(harness.servers_in(work / "servers"))
        bake = harness.bake(
            work / "bake", harness.provision(mysql, redis, "pulsewatch"), args.template
        )
        # A user's shell writes bytecode; the tests' environment does not, so allow it here.
        # CI set would make the bake create the test database on every run.
        env = {"PYTHONDONTWRITEBYTECODE": None, "CI": None}
        bake.run("pytest", "-p", "no:cacheprovider", "-q", "--no-cov", "-x", env=env)  # warm-up
        durations, summary = "", ""

        cpu: dict[str, list[float]] = {"first": [], "rerun": []}

        def children_cpu() -> float:
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            return usage.ru_utime + usage.ru_stime

        def suite(kind: str, *extra: str) -> float:
            nonlocal durations, summary
            result = None
            cpu_before = children_cpu()

            def run() -> None:
                nonlocal result
                result = bake.run(
                    "pytest",
                    "-p",
                    "no:cacheprovider",
                    "--durations=8",
                    *extra,
                    env=env,
                    timeout=1200,
                )

            seconds = harness.timed(run)
            cpu[kind].append(round(children_cpu() - cpu_before, 2))
            assert result is not None
            durations = "\n".join(
                line
                for line in result.stdout.splitlines()
                if re.match(r"^\d+\.\d+s (call|setup|teardown)", line)
            )
            summary = result.stdout.strip().splitlines()[-1]
            return seconds

        loads: dict[str, list[float]] = {"first": [], "rerun": []}
        firsts, reruns = [], []
        for _ in range(runs):
            loads["first"].append(os.getloadavg()[0])
            firsts.append(suite("first", "--create-db"))
            loads["rerun"].append(os.getloadavg()[0])
            reruns.append(suite("rerun"))
        report.add(
            "baked suite wall time, default variant, first run (creates the test database)",
            round(harness.median(firsts), 2),
            "s",
            runs=firsts,
            load_average=loads["first"],
            summary=f"CPU {harness.median(cpu['first']):.1f} s (runs {cpu['first']})",
            cpu_seconds=cpu["first"],
        )
        report.add(
            "baked suite wall time, default variant, rerun (`make test` again)",
            round(harness.median(reruns), 2),
            "s",
            target=f"<= {TARGET_SECONDS:.0f} s",
            met=harness.median(reruns) <= TARGET_SECONDS,
            runs=reruns,
            load_average=loads["rerun"],
            summary=f"CPU {harness.median(cpu['rerun']):.1f} s (runs {cpu['rerun']})",
            cpu_seconds=cpu["rerun"],
        )
        report.note(f"pytest said: {summary.strip('= ')}")
        print(f"slowest:\n{durations}", flush=True)
        report.note("slowest: " + "; ".join(durations.splitlines()[:5]))
    return harness.finish(report, args)


if __name__ == "__main__":
    raise SystemExit(main())
