"""Wall time of the default bake's own test suite (`pytest` in the bake) on MariaDB and Redis.

The bake's virtualenv is the template tests' cached one; the run is what `make test` in the
bake does, coverage gate included. The slowest tests are listed, since they decide the figure.

    python benchmarks/baked_suite.py [--quick] [--runs N] [--output DIR]
"""

from __future__ import annotations

import re
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
        env = {"PYTHONDONTWRITEBYTECODE": None}
        bake.run("pytest", "-p", "no:cacheprovider", "-q", "--no-cov", "-x", env=env)  # warm-up
        times, durations = [], ""
        for _ in range(runs):
            result = None

            def suite() -> None:
                nonlocal result
                result = bake.run(
                    "pytest", "-p", "no:cacheprovider", "--durations=8", env=env, timeout=1200
                )

            times.append(harness.timed(suite))
            assert result is not None
            durations = "\n".join(
                line
                for line in result.stdout.splitlines()
                if re.match(r"^\d+\.\d+s (call|setup|teardown)", line)
            )
            summary = result.stdout.strip().splitlines()[-1]
        report.add(
            "baked suite wall time, default variant",
            round(harness.median(times), 2),
            "s",
            target=f"<= {TARGET_SECONDS:.0f} s",
            met=harness.median(times) <= TARGET_SECONDS,
            runs=times,
        )
        report.note(f"pytest said: {summary.strip('= ')}")
        print(f"slowest:\n{durations}", flush=True)
        report.note("slowest: " + "; ".join(durations.splitlines()[:5]))
    return harness.finish(report, args)


if __name__ == "__main__":
    raise SystemExit(main())
