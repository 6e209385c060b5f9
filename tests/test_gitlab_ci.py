"""The baked project's GitLab pipeline (`ci_provider="gitlab"`), and CI left out (`"none"`).

Quick tier (bakes only, no virtualenv, no servers): `.gitlab-ci.yml` validates against the GitLab
CI schema vendored in check-jsonschema (offline); every job has a timeout and can be interrupted;
the test job's MySQL and Redis services match the URLs the settings read; every script line calls
a Makefile target, a `.venv/bin/` tool from the pinned requirements or a command the job's image
has; nothing template-shaped survives rendering. A bake without CI holds no CI file and no word
about one. Each checker is a plain function with a test that shows it rejecting a broken input.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import yaml
from support.bake_files import lines_matching, residue
from support.bakes import TEMPLATE_DIR, render_template, template_defaults
from support.ci_scripts import command_problems, pinned_requirements, shell_commands
from support.processes import describe_result

PYTHON_VERSIONS: list[str] = json.loads(
    (TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8")
)["python_version"]
PIPELINE = Path(".gitlab-ci.yml")
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"

# Top-level keys of .gitlab-ci.yml that are not jobs (https://docs.gitlab.com/ci/yaml/).
GLOBAL_KEYWORDS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "spec",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
    }
)
MAX_TIMEOUT_MINUTES = 60
DURATION_PART = re.compile(
    r"(?P<amount>\d+)\s*(?P<unit>hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b"
)
UNIT_MINUTES = {"h": 60.0, "m": 1.0, "s": 1 / 60}

# What a script line may call besides what ci_scripts allows everywhere: what the jobs' images
# bring (python and apt-get in python:*-slim, docker in docker:*).
IMAGE_COMMANDS = frozenset({"python", "apt-get", "docker"})
# The jobs that `make install` the development requirements (the `.python` template).
PYTHON_JOBS = ("lint", "test", "deploy-check", "supply-chain")
VARIABLE_REFERENCE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


# --------------------------------------------------------------------------------------------
# Checkers (plain functions, so the negative tests can prove they reject what they should)
# --------------------------------------------------------------------------------------------


def jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Job name -> the job with its `extends` templates merged in, as GitLab resolves it.

    Hidden keys (starting with a dot) are templates, not jobs.
    """
    return {
        name: resolve_extends(pipeline, name)
        for name in pipeline
        if name not in GLOBAL_KEYWORDS and not str(name).startswith(".")
    }


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """GitLab's `extends` merge: hashes merge key by key, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def resolve_extends(
    pipeline: dict[str, Any], name: str, seen: tuple[str, ...] = ()
) -> dict[str, Any]:
    if name in seen:
        raise ValueError(f"extends loop: {' -> '.join((*seen, name))}")
    job = pipeline[name]
    parents = job.get("extends", [])
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        merged = deep_merge(merged, resolve_extends(pipeline, parent, (*seen, name)))
    merged = deep_merge(merged, job)
    merged.pop("extends", None)
    return merged


def timeout_minutes(value: Any) -> float:
    """A GitLab duration ("15 minutes", "1h 30m") in minutes; ValueError if it is not one."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"timeout {value!r} is not a duration string")
    text = value.strip().lower()
    parts = list(DURATION_PART.finditer(text))
    if not parts or DURATION_PART.sub("", text).strip(" ,"):
        raise ValueError(f"timeout {value!r} is not a duration GitLab understands")
    return sum(int(part["amount"]) * UNIT_MINUTES[part["unit"][0]] for part in parts)


def timeout_problems(pipeline: dict[str, Any]) -> list[str]:
    """Jobs without a timeout of their own, or with one longer than an hour."""
    problems: list[str] = []
    for name, job in jobs(pipeline).items():
        if "timeout" not in job:
            problems.append(f"{name}: no timeout")
            continue
        try:
            minutes = timeout_minutes(job["timeout"])
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if not 0 < minutes <= MAX_TIMEOUT_MINUTES:
            problems.append(f"{name}: timeout {job['timeout']!r} is not within an hour")
    return problems


def job_variables(pipeline: dict[str, Any], job: dict[str, Any]) -> dict[str, str]:
    """Global variables overlaid with the job's, references ($VAR, ${VAR}) expanded."""
    raw = {**pipeline.get("variables", {}), **job.get("variables", {})}
    values = {
        key: str(value["value"] if isinstance(value, dict) else value) for key, value in raw.items()
    }

    def expand(text: str, depth: int = 0) -> str:
        if depth > 10:
            raise ValueError(f"variable references nest too deep in {text!r}")

        def replace(match: re.Match[str]) -> str:
            name = match[1] or match[2]
            return expand(values[name], depth + 1) if name in values else match[0]

        return VARIABLE_REFERENCE.sub(replace, text)

    return {key: expand(value) for key, value in values.items()}


def services(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Alias -> service of a job (GitLab's default alias is the image name without its tag)."""
    found: dict[str, dict[str, Any]] = {}
    for service in job.get("services", []):
        entry = {"name": service} if isinstance(service, str) else service
        alias = entry.get("alias") or entry["name"].split(":")[0].split("/")[-1]
        found[alias] = entry
    return found


def service_problems(pipeline: dict[str, Any], job_name: str) -> list[str]:
    """Why the job's MySQL and Redis services do not match the URLs the settings read."""
    job = jobs(pipeline)[job_name]
    found = services(job)
    variables = job_variables(pipeline, job)
    problems: list[str] = []
    if found.get("mysql", {}).get("name") != "mysql:8.4":
        problems.append(f"no mysql:8.4 service with alias mysql: {found}")
    if found.get("redis", {}).get("name") != "redis:7":
        problems.append(f"no redis:7 service with alias redis: {found}")
    mysql_command = " ".join(found.get("mysql", {}).get("command", []))
    if "--character-set-server=utf8mb4" not in mysql_command:
        problems.append(f"the mysql service does not default to utf8mb4: {mysql_command!r}")

    url = urlsplit(variables.get("DATABASE_URL", ""))
    expected = {
        "scheme": "mysql",
        "user": variables.get("MYSQL_USER"),
        "password": variables.get("MYSQL_PASSWORD"),
        "host": "mysql",
        "port": 3306,
        "database": variables.get("MYSQL_DATABASE"),
    }
    actual = {
        "scheme": url.scheme,
        "user": url.username,
        "password": url.password,
        "host": url.hostname,
        "port": url.port,
        "database": url.path.lstrip("/"),
    }
    for part, value in expected.items():
        if value is None or actual[part] != value:
            problems.append(f"DATABASE_URL {part} is {actual[part]!r}, the service's is {value!r}")
    if not variables.get("MYSQL_ROOT_PASSWORD"):
        problems.append("MYSQL_ROOT_PASSWORD is not set: the mysql image refuses to start")
    if variables.get("MYSQL_USER") == "root":
        problems.append("MYSQL_USER root: the mysql image creates root itself and refuses that")

    for variable in ("REDIS_URL", "CELERY_BROKER_URL"):
        redis = urlsplit(variables.get(variable, ""))
        if (redis.scheme, redis.hostname, redis.port) != ("redis", "redis", 6379):
            problems.append(f"{variable} {variables.get(variable)!r} is not the redis service")
    if variables.get("REDIS_URL") == variables.get("CELERY_BROKER_URL"):
        problems.append("the cache and the Celery broker share a Redis database")
    return problems


def script_lines(job: dict[str, Any]) -> list[str]:
    """before_script and script of a job, nested lists flattened as GitLab does."""

    def flatten(items: Any) -> Iterator[str]:
        for item in [items] if isinstance(items, str) else items:
            if isinstance(item, list):
                yield from flatten(item)
            else:
                yield str(item)

    return [
        *flatten(job.get("before_script", [])),
        *flatten(job.get("script", [])),
    ]


def script_problems(pipeline: dict[str, Any], project: Path) -> list[str]:
    pins = pinned_requirements(project)
    return [
        f"{name}: {line!r}: {problem}"
        for name, job in jobs(pipeline).items()
        for line in script_lines(job)
        for argv in shell_commands(line)
        for problem in command_problems(argv, project, pins, IMAGE_COMMANDS)
    ]


def job_commands(job: dict[str, Any]) -> list[str]:
    return [" ".join(argv) for line in script_lines(job) for argv in shell_commands(line)]


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against its vendored GitLab CI schema (no network)."""
    assert CHECK_JSONSCHEMA.exists(), (
        f"{CHECK_JSONSCHEMA} is missing: check-jsonschema is in pyproject.toml's test dependencies"
    )
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.gitlab-ci", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_yaml(text: str) -> Any:
    return yaml.safe_load(text)


# --------------------------------------------------------------------------------------------
# Bakes
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bake_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Factory: the template baked with these answers (defaults otherwise), cached per module."""
    cache: dict[str, Path] = {}

    def bake(**answers: str) -> Path:
        key = json.dumps(answers, sort_keys=True)
        if key not in cache:
            cache[key] = render_template(tmp_path_factory.mktemp("gitlab-ci"), answers)
        return cache[key]

    return bake


@pytest.fixture(scope="module")
def project(bake_for: Callable[..., Path]) -> Path:
    return bake_for(ci_provider="gitlab")


@pytest.fixture(scope="module")
def pipeline_text(project: Path) -> str:
    return (project / PIPELINE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pipeline(pipeline_text: str) -> dict[str, Any]:
    return cast(dict[str, Any], load_yaml(pipeline_text))


# --------------------------------------------------------------------------------------------
# The file and its schema
# --------------------------------------------------------------------------------------------


def test_gitlab_bake_has_the_pipeline_and_no_github_files(project: Path) -> None:
    assert (project / PIPELINE).is_file()
    assert not (project / ".github").exists()


def test_pipeline_matches_the_gitlab_ci_schema(project: Path) -> None:
    result = check_jsonschema(project / PIPELINE)
    assert result.returncode == 0, describe_result(result)


SCHEMA_MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "unknown-job-key": lambda doc: doc["test"].update({"timeout_minutes": 20}),
    "timeout-not-a-string": lambda doc: doc["lint"].update({"timeout": 15}),
    "interruptible-not-a-boolean": lambda doc: doc["default"].update({"interruptible": "yes"}),
    "artifacts-when-not-an-option": lambda doc: doc["test"]["artifacts"].update(
        {"when": "sometimes"}
    ),
    "retry-above-the-maximum": lambda doc: doc["default"]["retry"].update({"max": 5}),
    "script-not-a-list-of-strings": lambda doc: doc["deploy-check"].update(
        {"script": {"run": "make check"}}
    ),
}


@pytest.mark.parametrize("mutate", list(SCHEMA_MUTATIONS.values()), ids=list(SCHEMA_MUTATIONS))
def test_schema_check_rejects_a_broken_pipeline(
    pipeline: dict[str, Any], mutate: Callable[[dict[str, Any]], None], tmp_path: Path
) -> None:
    broken = copy.deepcopy(pipeline)
    mutate(broken)
    assert broken != pipeline, "the mutation found nothing to change"
    path = tmp_path / PIPELINE
    path.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    result = check_jsonschema(path)
    assert result.returncode != 0, describe_result(result)


def test_no_template_residue(project: Path) -> None:
    found = residue(project, [PIPELINE])
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS)
def test_python_image_comes_from_the_answer(
    bake_for: Callable[..., Path], python_version: str
) -> None:
    project = bake_for(ci_provider="gitlab", python_version=python_version)
    pipeline = load_yaml((project / PIPELINE).read_text(encoding="utf-8"))
    assert pipeline["default"]["image"] == f"python:{python_version}-slim"
    python_jobs = [name for name, job in jobs(pipeline).items() if "image" not in job]
    assert {"lint", "test", "deploy-check"} <= set(python_jobs)


# --------------------------------------------------------------------------------------------
# Robustness: timeouts, interruption, when pipelines run
# --------------------------------------------------------------------------------------------


def test_every_job_has_a_timeout(pipeline: dict[str, Any]) -> None:
    assert set(jobs(pipeline)) >= {"lint", "test", "deploy-check", "build-image"}
    assert timeout_problems(pipeline) == []


@pytest.mark.parametrize(
    ("job", "timeout"),
    [("lint", None), ("test", "forever"), ("deploy-check", "3 hours"), ("build-image", 30)],
)
def test_timeout_checker_rejects_missing_and_unbounded_timeouts(
    pipeline: dict[str, Any], job: str, timeout: Any
) -> None:
    broken = copy.deepcopy(pipeline)
    if timeout is None:
        del broken[job]["timeout"]
    else:
        broken[job]["timeout"] = timeout
    assert timeout_problems(broken) != []


def test_timeout_minutes_reads_gitlab_durations() -> None:
    assert timeout_minutes("15 minutes") == 15
    assert timeout_minutes("1h 30m") == 90
    assert timeout_minutes("1 hour") == 60
    for bad in ("", "soon", "15", "15 minutes and then some"):
        with pytest.raises(ValueError, match="timeout"):
            timeout_minutes(bad)


def test_every_job_is_interruptible(pipeline: dict[str, Any]) -> None:
    default = pipeline["default"].get("interruptible")
    for name, job in jobs(pipeline).items():
        assert job.get("interruptible", default) is True, f"{name} cannot be interrupted"
    assert pipeline["workflow"].get("auto_cancel", {}).get("on_new_commit") == "interruptible"


def test_pipelines_run_for_merge_requests_and_the_default_branch(pipeline: dict[str, Any]) -> None:
    conditions = [rule.get("if", "") for rule in pipeline["workflow"]["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in conditions
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in conditions
    # No rule without a condition: that would run a pipeline for every push to every branch.
    assert all(conditions), conditions


def test_stages_and_images_are_pinned(pipeline: dict[str, Any]) -> None:
    assert pipeline["stages"] == ["lint", "test", "build"]
    images = [pipeline["default"]["image"]] + [
        job["image"] for job in jobs(pipeline).values() if "image" in job
    ]
    images += [
        service["name"] for job in jobs(pipeline).values() for service in services(job).values()
    ]
    for image in images:
        tag = image.partition(":")[2]
        assert tag, f"{image} has no tag"
        assert tag != "latest", f"{image} is not pinned to a release"


def cache_entries(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A job's `cache:` as a list (GitLab takes one entry or a list of them)."""
    cache = job.get("cache", [])
    return [cache] if isinstance(cache, dict) else list(cache)


def test_pip_downloads_are_cached_inside_the_project(pipeline: dict[str, Any]) -> None:
    cache_dir = pipeline["variables"]["PIP_CACHE_DIR"]
    assert cache_dir.startswith("$CI_PROJECT_DIR/"), "GitLab caches only the project directory"
    cached = cache_dir.removeprefix("$CI_PROJECT_DIR/")
    for name in PYTHON_JOBS:
        paths = [path for entry in cache_entries(jobs(pipeline)[name]) for path in entry["paths"]]
        assert cached in paths, f"{name} does not keep {cached}"


def test_the_virtualenv_is_cached_per_lock_and_interpreter(pipeline: dict[str, Any]) -> None:
    """`.venv` is kept under a key of the lock files and the Python version, so a job never
    finds packages of another lock, and the jobs after the first download nothing."""
    version = pipeline["default"]["image"].removeprefix("python:").removesuffix("-slim")
    for name in PYTHON_JOBS:
        entries = [e for e in cache_entries(jobs(pipeline)[name]) if ".venv" in e["paths"]]
        assert len(entries) == 1, f"{name} does not keep .venv"
        key = entries[0]["key"]
        assert "requirements/dev.txt" in key["files"], f"{name}: .venv not keyed by the lock"
        assert f"python{version}" in key["prefix"], f"{name}: .venv not keyed by the interpreter"
        assert entries[0]["paths"] == [".venv"], "one path per entry: gitlab-ci-local mounts "
        "every path of an entry on the same volume"


# --------------------------------------------------------------------------------------------
# What the jobs do
# --------------------------------------------------------------------------------------------


def test_test_job_services_match_the_database_and_redis_urls(pipeline: dict[str, Any]) -> None:
    assert service_problems(pipeline, "test") == []


SERVICE_MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "mysql-tag": lambda doc: doc["test"]["services"][0].update({"name": "mysql:latest"}),
    "mysql-alias": lambda doc: doc["test"]["services"][0].update({"alias": "db"}),
    "redis-missing": lambda doc: doc["test"]["services"].pop(),
    "no-utf8mb4": lambda doc: doc["test"]["services"][0].pop("command"),
    "wrong-password": lambda doc: doc["variables"].update(
        {"DATABASE_URL": "mysql://${MYSQL_USER}:other@mysql:3306/${MYSQL_DATABASE}"}
    ),
    "wrong-user": lambda doc: doc["variables"].update(
        {"DATABASE_URL": "mysql://root:${MYSQL_PASSWORD}@mysql:3306/${MYSQL_DATABASE}"}
    ),
    "wrong-database": lambda doc: doc["variables"].update(
        {"DATABASE_URL": "mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@mysql:3306/other"}
    ),
    "localhost": lambda doc: doc["variables"].update(
        {"DATABASE_URL": "mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:3306/x"}
    ),
    "no-root-password": lambda doc: doc["variables"].pop("MYSQL_ROOT_PASSWORD"),
    "shared-redis-database": lambda doc: doc["variables"].update(
        {"CELERY_BROKER_URL": "redis://redis:6379/0"}
    ),
}


@pytest.mark.parametrize("mutate", list(SERVICE_MUTATIONS.values()), ids=list(SERVICE_MUTATIONS))
def test_service_checker_rejects_mismatches(
    pipeline: dict[str, Any], mutate: Callable[[dict[str, Any]], None]
) -> None:
    broken = copy.deepcopy(pipeline)
    mutate(broken)
    assert broken != pipeline, "the mutation found nothing to change"
    assert service_problems(broken, "test") != []


def test_jobs_run_the_make_targets_developers_run(pipeline: dict[str, Any]) -> None:
    found = jobs(pipeline)
    lint = job_commands(found["lint"])
    assert {"make install", "make lint", "make typecheck"} <= set(lint), lint
    test = job_commands(found["test"])
    makemigrations = ".venv/bin/python manage.py makemigrations --check --dry-run"
    assert "make install" in test, test
    assert "make test" in test, test
    # Migrations are checked before the tests, which would otherwise migrate whatever exists.
    assert makemigrations in test, test
    assert test.index(makemigrations) < test.index("make test")
    assert {"make install", "make check"} <= set(job_commands(found["deploy-check"]))


def test_every_script_line_calls_something_the_project_has(
    pipeline: dict[str, Any], project: Path
) -> None:
    assert script_problems(pipeline, project) == []


@pytest.mark.parametrize(
    "line",
    [
        "pytest",
        "ruff check .",
        "make",
        "make no-such-target",
        "make lint && make no-such-target",
        "npm test",
        ".venv/bin/black .",
        ".venv/bin/python nope.py",
        ".venv/bin/python manage.py wait_for_db",
        'SECRET_KEY="$(openssl rand -hex 32)"',
    ],
)
def test_script_checker_rejects_what_ci_could_not_run(
    pipeline: dict[str, Any], project: Path, line: str
) -> None:
    broken = copy.deepcopy(pipeline)
    broken["lint"]["script"] = [*broken["lint"]["script"], line]
    assert script_problems(broken, project) != []


def test_deploy_check_gets_fresh_secrets_and_production_hosts(pipeline: dict[str, Any]) -> None:
    job = jobs(pipeline)["deploy-check"]
    variables = job_variables(pipeline, job)
    assert variables.get("ALLOWED_HOSTS") == template_defaults()["domain_name"]
    assert variables.get("DEBUG") == "false"
    generated = ("SECRET_KEY", "METRICS_TOKEN", "JWT_SIGNING_KEY")
    for variable in generated:
        assert variable not in variables, f"a fixed {variable} in the pipeline would be shared"
    script = "\n".join(script_lines(job))
    assert script.count("secrets.token_urlsafe(") == len(generated)
    exported = {
        name
        for argv in map(shlex.split, script_lines(job))
        if argv[0] == "export"
        for name in argv[1:]
    }
    assert exported >= set(generated), exported
    assert script.index("export ") < script.index("make check")


def test_image_job_builds_the_dockerfile_and_pushes_nothing(
    pipeline: dict[str, Any], project: Path
) -> None:
    job = jobs(pipeline)["build-image"]
    assert job["stage"] == "build"
    assert job["image"].startswith("docker:")
    assert [service["name"] for service in services(job).values()] == [f"{job['image']}-dind"]
    builds = [argv for line in script_lines(job) for argv in shell_commands(line)]
    build = next(argv for argv in builds if argv[:2] == ["docker", "build"])
    dockerfile = build[build.index("-f") + 1]
    assert dockerfile == "docker/Dockerfile"
    assert (project / dockerfile).is_file()
    assert build[-1] == ".", "the build context is the project root"
    # Least privilege: the job logs in nowhere and publishes nothing.
    everywhere = "\n".join(line for job in jobs(pipeline).values() for line in script_lines(job))
    for word in ("docker push", "docker login", "CI_REGISTRY_PASSWORD", "CI_JOB_TOKEN"):
        assert word not in everywhere, word


def test_shell_commands_splits_script_lines_into_commands() -> None:
    line = 'A=1 make lint && echo "x;y" | .venv/bin/x --flag; key="$(python -c pass)" # note'
    assert shell_commands(line) == [
        ["python"],
        ["make", "lint"],
        ["echo", "x;y"],
        [".venv/bin/x", "--flag"],
    ]


# --------------------------------------------------------------------------------------------
# No CI at all
# --------------------------------------------------------------------------------------------

CI_WORDS = re.compile(r"github actions|dependabot|\.gitlab-ci", re.IGNORECASE)


def ci_mentions(project: Path) -> list[str]:
    """file:line of every mention of a CI provider's files in a bake."""
    return lines_matching(project, CI_WORDS)


def test_no_ci_bake_has_no_ci_files_and_no_word_about_them(bake_for: Callable[..., Path]) -> None:
    project = bake_for(ci_provider="none")
    assert not (project / ".github").exists()
    assert not (project / PIPELINE).exists()
    mentions = ci_mentions(project)
    assert mentions == [], "\n".join(mentions)


def test_ci_mentions_finds_a_mention(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("Dependabot keeps the pins current.\n")
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert ci_mentions(tmp_path) == ["docs/notes.md:1: Dependabot keeps the pins current."]
