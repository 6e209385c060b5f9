"""Bake time: `cookiecutter --no-input` on the command line (default, all options), in-process.

The command-line figure is what a user waits for; it includes starting Python and importing
cookiecutter. The in-process figure (cookiecutter's `cookiecutter()` with everything imported)
is what the template itself costs: rendering, the answer checks and both hooks.

    python benchmarks/bake.py [--quick] [--runs N] [--output DIR]
"""

from __future__ import annotations

import os
import resource
import sys
from functools import partial
from pathlib import Path

import harness

TARGET_CLI_SECONDS = 0.3
ALL_OPTIONS = {
    "use_celery": True,
    "use_docker": True,
    "use_kubernetes": True,
    "frontend": "nextjs",
}
VARIANTS = {"default": {}, "all options": ALL_OPTIONS}


def cli_command(
    template: Path, output_dir: Path, config: Path, answers: dict[str, object]
) -> list[str]:
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    extra = [f"{key}={'yes' if value is True else value}" for key, value in answers.items()]
    return [
        str(cookiecutter),
        "--no-input",
        "--config-file",
        str(config),
        "-o",
        str(output_dir),
        str(template),
        *extra,
    ]


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes: less sensitive to load than wall."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def has_bytecode(package: str) -> bool:
    """Whether `package` was installed with compiled bytecode (pip does this, uv on request)."""
    module = __import__(package)
    return (Path(str(module.__file__)).parent / "__pycache__").is_dir()


def cli_figures(
    report: harness.Report, template: Path, work: Path, env: dict[str, str], runs: int
) -> None:
    """`cookiecutter --version`, then a CLI bake of each variant: wall and CPU time."""
    config = work / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {work / 'cookiecutters'}\nreplay_dir: {work / 'replay'}\n"
    )
    # What a bare start of the command costs, for comparison.
    version = [str(Path(sys.executable).parent / "cookiecutter"), "--version"]
    startup = [harness.timed(partial(harness.run, version, env=env)) for _ in range(runs)]
    report.add("cookiecutter --version (start-up and imports only)", harness.median(startup), "s")
    for label, answers in VARIANTS.items():
        times, cpu = [], []
        for run in range(runs + 1):
            output = work / f"cli-{label.replace(' ', '-')}-{run}"
            command = cli_command(template, output, config, answers)
            before = children_cpu()
            seconds = harness.timed(partial(harness.run, command, env=env))
            if run:  # the first run warms the page cache
                times.append(seconds)
                cpu.append(children_cpu() - before)
        report.add(
            f"CLI bake, {label}",
            harness.median(times),
            "s",
            target=f"<= {TARGET_CLI_SECONDS} s",
            met=harness.median(times) <= TARGET_CLI_SECONDS,
            runs=times,
        )
        report.add(
            f"CLI bake, {label}: CPU time (user + system, hooks included)",
            harness.median(cpu),
            "s",
            runs=cpu,
        )


def in_process_figures(report: harness.Report, template: Path, work: Path, runs: int) -> None:
    """cookiecutter() called in this process, everything imported: what the template costs."""
    for label, answers in VARIANTS.items():
        times = []
        for run in range(runs + 1):
            output = work / f"inproc-{label.replace(' ', '-')}-{run}"
            seconds = harness.timed(partial(harness.render, template, output, answers))
            if run:
                times.append(seconds)
        report.add(f"in-process bake, {label}", harness.median(times), "s", runs=times)


def main() -> int:
    parser = harness.argument_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--without-bytecode",
        action="store_true",
        help="run cookiecutter as if installed without compiled bytecode (the old .venv)",
    )
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    name = "bake-without-bytecode" if args.without_bytecode else "bake"
    report = harness.Report(name, "make bench-bake")
    env = {**os.environ}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's shell does not set it
    if not has_bytecode("cookiecutter"):
        report.note(
            "cookiecutter's venv has no compiled bytecode (installed by uv without "
            "--compile-bytecode): every start compiles it again; `make install` compiles it"
        )
    with harness.workspace("bake") as work:
        if args.without_bytecode:
            # An empty bytecode cache that nothing may write to: every import compiles.
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env["PYTHONPYCACHEPREFIX"] = str(work / "no-bytecode")
        cli_figures(report, args.template, work, env, runs)
        in_process_figures(report, args.template, work, runs)
    report.note(f"median of {runs} runs after one warm-up run; load average at the end below")
    return harness.finish(report, args)


if __name__ == "__main__":
    raise SystemExit(main())
