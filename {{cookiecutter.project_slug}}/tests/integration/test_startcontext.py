"""`manage.py startcontext`: a whole context in one directory or, for a bad or taken name, nothing.

Contexts are created in a copy of the project (BASE_DIR points there), so the suite never
changes the working tree; makemigrations and ruff run for real in that copy.
"""

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.base import BLOCK_TAG_START, VARIABLE_TAG_START
from django.test import override_settings

PROJECT = Path(settings.BASE_DIR)
# What a copy of the project needs to render, format and migrate a context.
PROJECT_PARTS = ["manage.py", "pyproject.toml", "config", "apps", "shared", "core"]
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".*_cache")
# A name no project is likely to have installed: the apps of this very process count as taken.
NAME = "sample_ledger"


def copy_project(destination: Path) -> Path:
    """A copy of the project's sources for the command to write into instead of the real one."""
    for part in PROJECT_PARTS:
        source = PROJECT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=CACHES)
        else:
            shutil.copy2(source, destination / part)
    return destination


def snapshot(root: Path) -> dict[str, str]:
    """Every file under apps/ in `root`, by content: where a context would be written."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((root / "apps").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def manage(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`manage.py` in a fresh process of the copy, which sees the apps it holds installed."""
    return subprocess.run(  # noqa: S603  # our interpreter and manage.py, the test's arguments
        [sys.executable, "manage.py", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project copy with a context made as a developer would, and what the command said.

    One context: each costs a Django process (makemigrations) and two ruff runs.
    """
    copy = copy_project(tmp_path_factory.mktemp("generated"))
    output = StringIO()
    with override_settings(BASE_DIR=copy):
        call_command("startcontext", NAME, stdout=output)
    return copy, output.getvalue()


@pytest.fixture
def project_copy(tmp_path: Path) -> Iterator[Path]:
    """A fresh project copy that the command writes into, for one test."""
    copy = copy_project(tmp_path)
    with override_settings(BASE_DIR=copy):
        yield copy


def test_a_context_is_one_directory_with_every_layer_its_tests_and_a_migration(
    generated: tuple[Path, str],
) -> None:
    project, output = generated

    app = project / "apps" / NAME
    for module in (
        "apps.py",
        "admin.py",
        "models.py",
        "domain/entities.py",
        "domain/repositories.py",
        "services/records.py",
        "infrastructure/models.py",
        "infrastructure/repositories.py",
        "api/serializers.py",
        "api/views.py",
        "api/urls.py",
        "migrations/__init__.py",
        "tests/unit/test_domain.py",
        "tests/unit/test_services.py",
        "tests/integration/test_infrastructure.py",
        "tests/integration/test_api.py",
    ):
        assert (app / module).is_file(), module
    assert "CreateModel" in (app / "migrations" / "0001_initial.py").read_text()
    assert f'label = "{NAME}"' in (app / "apps.py").read_text()
    assert "class SampleLedgerRecordModel(" in (app / "infrastructure" / "models.py").read_text()
    assert '"""The Sample ledger bounded context.' in (app / "__init__.py").read_text()
    rendered = "".join(path.read_text() for path in app.rglob("*.py"))
    assert VARIABLE_TAG_START not in rendered
    assert BLOCK_TAG_START not in rendered
    assert not list(app.rglob("*-tpl"))
    assert f"Created the '{NAME}' context in apps/{NAME}/" in output
    assert f"/api/v1/{NAME}/" in output


def test_being_there_installs_the_context_and_serves_its_api(generated: tuple[Path, str]) -> None:
    project, _ = generated

    # One Django process, not one per question: `makemigrations --check` exits 1 when the models
    # and the migration disagree, which fails the shell.
    installed = manage(
        project,
        "shell",
        "-c",
        "from django.conf import settings; from django.core.management import call_command;"
        " from django.urls import resolve;"
        f" print(settings.INSTALLED_APPS[-2:], resolve('/api/v1/{NAME}/records/').route);"
        " call_command('makemigrations', '--check', '--dry-run')",
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert f"'apps.{NAME}'" in installed.stdout
    assert f"{NAME}/records/" in installed.stdout
    assert "No changes detected" in installed.stdout


def test_an_existing_context_is_refused(generated: tuple[Path, str]) -> None:
    project, _ = generated
    before = snapshot(project)

    with override_settings(BASE_DIR=project), pytest.raises(CommandError, match="is taken"):
        call_command("startcontext", NAME)

    assert snapshot(project) == before


BAD_NAMES = {
    "Billing": "not a valid context name",
    "bill-ing": "not a valid context name",
    "2fa": "not a valid context name",
    "_billing": "not a valid context name",
    "bill__ing": "not a valid context name",
    "billing_": "not a valid context name",
    "b" * 41: "too long",
    "class": "Python keyword",
    "match": "Python keyword",
    "users": "is taken: apps/users already exists",
    "core": "reserved",
    "config": "reserved",
    "shared": "reserved",
    "tests": "reserved",
    "api": "reserved",
    "auth": "reserved",
    "sessions": "reserved",
    "rest_framework": "reserved",
    # Django's startapp refuses names of importable modules.
    "json": "conflicts with the name of an existing Python module",
    "django": "conflicts with the name of an existing Python module",
    "redis": "conflicts with the name of an existing Python module",
    "structlog": "conflicts with the name of an existing Python module",
}


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES.items(), ids=list(BAD_NAMES))
def test_a_bad_name_is_refused_and_nothing_is_written(name: str, reason: str) -> None:
    before = snapshot(PROJECT)

    with pytest.raises(CommandError, match=reason) as refusal:
        call_command("startcontext", name)

    assert f"'{name}'" in str(refusal.value)
    assert "\n" not in str(refusal.value)
    assert snapshot(PROJECT) == before


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        (f"apps/{NAME}/__init__.py", f"apps/{NAME} already exists"),
        (f"apps/{NAME}.py", f"apps/{NAME}.py already exists"),
    ],
)
def test_a_taken_name_is_refused_and_nothing_is_written(
    project_copy: Path, existing: str, message: str
) -> None:
    (project_copy / existing).parent.mkdir(parents=True, exist_ok=True)
    (project_copy / existing).write_text('"""Already here."""\n')
    before = snapshot(project_copy)

    with pytest.raises(CommandError, match=f"'{NAME}' is taken: {message}"):
        call_command("startcontext", NAME)

    assert snapshot(project_copy) == before


def test_a_failing_makemigrations_leaves_the_tree_as_it_was(project_copy: Path) -> None:
    (project_copy / "manage.py").write_text('raise SystemExit("no database today")\n')
    before = snapshot(project_copy)

    with pytest.raises(CommandError, match=f"makemigrations {NAME} failed.*no database today"):
        call_command("startcontext", NAME)

    assert snapshot(project_copy) == before
