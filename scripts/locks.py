"""Refresh the requirement locks the template ships, every package set in one go (`make locks`).

The template holds, under {{cookiecutter.project_slug}}/requirements/locks/<set>/, the compiled
base.txt, prod.txt and dev.txt of each Python package set its answers can produce (the
post-generation hook names the sets: Python version times Celery or not). A bake never resolves
anything: it keeps its set as requirements/*.txt.

For each set this bakes the template with the answers that select it, runs the bake's own
`make lock` (so the template writes exactly what a team's `make lock` would) and copies the
resulting locks back. With --upgrade the bake runs `make upgrade` instead, and with
--upgrade-package NAME `make upgrade package=NAME`.

    .venv/bin/python scripts/locks.py                     # after editing a requirements/*.in
    .venv/bin/python scripts/locks.py --upgrade           # every pin to its newest allowed release
    .venv/bin/python scripts/locks.py --upgrade-package django

The template's test group pins the uv the locks name in dev.txt; tests/test_locks.py fails
when a lock is stale and names this command.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
LOCK_NAMES = ("base.txt", "prod.txt", "dev.txt")


def post_gen_hook() -> ModuleType:
    """hooks/post_gen_project.py as a module: it names the lock sets and where they live."""
    spec = importlib.util.spec_from_file_location(
        "post_gen_project", TEMPLATE_DIR / "hooks" / "post_gen_project.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("hooks/post_gen_project.py cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = post_gen_hook()
LOCKS_DIR: Path = PROJECT_TEMPLATE / HOOK.LOCKS_DIR


@dataclass(frozen=True)
class LockSet:
    """One package set: the answers that select it and its directory in the template."""

    answers: dict[str, Any]

    @property
    def name(self) -> str:
        return str(HOOK.lock_set(self.answers))

    @property
    def directory(self) -> Path:
        return LOCKS_DIR / self.name


def lock_sets() -> list[LockSet]:
    """Every combination of the answers in LOCK_OPTIONS (cookiecutter.json's choices)."""
    raw = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
    choices: list[dict[str, Any]] = [{}]
    for option in HOOK.LOCK_OPTIONS:
        values = raw[option] if isinstance(raw[option], list) else [True, False]
        choices = [{**partial, option: value} for partial in choices for value in values]
    return [LockSet(answers) for answers in choices]


def bake(answers: dict[str, Any], output_dir: Path) -> Path:
    """The template baked with these answers (defaults otherwise), ignoring any user config.

    The hooks' "next steps" go to /dev/null: they are for people, and this bake is scratch.
    """
    from cookiecutter.main import cookiecutter

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            project = cookiecutter(
                str(TEMPLATE_DIR),
                no_input=True,
                extra_context=answers,
                output_dir=str(output_dir),
                default_config={
                    "cookiecutters_dir": str(output_dir / ".cookiecutters"),
                    "replay_dir": str(output_dir / ".cookiecutter_replay"),
                },
            )
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return Path(project)


def make_lock_in(
    project: Path, venv: Path, make_args: Sequence[str] = ("lock",)
) -> subprocess.CompletedProcess[str]:
    """The bake's own `make lock` (or `make upgrade ...`), with uv taken from `venv`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV"}
    }
    # A team's bake resolves with its .venv's interpreter; this scratch bake has none, and uv
    # would otherwise try to download a Python of the target version (the result is the same:
    # --python-version decides).
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return subprocess.run(
        ["make", "--no-print-directory", *make_args, f"VENV={venv}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def template_venv() -> Path:
    """The virtualenv this script runs in: the template's, whose uv the test group pins."""
    venv = Path(sys.prefix)
    if not (venv / "bin" / "uv").exists():
        sys.exit(f"no uv in {venv}: run this with the template's .venv/bin/python (make install)")
    return venv


def refresh(lock_set: LockSet, project: Path, make_args: Sequence[str]) -> str:
    """Run `make ...` in the set's bake and copy its locks back; a one-line report."""
    result = make_lock_in(project, template_venv(), make_args)
    if result.returncode != 0:
        raise RuntimeError(
            f"{lock_set.name}: make {' '.join(make_args)} failed\n{result.stdout}{result.stderr}"
        )
    changed = []
    for name in LOCK_NAMES:
        compiled = (project / "requirements" / name).read_text(encoding="utf-8")
        target = lock_set.directory / name
        if not target.exists() or target.read_text(encoding="utf-8") != compiled:
            target.write_text(compiled, encoding="utf-8")
            changed.append(name)
    return f"{lock_set.name}: {', '.join(changed) or 'unchanged'}"


def refresh_all(make_args: Sequence[str]) -> Iterator[str]:
    """Refresh every set. Baking changes the working directory, so the bakes come one at a
    time; resolving mostly waits on the index, so the `make` runs go side by side."""
    with tempfile.TemporaryDirectory(prefix="pulsewatch-locks-") as tmp:
        projects = []
        for lock_set in lock_sets():
            lock_set.directory.mkdir(parents=True, exist_ok=True)  # a new set starts empty
            projects.append((lock_set, bake(lock_set.answers, Path(tmp) / lock_set.name)))
        with ThreadPoolExecutor(max_workers=len(projects)) as pool:
            futures = [pool.submit(refresh, *project, make_args) for project in projects]
            for future in futures:
                yield future.result()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--upgrade", action="store_true", help="move every pin (make upgrade)")
    group.add_argument("--upgrade-package", metavar="NAME", help="move only NAME")
    args = parser.parse_args(argv)
    make_args = ["lock"]
    if args.upgrade:
        make_args = ["upgrade"]
    elif args.upgrade_package:
        make_args = ["upgrade", f"package={args.upgrade_package}"]
    stale = [path for path in LOCKS_DIR.iterdir() if path.name not in {s.name for s in lock_sets()}]
    for path in stale:  # a set no answer selects any more
        shutil.rmtree(path)
        print(f"{path.name}: removed (no answers select it)")
    try:
        for report in refresh_all(make_args):
            print(report)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
