"""The optional Next.js frontend (`frontend: nextjs`).

Quick tier: a bake without it has no trace of it; a bake with it has the app exactly as the
template holds it (copied, never rendered), exact pins that match the lockfile, CI jobs and
Kubernetes manifests that fit the rest of the project, and no container files without Docker.

Slow tier: the real thing. The bake's frontend is installed from the npm registry (`npm ci`),
linted, type-checked and built, then its standalone server runs in front of the bake's API
(gunicorn under production settings on MariaDB and a Redis of this test's own). Headless
Chromium (Debian's `chromium`, driven by playwright-core) reads the status page: it shows the
real /ready result, and shows the outage once that Redis is stopped. The bake's own browser tests
(frontend/e2e: status page, refused and accepted sign-in) pass against the same servers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from pytest_redis.executor import RedisExecutor
from support import servers
from support.bake_files import files_mentioning
from support.bakes import TEMPLATE_DIR, Bake, render_template
from support.node import INSTALL_HINT, node_version, with_node
from support.processes import run as run_command
from test_kubernetes import kustomize

TEMPLATE_FRONTEND = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "frontend"
# What only a frontend bake may mention.
FRONTEND_WORDS = r"\bfrontend\b|next\.?js|\bnpm\b|playwright|API_BASE_URL"
BROWSER_SCRIPT = Path(__file__).resolve().parent / "browser" / "read_status.cjs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_HINT = "install Debian's Chromium: `apt-get install chromium`"
MIN_NODE = (20, 9)
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")


def bake(tmp_path_factory: pytest.TempPathFactory, **answers: Any) -> Path:
    return render_template(tmp_path_factory.mktemp("frontend"), answers)


@pytest.fixture(scope="module")
def nextjs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory, frontend="nextjs", use_kubernetes=True)


def make_targets(project: Path) -> set[str]:
    return set(re.findall(r"^([a-z0-9-]+):", (project / "Makefile").read_text(), re.MULTILINE))


# --------------------------------------------------------------------------------------------
# Quick tier
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [{"use_kubernetes": True}, {"ci_provider": "gitlab"}],
    ids=["github-kubernetes", "gitlab"],
)
def test_frontend_is_absent_and_unmentioned_by_default(
    tmp_path_factory: pytest.TempPathFactory, answers: dict[str, Any]
) -> None:
    project = bake(tmp_path_factory, **answers)

    assert not (project / "frontend").exists()
    assert not (project / "docker" / "frontend.Dockerfile").exists()
    assert files_mentioning(project, FRONTEND_WORDS) == []
    assert not any(target.startswith("frontend") for target in make_targets(project))


def test_frontend_is_copied_exactly_as_the_template_holds_it(nextjs: Path) -> None:
    """Nothing under frontend/ is rendered: JSX's `{{ ... }}` and the lockfile stay intact."""
    template_files = {
        path.relative_to(TEMPLATE_FRONTEND)
        for path in TEMPLATE_FRONTEND.rglob("*")
        if path.is_file() and not {"node_modules", ".next"} & set(path.parts)
    }
    baked_files = {path.relative_to(nextjs / "frontend") for path in nextjs.glob("frontend/**/*")}
    baked_files = {path for path in baked_files if (nextjs / "frontend" / path).is_file()}

    assert {
        Path("package.json"),
        Path("package-lock.json"),
        Path("src/app/page.tsx"),
    } <= baked_files
    assert baked_files == template_files
    for relative in template_files:
        assert (nextjs / "frontend" / relative).read_bytes() == (
            TEMPLATE_FRONTEND / relative
        ).read_bytes(), relative


def test_dependencies_are_pinned_exactly_and_locked() -> None:
    package = json.loads((TEMPLATE_FRONTEND / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((TEMPLATE_FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    declared = {**package["dependencies"], **package["devDependencies"]}

    loose = {name: spec for name, spec in declared.items() if not EXACT_VERSION.fullmatch(spec)}
    assert loose == {}, "pin every frontend dependency to an exact version"
    assert lock["lockfileVersion"] == 3
    root = lock["packages"][""]
    assert root.get("dependencies", {}) == package["dependencies"]
    assert root.get("devDependencies", {}) == package["devDependencies"]
    for name, version in declared.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert all(
        entry.get("resolved", "https://registry.npmjs.org/").startswith(
            "https://registry.npmjs.org/"
        )
        for entry in lock["packages"].values()
    )


def test_nextjs_bake_documents_and_wires_the_frontend(nextjs: Path) -> None:
    readme = (nextjs / "README.md").read_text(encoding="utf-8")
    compose = yaml.safe_load((nextjs / "docker" / "docker-compose.yml").read_text())
    service = compose["services"]["frontend"]

    assert "## Frontend" in readme
    assert {
        "frontend-install",
        "frontend-dev",
        "frontend-lint",
        "frontend-build",
        "frontend-start",
        "frontend-browsers",
        "frontend-test",
        "frontend-image",
    } <= make_targets(nextjs)
    assert (nextjs / "docker" / "frontend.Dockerfile").is_file()
    assert service["build"] == {
        "context": "../frontend",
        "dockerfile": "../docker/frontend.Dockerfile",
    }
    assert service["environment"]["API_BASE_URL"] == "http://web:8000"
    assert service["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert service["ports"] == ["127.0.0.1:${FRONTEND_PORT:-3000}:3000"]
    # The API answers the frontend container at Host "web".
    hosts = compose["services"]["web"]["environment"]["ALLOWED_HOSTS"].split(",")
    assert "web" in hosts
    # The API's image leaves the frontend (and any node_modules) out.
    assert "frontend" in (nextjs / ".dockerignore").read_text().split()


def test_frontend_image_builds_the_standalone_server_as_non_root(nextjs: Path) -> None:
    """What the Dockerfile promises (hadolint is run by the matrix's asset validation)."""
    text = (nextjs / "docker" / "frontend.Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", text, re.MULTILINE)
    final = text.split("AS runtime", 1)[1]

    assert [name for _, name in stages] == ["deps", "builder", "runtime"]
    assert "RUN npm ci" in text
    assert "COPY --from=builder --chown=10001:10001 /build/.next/standalone ./" in final
    assert "USER 10001:10001" in final
    assert "HEALTHCHECK" in final
    assert 'CMD ["node", "server.js"]' in final
    assert "node_modules" not in final  # only what the standalone output traced


@pytest.mark.parametrize("ci_provider", ["github", "gitlab"])
def test_ci_runs_the_frontend_through_make_targets_that_exist(
    tmp_path_factory: pytest.TempPathFactory, ci_provider: str
) -> None:
    project = bake(tmp_path_factory, frontend="nextjs", ci_provider=ci_provider)
    if ci_provider == "github":
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
        job = workflow["jobs"]["frontend"]
        lines = [
            line.strip() for step in job["steps"] for line in str(step.get("run", "")).splitlines()
        ]
        uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
        assert "actions/setup-node" in uses
        assert set(job["services"]) == {"mysql", "redis"}
    else:
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        job = pipeline["frontend"]
        lines = [str(line) for line in job["script"]]
        assert {service["alias"] for service in job["services"]} == {"mysql", "redis"}
        assert "nodejs" in job["variables"]["EXTRA_APT_PACKAGES"].split()

    called = [line.split()[1] for line in lines if line.startswith("make ")]
    assert called[-5:] == [
        "frontend-install",
        "frontend-lint",
        "frontend-build",
        "frontend-browsers",
        "frontend-test",
    ]
    assert set(called) <= make_targets(project)


def test_frontend_without_docker_works_locally_and_mentions_no_container(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = bake(tmp_path_factory, frontend="nextjs", use_docker=False)

    assert (project / "frontend" / "package.json").is_file()
    assert not (project / "docker").exists()
    assert files_mentioning(project, r"docker|compose") == []
    targets = make_targets(project)
    assert {"frontend-install", "frontend-build", "frontend-test"} <= targets
    assert "frontend-image" not in targets


def test_kubernetes_runs_the_frontend_locked_down_against_the_web_service(
    nextjs: Path, tmp_path: Path
) -> None:
    rendered = kustomize(nextjs / "deploy" / "k8s" / "overlays" / "production", tmp_path / "k.yaml")
    deployments = {doc["metadata"]["name"]: doc for doc in rendered.of_kind("Deployment")}
    services = {doc["metadata"]["name"] for doc in rendered.of_kind("Service")}
    (config,) = rendered.of_kind("ConfigMap")

    frontend = deployments["pulsewatch-frontend"]["spec"]["template"]["spec"]
    (container,) = frontend["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert container["image"] == "pulsewatch-frontend:0.1.0"
    assert env["API_BASE_URL"] == "http://pulsewatch-web"
    assert {"pulsewatch-web", "pulsewatch-frontend"} <= services
    assert "pulsewatch-web" in config["data"]["ALLOWED_HOSTS"].split(",")
    assert frontend["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/sign-in", "port": "http"}
    assert "secretRef" not in json.dumps(container)  # the frontend holds no secret


# --------------------------------------------------------------------------------------------
# Slow tier: the frontend in a real browser, in front of the real API
# --------------------------------------------------------------------------------------------


def require_tools() -> None:
    """Fail, never skip, without Chromium or Node.js, saying what to install.

    Node.js is the one the template's test group brings (support/node.py), not the system's.
    """
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: {CHROMIUM_HINT}", pytrace=False)
    version = node_version()
    if tuple(int(part) for part in version.split(".")[:2]) < MIN_NODE:
        pytest.fail(f"node {version} is too old for Next.js: {INSTALL_HINT}", pytrace=False)


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a command; a failure fails the test with the command's output."""
    return run_command(args, cwd=cwd, env=env, timeout=timeout)


@dataclass
class Stack:
    """The built frontend in front of the bake's API, on a Redis of its own."""

    bake: Bake
    redis: RedisExecutor
    frontend_url: str
    api_url: str
    node_env: dict[str, str]
    email: str
    password: str
    profiles: Path

    def status_page(self) -> dict[str, Any]:
        """What headless Chromium shows on the status page (see tests/browser/read_status.cjs)."""
        profile = self.profiles / f"profile-{len(list(self.profiles.iterdir()))}"
        profile.mkdir()
        result = run(
            ["node", str(BROWSER_SCRIPT), self.frontend_url + "/", CHROMIUM, str(profile)],
            cwd=self.bake.path / "frontend",
            env=self.node_env,
            timeout=120,
        )
        shown: dict[str, Any] = json.loads(result.stdout)
        return shown


BROWSER_USER = ("browser@example.com", "a-long-browser-test-password")


def node_env(project: Bake, api_url: str) -> dict[str, str]:
    """npm's and node's environment: the bake's, without the API's settings."""
    env = {
        key: value
        for key, value in project.env().items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))
    }
    return with_node({**env, "NEXT_TELEMETRY_DISABLED": "1", "API_BASE_URL": api_url})


def build_frontend(project: Bake, env: dict[str, str]) -> None:
    """`npm ci`, lint, type check and the production build, as the bake's CI runs them."""
    frontend_dir = project.path / "frontend"
    run(["npm", "ci", "--no-audit", "--no-fund"], frontend_dir, env)
    run(["npm", "run", "lint"], frontend_dir, env)
    run(["npm", "run", "typecheck"], frontend_dir, env)
    run(["npm", "run", "build"], frontend_dir, env)


def prepare_api(project: Bake, api_env: dict[str, str | None]) -> None:
    """The API's database migrated, with the user the browser tests sign in as."""
    email, password = BROWSER_USER
    project.manage("migrate", "--noinput", env=api_env)
    project.manage(
        "shell",
        "--command",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user(email={email!r}, password={password!r})",
        env=api_env,
    )


@contextmanager
def serve(
    project: Bake, run_dir: Path, api_env: dict[str, str | None], frontend_port: int
) -> Iterator[None]:
    """gunicorn with the API and the standalone frontend server, both answering."""
    api_url = f"http://127.0.0.1:{api_env['PORT']}"
    frontend_url = f"http://127.0.0.1:{frontend_port}"
    frontend_env = {
        **api_env,
        "PATH": with_node({"PATH": api_env.get("PATH") or os.defpath})["PATH"],
        "API_BASE_URL": api_url,
        "PORT": str(frontend_port),
        "HOSTNAME": "127.0.0.1",
        "NODE_ENV": "production",
        "NEXT_TELEMETRY_DISABLED": "1",
    }
    frontend_server = ["node", "frontend/.next/standalone/server.js"]
    with (
        project.start("api", ["gunicorn"], run_dir, env=api_env) as api,
        project.start("frontend", frontend_server, run_dir, env=frontend_env) as frontend,
    ):
        api.wait_until(
            lambda: requests.get(f"{api_url}/healthz", timeout=2).ok,
            timeout=90,
            what="answering /healthz",
        )
        frontend.wait_until(
            lambda: requests.get(f"{frontend_url}/sign-in", timeout=5).ok,
            timeout=60,
            what="answering /sign-in",
        )
        yield


@pytest.fixture(scope="class")
def stack(
    bake_project: Callable[..., Bake], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The bake's frontend, built, in front of its API under production settings.

    The API runs on the session's MariaDB and a Redis of this stack's own: the last test stops
    it, which must not touch the servers other tests share.
    """
    require_tools()
    project = bake_project(frontend="nextjs")
    run_dir = tmp_path_factory.mktemp("frontend-stack")
    api_port, frontend_port = servers.free_port(), servers.free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = node_env(project, api_url)
    build_frontend(project, env)
    with servers.redis(run_dir / "redis") as redis:
        api_env = project.prod_env(
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="false",
            PORT=str(api_port),
            WEB_CONCURRENCY="2",
            REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{redis.port}/1",
        )
        prepare_api(project, api_env)
        with serve(project, run_dir, api_env, frontend_port):
            profiles = run_dir / "profiles"
            profiles.mkdir()
            email, password = BROWSER_USER
            frontend_url = f"http://127.0.0.1:{frontend_port}"
            yield Stack(project, redis, frontend_url, api_url, env, email, password, profiles)


@pytest.mark.slow
class TestInABrowser:
    """One stack for both tests; the flip restarts the Redis it stops."""

    def test_bakes_own_browser_tests_pass(self, stack: Stack) -> None:
        env = {
            **stack.node_env,
            "FRONTEND_URL": stack.frontend_url,
            "E2E_EMAIL": stack.email,
            "E2E_PASSWORD": stack.password,
            "CHROMIUM_PATH": CHROMIUM,
        }
        result = run(
            ["npx", "playwright", "test", "--reporter", "list"],
            stack.bake.path / "frontend",
            env,
            timeout=300,
        )
        assert re.search(r"\b3 passed\b", result.stdout), result.stdout

    def test_status_page_shows_the_real_readiness_and_its_flip(self, stack: Stack) -> None:
        ready = requests.get(f"{stack.api_url}/ready", timeout=10).json()
        shown = stack.status_page()

        assert ready["status"] == "ok"
        assert shown["readiness"] == "ok"
        assert shown["checks"] == dict.fromkeys(ready["checks"], "ok")
        assert {"database:default", "cache", "broker"} <= set(shown["checks"])

        with stack.redis.stopped():
            shown = stack.status_page()

        assert shown["readiness"] == "unavailable"
        assert shown["checks"]["cache"] == "error"
        assert shown["checks"]["broker"] == "error"
        assert shown["checks"]["database:default"] == "ok"
