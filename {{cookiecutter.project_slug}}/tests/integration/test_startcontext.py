"""`manage.py startcontext`: a whole context or, for a bad or taken name, nothing at all.

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
from django.test import override_settings

from apps.contexts import CONTEXTS
from core.management.commands import startcontext

PROJECT = Path(settings.BASE_DIR)
# What a copy of the project needs to render, format and migrate a context.
PROJECT_PARTS = [
    "manage.py",
    "pyproject.toml",
    "apps",
    "core",
    "shared",
    "tests",
    settings.ROOT_URLCONF.split(".")[0],
]
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
    """Every file under the context-owned parts of `root`, by content."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for part in ("apps", "tests")
        for path in sorted((root / part).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project copy with a context made as a developer would, and what the command said.

    One context: each costs a Django process (makemigrations) and two ruff runs, and sorting
    among several is with_context()'s job, tested on its own below.
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


def test_a_context_gets_every_layer_its_tests_and_a_migration(
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
    ):
        assert (app / module).is_file(), module
    assert "CreateModel" in (app / "migrations" / "0001_initial.py").read_text()
    assert f'label = "{NAME}"' in (app / "apps.py").read_text()
    for tier, layers in {
        "unit": ("domain", "services"),
        "integration": ("infrastructure", "api"),
    }.items():
        for layer in layers:
            assert (project / "tests" / tier / NAME / f"test_{layer}.py").is_file()
    assert "$" not in "".join(path.read_text() for path in app.rglob("*.py"))
    assert f"Created the '{NAME}' context" in output
    assert f"/api/v1/{NAME}/" in output


def test_the_context_is_registered_and_its_migrations_agree(
    generated: tuple[Path, str],
) -> None:
    project, _ = generated

    contexts = (project / "apps" / "contexts.py").read_text()
    names = sorted({*CONTEXTS, NAME})
    listing = "".join(f'    "{name}",\n' for name in names)
    assert f"CONTEXTS: list[str] = [\n{listing}]\n" in contexts
    check = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_listed_context_is_refused(generated: tuple[Path, str]) -> None:
    project, _ = generated
    before = snapshot(project)

    with override_settings(BASE_DIR=project), pytest.raises(CommandError, match="already lists"):
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
    "users": "reserved",
    "core": "reserved",
    "shared": "reserved",
    "tests": "reserved",
    "api": "reserved",
    "contexts": "reserved",
    "auth": "reserved",
    "sessions": "reserved",
    "json": "shadow the standard library module 'json'",
    "django": "shadow the installed module 'django'",
    "rest_framework": "reserved",
    "redis": "shadow the installed module 'redis'",
    "structlog": "shadow the installed module 'structlog'",
}


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES.items(), ids=list(BAD_NAMES))
def test_a_bad_name_is_refused_and_nothing_is_written(name: str, reason: str) -> None:
    before = snapshot(PROJECT)

    with pytest.raises(CommandError, match=reason) as refusal:
        call_command("startcontext", name)

    assert f"'{name}'" in str(refusal.value)
    assert "\n" not in str(refusal.value)
    assert snapshot(PROJECT) == before


def test_the_project_package_is_reserved() -> None:
    with pytest.raises(CommandError, match="reserved"):
        call_command("startcontext", settings.ROOT_URLCONF.split(".")[0])


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        (f"apps/{NAME}/__init__.py", f"apps/{NAME} already exists"),
        (f"apps/{NAME}.py", f"apps/{NAME}.py already exists"),
        (f"tests/unit/{NAME}/test_old.py", f"tests/unit/{NAME} already exists"),
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


@pytest.mark.parametrize(
    "source", ["CONTEXTS = sorted(['a'])\n", "CONTEXTS: list[str]\n", "CONTEXTS = [\n"]
)
def test_an_unreadable_contexts_file_is_refused(project_copy: Path, source: str) -> None:
    (project_copy / "apps" / "contexts.py").write_text(source)

    with pytest.raises(CommandError, match="plain list of names"):
        call_command("startcontext", NAME)
    assert not (project_copy / "apps" / NAME).exists()


def test_contexts_are_rewritten_sorted_and_the_rest_of_the_file_is_kept() -> None:
    source = '"""Doc."""\n\nCONTEXTS: list[str] = ["team", "alerts"]\nOTHER = 1\n'

    assert startcontext.with_context(source, "billing") == (
        '"""Doc."""\n\nCONTEXTS: list[str] = [\n    "alerts",\n    "billing",\n    "team",\n]\n'
        "OTHER = 1\n"
    )
    assert startcontext.find_contexts("CONTEXTS = []\n")[0] == []


def test_class_names_and_titles_come_from_the_name() -> None:
    assert startcontext.placeholders("user_alerts") == {
        "name": "user_alerts",
        "Name": "UserAlerts",
        "words": "user alerts",
        "title": "User alerts",
    }


def test_a_template_with_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "models.py-tpl").write_text("$unknown\n")

    with pytest.raises(CommandError, match="bad placeholder"):
        startcontext.render_context("billing", tmp_path)


def test_a_template_outside_app_and_tests_is_refused(tmp_path: Path) -> None:
    (tmp_path / "stray.py-tpl").write_text("")

    with pytest.raises(CommandError, match="has no place in a context"):
        startcontext.render_context("billing", tmp_path)


def test_an_empty_template_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No \\*-tpl files"):
        startcontext.render_context("billing", tmp_path)


def test_a_plain_directory_on_the_path_is_not_a_module() -> None:
    # contracts/ sits on sys.path as a namespace package; a "contracts" context is fine.
    assert startcontext.shadowed_module("contracts") is None
