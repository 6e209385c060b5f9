"""A bake lets no secret out and keeps its security linting honest.

Quick tier, except the hundred bakes. Other tests prove the rest of the security promises:
`.env` is 0600 and gitignored (test_hooks.py), `check --deploy --fail-level WARNING` passes for
every Python tree of the matrix (test_matrix.py, test_static.py), /metrics needs its token and
session and CSRF cookies are Secure and HttpOnly under gunicorn (test_behaviour.py), the image
runs as non-root with no secret in a layer (test_containers.py), and the bake's own suite keeps
the API docs staff-only and credentials out of its logs.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
from support.bakes import read_dotenv, render_template

SECRET_VARIABLES: tuple[str, ...] = (
    "SECRET_KEY",
    "MYSQL_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "METRICS_TOKEN",
)
SECRET_VARIABLES += ("JWT_SIGNING_KEY",)
BAKES = 100


def quiet_bake(output_dir: Path) -> Path:
    """A bake with every default answer, without the post-gen hook's next steps on stdout."""
    with contextlib.redirect_stdout(io.StringIO()):
        return render_template(output_dir)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return quiet_bake(tmp_path_factory.mktemp("security"))


@pytest.mark.slow
def test_a_hundred_bakes_get_a_hundred_distinct_secrets(tmp_path: Path) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for number in range(BAKES):
        dotenv = read_dotenv(quiet_bake(tmp_path / str(number)) / ".env")
        for name in SECRET_VARIABLES:
            seen[name].add(dotenv[name])
    for name in SECRET_VARIABLES:
        assert len(seen[name]) == BAKES, name
    every_value = set().union(*seen.values())
    assert len(every_value) == BAKES * len(SECRET_VARIABLES), "a value was reused across variables"


def git(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git in the bake with no global or system configuration, as on a fresh machine."""
    env = os.environ | {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def test_committing_everything_commits_no_secret(project: Path, tmp_path: Path) -> None:
    """`git init && git add -A && git commit` on a fresh bake: no secret of .env in the commit."""
    secrets = [read_dotenv(project / ".env")[name] for name in SECRET_VARIABLES]
    assert all(len(value) >= 43 for value in secrets), "the hook did not write the secrets"
    for args in (["init", "--quiet"], ["add", "-A"], ["commit", "--quiet", "-m", "Baked"]):
        done = git(project, tmp_path, *args)
        assert done.returncode == 0, done.stderr

    committed = git(project, tmp_path, "ls-tree", "-r", "--name-only", "HEAD").stdout.split()
    assert ".env.example" in committed
    assert len(committed) > 50, committed
    assert ".env" not in committed
    patterns = [arg for value in secrets for arg in ("-e", value)]
    found = git(project, tmp_path, "grep", "--fixed-strings", "--files-with-matches", *patterns)
    assert found.returncode == 1, f"secrets committed in: {found.stdout}{found.stderr}"


def test_bandit_rules_are_on_and_every_exception_says_why(project: Path) -> None:
    """ruff's S (bandit) rules lint the bake; an inline `noqa: S...` must carry its reason.

    test_render.py runs ruff on every bake, so selecting the rules is what makes them hold.
    """
    lint = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "S" in lint["select"]
    assert not [code for code in lint.get("ignore", []) if code.startswith("S")]
    for pattern, codes in lint.get("per-file-ignores", {}).items():
        if any(code.startswith("S") for code in codes):
            assert pattern == "**/tests/**", (pattern, codes)
            assert set(codes) <= {"S101", "S105", "S106"}, codes
    unexplained = []
    for path in project.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.search(r"#\s*noqa:\s*([A-Z0-9, ]+)(.*)$", line)
            if match is None or not re.search(r"\bS\d+", match.group(1)):
                continue
            if not re.search(r"\w", match.group(2).lstrip(" #-")):
                unexplained.append(f"{path.relative_to(project)}:{number}: {line.strip()}")
    assert not unexplained, "bandit exceptions without a reason:\n" + "\n".join(unexplained)
