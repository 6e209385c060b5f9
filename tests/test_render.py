"""What a bake contains: no template residue, every file parses, odd answers survive.

Quick tier: cookiecutter and pytest-cookies only, no virtualenv, no servers.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pytest_cookies.plugin import Cookies
from support.bake_files import doubled_blank_lines, files_mentioning, residue, unparsable
from support.bakes import TEMPLATE_DIR

TEMPLATE = TEMPLATE_DIR

# Answers that must bake into a project whose files all still parse. Free text may hold
# quotes, apostrophes, ampersands, backslashes (also a trailing one) and any letters.
ANSWER_SETS: dict[str, dict[str, str]] = {
    "defaults": {},
    # A project name that sorts before the packages' names.
    "early-slug": {"project_name": "Alpha Beacon"},
    "quotes": {
        "project_name": 'Zo\u00eb\'s Caf\u00e9 & Bar "Pulse"',
        "description": "Says \"hi\" & 'bye' to C:\\new\\table\\ <b>{x}</b> $HOME %s \\",
        "author_name": 'O\'Brien & S\u00f8n "Ltd" \\',
        "author_email": "o.brien+pulse@example.co.uk",
    },
    "long": {
        "project_name": ("Pulse Watch Service " * 10).strip(),
        "project_slug": "long_name_service",
        "description": "A very long sentence, " * 40,
        "author_name": "A" * 200,
    },
    "unicode": {
        "project_name": "\u00dcn\u00efc\u00f6d\u00e9 S\u00e9rvice \U0001f680",
        "description": "\u00dcberwacht Dienste \u2014 schnell; \u65e5\u672c\u8a9e\u3082 \U0001f680",
        "author_name": "Jos\u00e9 \u00d1\u00fa\u00f1ez",
        "domain_name": "status.example.co.uk",
        "version": "1.0.0rc1",
        "python_version": "3.13",
        "timezone": "Europe/Berlin",
    },
}


@pytest.fixture(scope="module", params=list(ANSWER_SETS))
def baked(request: pytest.FixtureRequest, cookies_session: Cookies) -> tuple[dict[str, str], Path]:
    answers = ANSWER_SETS[request.param]
    result = cookies_session.bake(extra_context=answers, template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    return answers, result.project_path


def test_bake_has_the_project_layout(baked: tuple[dict[str, str], Path]) -> None:
    _, project = baked
    for name in ("manage.py", ".env", ".env.example", ".gitignore", "config/__init__.py"):
        assert (project / name).is_file(), name


def test_no_template_residue(baked: tuple[dict[str, str], Path]) -> None:
    _, project = baked
    found = residue(project)
    assert found == [], "\n".join(found)


def test_no_doubled_blank_lines(baked: tuple[dict[str, str], Path]) -> None:
    _, project = baked
    assert doubled_blank_lines(project) == []


def test_every_file_parses(baked: tuple[dict[str, str], Path]) -> None:
    _, project = baked
    problems, checked = unparsable(project)
    assert problems == [], "\n".join(problems)
    for kind in (".py", ".toml", ".yaml", ".env"):
        assert checked[kind], f"no {kind} file in the bake, so none was checked"


def literal_assignment(path: Path, name: str) -> Any:
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} assigns no {name}")


def test_free_text_answers_arrive_unchanged(baked: tuple[dict[str, str], Path]) -> None:
    answers, project = baked
    defaults = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    expect = {key: answers.get(key, defaults[key]) for key in defaults if not key.startswith("_")}
    expect["author_name"] = answers.get("author_name", f"{expect['project_name']} Team")
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["description"] == expect["description"]
    assert metadata["authors"] == [{"name": expect["author_name"], "email": expect["author_email"]}]
    service_name = literal_assignment(project / "config" / "settings" / "django.py", "SERVICE_NAME")
    assert service_name == expect["project_name"]


def test_derived_slug_is_ascii_snake_case(cookies: Cookies) -> None:
    result = cookies.bake(
        extra_context={"project_name": "My Caf\u00e9 Service"}, template=str(TEMPLATE)
    )
    assert result.exit_code == 0, result.exception
    assert result.context["project_slug"] == "my_cafe_service"
    assert result.project_path.name == "my_cafe_service"
    env = (result.project_path / ".env").read_text(encoding="utf-8")
    assert "MYSQL_DATABASE=my_cafe_service\n" in env


def test_long_name_gets_a_slug_cut_at_a_word(cookies: Cookies) -> None:
    result = cookies.bake(
        extra_context={"project_name": ("Pulse Watch Service " * 10).strip()},
        template=str(TEMPLATE),
    )
    assert result.exit_code == 0, result.exception
    assert result.context["project_slug"] == "pulse_watch_service_pulse_watch"


def test_default_author_is_the_projects_team(cookies: Cookies) -> None:
    """A bake named Heartbeat Hub credits its own team, and mentions PulseWatch nowhere."""
    result = cookies.bake(extra_context={"project_name": "Heartbeat Hub"}, template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert metadata["authors"][0]["name"] == "Heartbeat Hub Team"
    assert " Heartbeat Hub Team\n" in (project / "LICENSE").read_text(encoding="utf-8")
    assert files_mentioning(project, "pulsewatch") == []


def test_ruff_passes_on_every_bake(baked: tuple[dict[str, str], Path]) -> None:
    """Odd answers still give a project that lints and is formatted as ruff wants.

    Uses the template's own ruff, pinned to the same version as the bake's requirements/dev.txt.
    """
    _, project = baked
    ruff = Path(sys.executable).parent / "ruff"
    pinned = (project / "requirements" / "dev.txt").read_text(encoding="utf-8")
    version = subprocess.run([ruff, "--version"], capture_output=True, text=True, check=True)
    assert f"ruff=={version.stdout.split()[1]}" in pinned
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *command], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------------
# Options: each brings its files, and a bake without it neither has nor mentions them
# --------------------------------------------------------------------------------------------


def bake_with(cookies_session: Cookies, **answers: object) -> Path:
    result = cookies_session.bake(extra_context=answers, template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def test_kubernetes_is_absent_and_unmentioned_by_default(cookies_session: Cookies) -> None:
    project = bake_with(cookies_session, project_name="No Kube")
    mentions = files_mentioning(project, r"kubernetes|k8s|kustomiz|kubectl")

    assert not (project / "deploy" / "k8s").exists()
    assert mentions == []


def test_kubernetes_brings_its_manifests_and_docs(cookies_session: Cookies) -> None:
    project = bake_with(cookies_session, project_name="With Kube", use_kubernetes=True)

    assert (project / "deploy" / "k8s" / "base" / "kustomization.yaml").is_file()
    assert "## Kubernetes" in (project / "README.md").read_text(encoding="utf-8")
    assert "deploy" in (project / ".dockerignore").read_text(encoding="utf-8").split()


@pytest.mark.parametrize(
    ("license_id", "first_words", "classifier"),
    [
        ("MIT", "MIT License", "License :: OSI Approved :: MIT License"),
        ("BSD-3-Clause", "Copyright (c) ", "License :: OSI Approved :: BSD License"),
        ("Apache-2.0", "Apache License", "License :: OSI Approved :: Apache Software License"),
    ],
)
def test_open_source_licenses_bring_their_text_and_classifier(
    cookies_session: Cookies, license_id: str, first_words: str, classifier: str
) -> None:
    project = bake_with(
        cookies_session, project_name=f"Licensed {license_id}", open_source_license=license_id
    )
    text = (project / "LICENSE").read_text(encoding="utf-8")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))

    assert text.startswith(first_words)
    assert f"Licensed {license_id} Team" in text or license_id == "Apache-2.0"
    assert [c for c in pyproject["project"]["classifiers"] if c.startswith("License")] == [
        classifier
    ]


def test_proprietary_has_no_license_file(cookies_session: Cookies) -> None:
    project = bake_with(cookies_session, project_name="Closed", open_source_license="Proprietary")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))

    assert not (project / "LICENSE").exists()
    assert "License :: Other/Proprietary License" in pyproject["project"]["classifiers"]


def test_docker_is_absent_and_unmentioned_without_it(cookies_session: Cookies) -> None:
    project = bake_with(cookies_session, project_name="Bare Metal", use_docker=False)
    mentions = files_mentioning(project, r"docker|compose")
    targets = re.findall(r"^([a-z-]+):", (project / "Makefile").read_text(), re.MULTILINE)

    assert not (project / "docker").exists()
    assert not (project / ".dockerignore").exists()
    assert not (project / "config" / "settings" / "build.py").exists()
    assert mentions == []
    assert {"up", "down", "image", "logs"}.isdisjoint(targets)
    assert {"install", "test", "serve", "worker"} <= set(targets)


def test_celery_is_absent_and_unmentioned_without_it(cookies_session: Cookies) -> None:
    project = bake_with(cookies_session, project_name="Plain Service", use_celery=False)
    # Not "worker": gunicorn has workers too.
    mentions = files_mentioning(project, r"celery|broker|beat")
    targets = re.findall(r"^([a-z-]+):", (project / "Makefile").read_text(), re.MULTILINE)

    for relative in (
        "config/celery.py",
        "core/tasks.py",
        "core/api/heartbeat.py",
        "core/health/broker.py",
    ):
        assert not (project / relative).exists(), relative
    assert not list((project / "tests").rglob("*celery*"))
    assert mentions == []
    assert {"worker", "beat"}.isdisjoint(targets)
    assert {"install", "test", "serve", "up"} <= set(targets)
