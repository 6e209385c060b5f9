"""Containers: the baked image and compose stack, built and run for real.

The engine-free checks (hadolint, shellcheck, the compose schema) always run. The rest needs a
Docker-compatible engine (`docker info` answers): they build the image, bring the whole compose
stack up, and reach it only through the port published on 127.0.0.1. Without an engine they are
reported as skipped with the reason, never as passed; PULSEWATCH_REQUIRE_CONTAINERS=1 (set by
.ci/run) turns a missing engine into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from support.bakes import read_dotenv, render_template
from support.processes import run as run_command
from support.processes import tail
from support.servers import free_port
from support.venvs import tool
from test_kubernetes import assigned_number, env_default

BUILD_TIMEOUT = 1200
UP_TIMEOUT = 420


def run(
    *args: str,
    cwd: Path,
    timeout: float = 120,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """A command with this process's environment and `env`, as a developer's shell runs it."""
    return run_command(
        args, cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout, check=check
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_template(tmp_path_factory.mktemp("containers"))


def test_dockerfile_is_hadolint_clean(project: Path) -> None:
    run(tool("hadolint"), "docker/Dockerfile", cwd=project)


def test_entrypoint_is_shellcheck_clean(project: Path) -> None:
    run(tool("shellcheck"), "docker/entrypoint.sh", cwd=project)


def test_compose_files_match_the_compose_spec(project: Path) -> None:
    run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        "docker/docker-compose.yml",
        "docker/docker-compose.dev.yml",
        cwd=project,
    )


def test_compose_lets_processes_stop_gracefully(project: Path) -> None:
    """Each stop grace period outlasts what the process may take after SIGTERM: gunicorn's
    graceful timeout, Celery's task time limit (Docker's default is 10 s)."""
    services = yaml.safe_load((project / "docker" / "docker-compose.yml").read_text())["services"]
    graceful = env_default(project / "gunicorn.conf.py", "GUNICORN_GRACEFUL_TIMEOUT")
    time_limit = assigned_number(
        project / "config" / "settings" / "celery.py", "CELERY_TASK_TIME_LIMIT"
    )
    for service, needed in {"web": graceful, "worker": time_limit}.items():
        period = services[service]["stop_grace_period"]
        assert period.endswith("s"), period
        assert int(period.removesuffix("s")) > needed, (service, period, needed)


def test_dockerignore_keeps_secrets_and_local_state_out(project: Path) -> None:
    ignored = (project / ".dockerignore").read_text().split()
    for entry in [".env", ".git", ".venv"]:
        assert entry in ignored


# --------------------------------------------------------------------------------------------
# With an engine
# --------------------------------------------------------------------------------------------


def engine_problem() -> str | None:
    """Why no container engine can be used here, or None when `docker info` answers."""
    if not shutil.which("docker"):
        return "no docker client on PATH"
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` timed out"
    if result.returncode != 0:
        return f"`docker info` failed: {result.stderr.strip()[-300:]}"
    return None


def require_engine() -> None:
    """Return when an engine answers; else NOT RUN (skip), or fail under
    PULSEWATCH_REQUIRE_CONTAINERS=1 (.ci/run), with what to start."""
    problem = engine_problem()
    if problem is None:
        return
    message = (
        f"CONTAINER TESTS NOT RUN: {problem}. Start an engine (on this project's machines: "
        'eval "$(../shared/container-engine/setup)") and run them again.'
    )
    if os.environ.get("PULSEWATCH_REQUIRE_CONTAINERS") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def engine() -> None:
    require_engine()


@dataclass
class Stack:
    project: Path
    image: str
    port: int
    compose: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def compose_run(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run(
            *self.compose,
            *args,
            cwd=self.project,
            timeout=timeout,
            check=check,
            env={"WEB_PORT": str(self.port)},
        )

    def container(self, service: str) -> str:
        return self.compose_run("ps", "--quiet", service).stdout.strip()

    def shell(self, script: str) -> str:
        """What `sh -c script` prints in a throwaway container of the image."""
        command = ["docker", "run", "--rm", "--entrypoint", "sh", self.image, "-c", script]
        return run(*command, cwd=self.project).stdout


@pytest.fixture(scope="module")
def stack(engine: None, project: Path) -> Iterator[Stack]:
    """The image built from the bake and its compose stack up and healthy; torn down after."""
    slug = project.name
    image = f"{slug}:latest"
    run(
        "docker",
        "build",
        "--file",
        "docker/Dockerfile",
        "--tag",
        image,
        ".",
        cwd=project,
        timeout=BUILD_TIMEOUT,
    )
    compose = [
        "docker", "compose",
        "--project-name", f"pwtest-{os.getpid()}",
        "--env-file", ".env",
        "--file", "docker/docker-compose.yml",
    ]  # fmt: skip
    stack = Stack(project, image, free_port(), compose)
    try:
        up = stack.compose_run("up", "--detach", "--wait", timeout=UP_TIMEOUT, check=False)
        if up.returncode != 0:
            logs = stack.compose_run("logs", "--no-color", check=False).stdout
            pytest.fail(
                f"compose up failed:\n{tail(up.stderr)}\n--- logs ---\n{tail(logs)}", pytrace=False
            )
        yield stack
    finally:
        stack.compose_run("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)


@pytest.mark.slow
@pytest.mark.containers
class TestImageAndStack:
    """Built once per run; every test reads the same running stack."""

    def test_image_runs_as_a_non_root_user(self, stack: Stack) -> None:
        user = run(
            "docker",
            "image",
            "inspect",
            stack.image,
            "--format",
            "{{.Config.User}}",
            cwd=stack.project,
        ).stdout.strip()
        uid = run(
            "docker", "run", "--rm", "--entrypoint", "id", stack.image, "-u", cwd=stack.project
        ).stdout.strip()

        assert user not in {"", "root", "0", "0:0"}
        assert uid != "0"

    def test_image_holds_what_it_runs_and_no_development_files(self, stack: Stack) -> None:
        listing = stack.shell("cd /app && find . -path ./staticfiles -prune -o -print").split()

        for needed in ("./manage.py", "./config/settings/prod.py", "./core/apps.py"):
            assert needed in listing, needed
        development = [
            path
            for path in listing
            if "/tests" in path
            or path in {"./conftest.py", "./scripts"}
            or "context_template" in path
            or path.endswith("startcontext.py")
        ]
        assert development == []

    def test_image_holds_no_secret(self, stack: Stack) -> None:
        secrets = [
            value
            for key, value in read_dotenv(stack.project / ".env").items()
            if "PASSWORD" in key or key in {"SECRET_KEY", "METRICS_TOKEN"}
        ]
        history = run(
            "docker",
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}",
            stack.image,
            cwd=stack.project,
        ).stdout
        files = stack.shell("ls -a /app; cat /app/.env 2>/dev/null; true")

        assert secrets
        assert ".env\n" not in files
        for secret in secrets:
            assert secret not in history
            assert secret not in files

    def test_web_passes_the_image_healthcheck(self, stack: Stack) -> None:
        state = run(
            "docker",
            "inspect",
            stack.container("web"),
            "--format",
            "{{json .State.Health}}",
            cwd=stack.project,
        ).stdout

        assert json.loads(state)["Status"] == "healthy"

    def test_migrations_are_applied(self, stack: Stack) -> None:
        stack.compose_run("exec", "-T", "web", "python", "manage.py", "migrate", "--check")

    def test_probes_and_metrics_answer_on_the_published_port(self, stack: Stack) -> None:
        token = read_dotenv(stack.project / ".env")["METRICS_TOKEN"]

        healthz = requests.get(f"{stack.url}/healthz", timeout=10)
        ready = requests.get(f"{stack.url}/ready", timeout=10)
        refused = requests.get(f"{stack.url}/metrics", timeout=10)
        metrics = requests.get(
            f"{stack.url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

        assert healthz.status_code == 200
        assert healthz.json() == {"status": "ok"}
        assert ready.status_code == 200, ready.text
        assert {name: check["status"] for name, check in ready.json()["checks"].items()} == {
            "database:default": "ok",
            "cache": "ok",
            "broker": "ok",
        }
        assert refused.status_code == 401
        assert metrics.status_code == 200
        assert "app_info{" in metrics.text
        assert "django_http_requests_before_middlewares_total" in metrics.text

    def test_a_task_runs_on_the_worker_container(self, stack: Stack) -> None:
        enqueue = (
            "from core.tasks import heartbeat; print('RESULT', heartbeat.delay().get(timeout=60))"
        )

        out = stack.compose_run(
            "exec", "-T", "web", "python", "manage.py", "shell", "-c", enqueue, timeout=120
        ).stdout

        results = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("RESULT ")]
        assert results, out
        worker_logs = stack.compose_run("logs", "--no-color", "worker").stdout
        recorded = [
            json.loads(line.split("|", 1)[1])
            for line in worker_logs.splitlines()
            if "heartbeat_recorded" in line and "|" in line
        ]
        assert results[0] in {event["at"] for event in recorded}
