"""A bake takes later template changes with cruft, and a replay bakes the same tree again.

Quick tier: git, cruft and cookiecutter only, no servers and no baked virtualenv.

The template is copied from this checkout (its tracked and untracked, not ignored, files) into a
git repository of its own, so the test can commit a change to it, as the template's maintainers
would. The bake is a git repository too, with a change of its own, and it pretends to have been
baked last year. `cruft update` renders the template at the bake's commit and at the new one in
scratch folders, running the hooks in each, and applies the difference with `git apply -3`. The
hooks write a fresh `.env` in both scratch folders, so the bake has to tell cruft to skip `.env`;
otherwise the whole three-way apply fails on `.env` (it is not in git's index), cruft falls back
to `git apply --reject` and leaves a `.env.rej` that `.gitignore` hides.

Every process runs with a scratch HOME, git configuration and cookiecutter configuration, so
the developer's own settings cannot change what the tests see.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
from support.bakes import TEMPLATE_DIR
from support.processes import describe_result

BIN = Path(sys.executable).parent
CRUFT = BIN / "cruft"
COOKIECUTTER = BIN / "cookiecutter"
BAKED = "{{cookiecutter.project_slug}}"

ANSWERS = {"project_name": "Uptime Desk"}
SLUG = "uptime_desk"
# What the template's maintainers change after the bake: one line of the README and a new file,
# both rendered with the bake's answers.
TEMPLATE_README_LINE = "Updated from the template for {{ cookiecutter.project_slug }}."
BAKED_README_LINE = f"Updated from the template for {SLUG}."
NEW_FILE = "docs/upgrading.md"
NEW_FILE_TEMPLATE = "# Upgrading {{ cookiecutter.project_name }}\n"
NEW_FILE_BAKED = "# Upgrading Uptime Desk\n"
# What the service's team changed after the bake.
LOCAL_README_LINE = "Owned by the uptime team."

CONFLICT_MARKER = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)
SECRET_NAMES = ("SECRET_KEY", "MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "JWT_SIGNING_KEY")


# --------------------------------------------------------------------------------------------
# Isolated processes
# --------------------------------------------------------------------------------------------


def isolated_env(home: Path) -> dict[str, str]:
    """The environment with a scratch HOME, git identity and cookiecutter configuration."""
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Template Test\n\temail = template-test@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
        "[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    config = home / "cookiecutter.yaml"
    config.write_text(
        f"cookiecutters_dir: {home / 'cookiecutters'}\nreplay_dir: {home / 'replay'}\n",
        encoding="utf-8",
    )
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "COOKIECUTTER_", "PYTHON", "VIRTUAL_ENV"))
    }
    return kept | {
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "COOKIECUTTER_CONFIG": str(config),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def run(
    *command: str | Path, cwd: Path, env: Mapping[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a command; with check, fail the test with its output unless it exits 0."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(describe_result(result, cwd), pytrace=False)
    return result


def git(repo: Path, env: Mapping[str, str], *args: str) -> str:
    return run("git", *args, cwd=repo, env=env).stdout


def commit_all(repo: Path, env: Mapping[str, str], message: str) -> str:
    git(repo, env, "add", "--all")
    git(repo, env, "commit", "--quiet", "--message", message)
    return git(repo, env, "rev-parse", "HEAD").strip()


def template_files() -> list[str]:
    """This checkout's files as git sees them: tracked or untracked, never ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # A tracked file deleted in the work tree is still listed by --cached.
    return [name for name in listed.split("\0") if name and (TEMPLATE_DIR / name).is_file()]


def status(repo: Path, env: Mapping[str, str]) -> dict[str, set[str]]:
    """`git status` as {"changed": paths, "ignored": paths}; untracked files count as changed."""
    lines = git(repo, env, "status", "--porcelain", "--ignored", "--untracked-files=all")
    result: dict[str, set[str]] = {"changed": set(), "ignored": set()}
    for line in lines.splitlines():
        result["ignored" if line.startswith("!!") else "changed"].add(line[3:])
    return result


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under root (not .git) -> (permission bits, content)."""
    return {
        path.relative_to(root).as_posix(): (stat.S_IMODE(path.stat().st_mode), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def dotenv(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2 and not pair[0].startswith("#")}


def cruft_skips(project: Path) -> set[str]:
    """The paths `cruft update` leaves alone: .cruft.json's skip plus pyproject's [tool.cruft]."""
    state = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return set(state.get("skip", [])) | set(
        pyproject.get("tool", {}).get("cruft", {}).get("skip", [])
    )


# --------------------------------------------------------------------------------------------
# A template repository and a bake made from it with cruft
# --------------------------------------------------------------------------------------------


class Setup:
    """The template's git copy and a committed cruft bake of it, "baked last year"."""

    def __init__(self, tmp_path: Path) -> None:
        self.env = isolated_env(tmp_path / "home")
        self.template = tmp_path / "template"
        for name in template_files():
            target = self.template / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE_DIR / name, target)
        git(self.template, self.env, "init", "--quiet")
        self.baked_commit = commit_all(self.template, self.env, "The template as baked")

        self.create = run(
            CRUFT,
            "create",
            self.template,
            "--no-input",
            "--extra-context",
            json.dumps(ANSWERS),
            "--output-dir",
            tmp_path / "out",
            cwd=tmp_path,
            env=self.env,
        )
        self.project = tmp_path / "out" / SLUG
        self.env_bytes = (self.project / ".env").read_bytes()

        # The LICENSE says the year it was rendered in; an old bake says an older year than
        # cruft's scratch renders will, and that must not get in the way of an update.
        license_file = self.project / "LICENSE"
        this_year = f"Copyright (c) {datetime.datetime.now(datetime.UTC).year} "
        text = license_file.read_text(encoding="utf-8")
        assert text.count(this_year) == 1, f"no {this_year!r} line in LICENSE"
        self.old_license = text.replace(this_year, "Copyright (c) 2020 ")
        license_file.write_text(self.old_license, encoding="utf-8")

        git(self.project, self.env, "init", "--quiet")
        commit_all(self.project, self.env, "Baked")
        # The team's own change, committed, which the update must keep.
        readme = self.project / "README.md"
        lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
        readme.write_text(
            "".join([lines[0], f"\n{LOCAL_README_LINE}\n", *lines[1:]]), encoding="utf-8"
        )
        self.bake_head = commit_all(self.project, self.env, "Our own change")

    def cruft(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(CRUFT, *args, cwd=self.project, env=self.env, check=check)

    def change_template(self) -> str:
        """The maintainers' change: a README line and a new file; returns the new commit."""
        readme = self.template / BAKED / "README.md"
        text = readme.read_text(encoding="utf-8")
        readme.write_text(f"{text.rstrip()}\n\n{TEMPLATE_README_LINE}\n", encoding="utf-8")
        new_file = self.template / BAKED / NEW_FILE
        new_file.parent.mkdir(parents=True, exist_ok=True)
        new_file.write_text(NEW_FILE_TEMPLATE, encoding="utf-8")
        return commit_all(self.template, self.env, "Improve the template")


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_cruft_bake_records_the_template_and_is_up_to_date(setup: Setup) -> None:
    state = json.loads((setup.project / ".cruft.json").read_text(encoding="utf-8"))
    assert state["template"] == str(setup.template)
    assert state["commit"] == setup.baked_commit
    assert state["context"]["cookiecutter"]["project_name"] == ANSWERS["project_name"]

    # .env exists with its secrets, private, and is not committed: the bake's tree is clean.
    assert dotenv(setup.project / ".env")["SECRET_KEY"] != "change-me-secret-key"
    assert stat.S_IMODE((setup.project / ".env").stat().st_mode) == 0o600
    assert ".env" not in git(setup.project, setup.env, "ls-files").split()
    assert status(setup.project, setup.env) == {"changed": set(), "ignored": {".env"}}
    # cruft's scratch renders each get a fresh .env; the update must never diff it.
    assert ".env" in cruft_skips(setup.project), (
        "the bake does not tell cruft to skip .env: `cruft update` would fail its three-way "
        'apply on it and leave .env.rej; add `[tool.cruft]` `skip = [".env"]` to the baked '
        "pyproject.toml"
    )

    checked = setup.cruft("check")
    assert "up to date" in checked.stdout, describe_result(checked)


def test_cruft_update_applies_template_changes_cleanly(setup: Setup) -> None:
    new_commit = setup.change_template()
    assert new_commit != setup.baked_commit

    outdated = setup.cruft("check", check=False)
    assert outdated.returncode != 0, describe_result(outdated)
    assert "out of date" in outdated.stdout, describe_result(outdated)

    # No --allow-untracked-files: the ignored .env must not make the tree look unclean.
    updated = setup.cruft("update", "--skip-apply-ask")
    output = updated.stdout + updated.stderr
    assert "has been updated" in output, describe_result(updated)
    # The symptom of a diff that does not apply three-way: cruft retries with --reject.
    assert "Failed to apply" not in output, describe_result(updated)
    assert "Rejected hunk" not in output, describe_result(updated)

    project = setup.project
    leftovers = [p for p in project.rglob("*") if p.suffix in {".rej", ".orig"}]
    assert leftovers == [], f"{leftovers}\n{describe_result(updated)}"
    for name, (_, content) in tree(project).items():
        marker = CONFLICT_MARKER.search(content.decode("utf-8", "replace"))
        assert marker is None, f"conflict marker in {name}"

    # The change arrived, rendered with the bake's answers, and the team's change stayed.
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.endswith(f"\n{BAKED_README_LINE}\n")
    assert f"\n{LOCAL_README_LINE}\n" in readme
    assert (project / NEW_FILE).read_text(encoding="utf-8") == NEW_FILE_BAKED
    numstat = git(project, setup.env, "diff", "HEAD", "--numstat", "--", "README.md").split()
    assert numstat[:2] == ["2", "0"], numstat  # a blank line and the new line, nothing removed

    # What the hooks generate stayed out: the same .env, still private; the old LICENSE year.
    assert (project / ".env").read_bytes() == setup.env_bytes
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    assert (project / "LICENSE").read_text(encoding="utf-8") == setup.old_license
    assert status(project, setup.env) == {
        "changed": {".cruft.json", "README.md", NEW_FILE},
        "ignored": {".env"},
    }
    assert git(project, setup.env, "rev-parse", "HEAD").strip() == setup.bake_head

    state = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert state["commit"] == new_commit
    assert state["context"]["cookiecutter"]["project_name"] == ANSWERS["project_name"]
    again = setup.cruft("check")
    assert "up to date" in again.stdout, describe_result(again)


# --------------------------------------------------------------------------------------------
# cookiecutter --replay
# --------------------------------------------------------------------------------------------


def test_replay_bakes_the_same_tree_with_fresh_secrets(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "home")
    config = env["COOKIECUTTER_CONFIG"]
    answers = {
        "ci_provider": "gitlab",
        "use_kubernetes": "yes",
        "open_source_license": "BSD-3-Clause",
    }
    first_run = run(
        COOKIECUTTER,
        "--no-input",
        "--config-file",
        config,
        "--output-dir",
        tmp_path / "first",
        TEMPLATE_DIR,
        *(f"{key}={value}" for key, value in (ANSWERS | answers).items()),
        cwd=tmp_path,
        env=env,
    )
    replays = list((tmp_path / "home" / "replay").glob("*.json"))
    assert len(replays) == 1, describe_result(first_run)
    recorded = json.loads(replays[0].read_text(encoding="utf-8"))["cookiecutter"]
    assert recorded["project_name"] == ANSWERS["project_name"]
    assert recorded["ci_provider"] == "gitlab"

    run(
        COOKIECUTTER,
        "--replay",
        "--config-file",
        config,
        "--output-dir",
        tmp_path / "second",
        TEMPLATE_DIR,
        cwd=tmp_path,
        env=env,
    )
    first = tree(tmp_path / "first" / SLUG)
    second = tree(tmp_path / "second" / SLUG)
    assert sorted(second) == sorted(first)
    # The answers were replayed, not the defaults: these files exist only for them.
    assert {".gitlab-ci.yml", "deploy/k8s/base/kustomization.yaml"} <= set(first)
    assert ".github/workflows/ci.yml" not in first
    differing = sorted(name for name in first if first[name] != second[name])
    assert differing == [".env"], differing

    # .env differs only in its secrets, each fresh; both are private.
    first_env = dotenv(tmp_path / "first" / SLUG / ".env")
    second_env = dotenv(tmp_path / "second" / SLUG / ".env")
    assert first_env.keys() == second_env.keys()
    for name in SECRET_NAMES:
        assert first_env[name] != second_env[name], name
    assert first[".env"][0] == second[".env"][0] == 0o600
