"""Remove what the chosen options do not need, write .env with fresh secrets, say what's next.

Runs in the generated project once every file is written. The template holds the compiled
requirement locks of every Python package set the options can produce; the bake keeps its own
set as requirements/*.txt and drops the others. .env.example is committed, so it
keeps its placeholders; .env gets a new random value for each placeholder, is readable by
its owner only (0600), and .gitignore keeps it out of git. No secret is written anywhere else.

It reads only the options' answers, which the pre-gen rules have limited to fixed choices, so
nothing a user types can break it. Stdlib only: it runs in cookiecutter's interpreter.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

# The only line cookiecutter renders: the options' answers, fixed choices checked by pre-gen.
OPTIONS_JSON = r"""{{ {
    "python_version": cookiecutter.python_version,
    "ci_provider": cookiecutter.ci_provider,
    "use_celery": cookiecutter.use_celery,
    "use_docker": cookiecutter.use_docker,
    "use_kubernetes": cookiecutter.use_kubernetes,
    "frontend": cookiecutter.frontend,
    "open_source_license": cookiecutter.open_source_license,
} | tojson }}"""


class Needs(NamedTuple):
    """Paths that only some values of an option need; the hook removes them for the others."""

    option: str
    needed: Callable[[object], bool]
    paths: tuple[str, ...]


# Option -> the files it brings. Every file an option adds is named here and nowhere else.
OPTION_FILES: tuple[Needs, ...] = (
    Needs("ci_provider", lambda value: value == "github", (".github",)),
    Needs("ci_provider", lambda value: value == "gitlab", (".gitlab-ci.yml",)),
    Needs(
        "use_celery",
        lambda value: value is True,
        (
            "config/celery.py",
            "config/settings/celery.py",
            "core/celery_metrics.py",
            "core/tasks.py",
            "core/api/heartbeat.py",
            "core/health/broker.py",
            "tests/integration/test_celery.py",
            "tests/integration/test_broker_health.py",
        ),
    ),
    Needs(
        "use_docker",
        lambda value: value is True,
        ("docker", ".dockerignore", "config/settings/build.py"),
    ),
    Needs("use_kubernetes", lambda value: value is True, ("deploy/k8s",)),
    Needs("frontend", lambda value: value == "nextjs", ("frontend",)),
    Needs("open_source_license", lambda value: value != "Proprietary", ("LICENSE",)),
)

# requirements/locks/<set>/{base,prod,dev}.txt: the locks of each package set, compiled by
# `make locks` in the template (no bake resolves anything). Only these answers change which
# Python packages a bake installs; tests/test_matrix.py proves it for every variant.
LOCKS_DIR = Path("requirements") / "locks"
LOCK_OPTIONS = ("python_version", "use_celery")


def lock_set(options: dict[str, object]) -> str:
    """The directory under requirements/locks/ holding the locks these answers install."""
    celery = "celery" if options["use_celery"] else "no-celery"
    return f"py{options['python_version']}-{celery}"


# Placeholder in .env.example -> random bytes for secrets.token_urlsafe. Each character of
# the result is one of [A-Za-z0-9_-] (6 bits), which needs no quoting in a database URL or
# .env file; 32 bytes give 43 characters, i.e. 256 bits. A placeholder may occur several
# times (MYSQL_PASSWORD is also inside DATABASE_URL): every occurrence gets the same value.
SECRET_BYTES: dict[str, int] = {
    "change-me-secret-key": 48,  # SECRET_KEY (Django): 64 characters
    "change-me-mysql-password": 32,  # MYSQL_PASSWORD and the password in DATABASE_URL
    "change-me-mysql-root-password": 32,  # MYSQL_ROOT_PASSWORD
    "change-me-metrics-token": 32,  # METRICS_TOKEN, the Bearer token for /metrics
    "change-me-jwt-signing-key": 48,  # JWT_SIGNING_KEY, signs the API's tokens
}
PLACEHOLDER = re.compile(r"change-me-[a-z0-9-]+")

NEXT_STEPS = """\
Wrote .env with fresh secrets (mode 0600, ignored by git; never commit it).
Next steps:
  cd {project_dir}
  make install     # .venv with the pinned requirements
  make db-setup    # MySQL database and user from .env, as root or through sudo (see README)
  make migrate
  make run         # development server on http://localhost:8000
"""


def fill_placeholders(text: str) -> str:
    """Replace each known placeholder with a fresh secret; leave unknown ones for the caller."""
    values = {placeholder: secrets.token_urlsafe(n) for placeholder, n in SECRET_BYTES.items()}
    return PLACEHOLDER.sub(lambda match: values.get(match.group(0), match.group(0)), text)


def write_private(path: Path, text: str) -> bool:
    """Create `path` with mode 0600; False if it already exists (it is never overwritten)."""
    try:
        # O_EXCL: fails if .env (or a symlink named .env) exists, so a hand-edited .env or
        # one with the database's real passwords survives a re-run of this hook, e.g. on a
        # later `cruft update`.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.chmod(path, 0o600)  # the umask may have removed bits; no other bits are ever set
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return True


def remove_unused(project_dir: Path, options: dict[str, object]) -> None:
    """Delete the files of option values that were not chosen."""
    for row in OPTION_FILES:
        if row.needed(options[row.option]):
            continue
        for relative in row.paths:
            path = project_dir / relative
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def install_locks(project_dir: Path, options: dict[str, object]) -> str | None:
    """Move this bake's lock set into requirements/ and drop the others; the error, if any.

    Nothing to do where requirements/locks/ is gone: the hook ran here before.
    """
    locks = project_dir / LOCKS_DIR
    chosen = locks / lock_set(options)
    if not locks.is_dir():
        return None
    if not chosen.is_dir():
        return (
            f"the template has no requirement locks for {lock_set(options)}"
            " (run `make locks` in the template)"
        )
    for lock in sorted(chosen.glob("*.txt")):
        lock.replace(project_dir / "requirements" / lock.name)
    shutil.rmtree(locks)
    return None


def main() -> int:
    project_dir = Path.cwd()
    options = json.loads(OPTIONS_JSON)
    remove_unused(project_dir, options)
    problem = install_locks(project_dir, options)
    if problem:
        print(f"ERROR: {problem}", file=sys.stderr)
        return 1
    example = project_dir / ".env.example"
    if not example.is_file():
        print(f"ERROR: {example.name} is missing, so there is no .env to write", file=sys.stderr)
        return 1
    text = fill_placeholders(example.read_text(encoding="utf-8"))
    leftover = PLACEHOLDER.search(text)
    if leftover:
        print(
            f"ERROR: .env.example has placeholder {leftover.group(0)!r} with no secret for it:"
            " add it to SECRET_BYTES in hooks/post_gen_project.py",
            file=sys.stderr,
        )
        return 1
    if not write_private(project_dir / ".env", text):
        print(".env exists already; left it unchanged.")
        return 0
    print(NEXT_STEPS.format(project_dir=project_dir), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
