"""Bounded contexts in a bake: generated apps pass every check, bad names change nothing.

`manage.py startcontext` and `make context` each add a context to a bake of its own ("Pulse
Contexts"), since contexts change the project that other tests share. The bake must then pass
what CI runs: `make lint` (ruff, ruff format, lint-imports), mypy, `makemigrations --check` and
its own suite with the coverage gate. lint-imports must also fail when a layer imports what it
must not, and holds on a fresh bake, where the contracts' wildcards match no module at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from support.bakes import Bake

pytestmark = pytest.mark.slow

CONTEXTS = ("billing", "monitoring")
# Each context's tests, inside it: the pure layers in tests/unit, those on the database in
# tests/integration.
TESTED_LAYERS = [
    ("unit", "domain"),
    ("unit", "services"),
    ("integration", "infrastructure"),
    ("integration", "api"),
]
# Tool caches and run artefacts; everything else in a bake is the project.
VOLATILE = {
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".import_linter_cache",
    "staticfiles",
}


def tree(root: Path) -> dict[str, str]:
    """Every project file under `root` by content, so any write, even a revert, shows."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if VOLATILE & set(relative.parts) or relative.name.startswith(".coverage"):
            continue
        if path.is_file():
            files[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


@pytest.fixture(scope="module")
def contexts(bake_project: Callable[..., Bake]) -> Bake:
    """A bake with two contexts: one from manage.py, one from the Makefile's `context` target."""
    bake = bake_project(project_name="Pulse Contexts")
    made = bake.manage("startcontext", "billing")
    assert "Created the 'billing' context" in made.stdout, made.stdout
    # The Makefile runs .venv/bin/python; VENV points it at the bake's cached virtualenv.
    made = bake.run("make", "context", "name=monitoring", f"VENV={bake.venv}")
    assert "Created the 'monitoring' context" in made.stdout, made.stdout
    return bake


# The contracts in the bake's pyproject.toml: three over the whole project, two per context.
CONTRACTS = 5


def test_a_fresh_bake_keeps_the_layering_contracts(default_bake: Bake) -> None:
    """No context has a domain yet: the per-context wildcards match nothing, which is no error."""
    assert not list((default_bake.path / "apps").glob("*/domain"))
    result = default_bake.run("lint-imports")
    assert f"{CONTRACTS} kept, 0 broken" in result.stdout, result.stdout


def test_each_context_is_one_directory_with_its_layers_tests_and_first_migration(
    default_bake: Bake, contexts: Bake
) -> None:
    for name in CONTEXTS:
        app = contexts.path / "apps" / name
        for part in ("domain", "services", "infrastructure", "api", "migrations", "tests"):
            assert (app / part / "__init__.py").is_file(), f"{name}: {part}"
        for module in ("admin.py", "apps.py", "migrations/0001_initial.py", "api/urls.py"):
            assert (app / module).is_file(), f"{name}: {module}"
        for tier, layer in TESTED_LAYERS:
            assert (app / "tests" / tier / f"test_{layer}.py").is_file()
    # Nothing outside apps/<name>/ changed: a context is one directory to add or delete.
    outside = {path for path in tree(contexts.path) if not path.startswith("apps/")}
    assert outside == {path for path in tree(default_bake.path) if not path.startswith("apps/")}


def test_make_lint_passes(contexts: Bake) -> None:
    """ruff, ruff format and lint-imports, exactly as CI runs them."""
    result = contexts.run("make", "lint", f"VENV={contexts.venv}")
    assert f"{CONTRACTS} kept, 0 broken" in result.stdout, result.stdout


def test_mypy_strict_passes(contexts: Bake) -> None:
    contexts.run("mypy", ".", timeout=900)


def test_models_and_migrations_agree(contexts: Bake) -> None:
    contexts.manage("makemigrations", "--check", "--dry-run")


def test_the_baked_suite_passes_with_the_contexts_tests_and_the_coverage_gate(
    contexts: Bake,
) -> None:
    result = contexts.run("pytest", "-v", "-p", "no:cacheprovider", timeout=900)
    for name in CONTEXTS:
        for tier, layer in TESTED_LAYERS:
            test_file = f"apps/{name}/tests/{tier}/test_{layer}.py"
            assert f"{test_file}::" in result.stdout, f"{test_file} did not run"
    assert "Required test coverage of 85" in result.stdout, result.stdout


# A module that breaks a contract, and what lint-imports must say about it.
LAYER_BREACHES = {
    "core-imports-an-app": (
        "core/breach.py",
        "from apps.users import models\n",
        "core is not allowed to import apps",
    ),
    "core-imports-the-composition-root": (
        "core/breach.py",
        "from config import urls\n",
        "core is not allowed to import config",
    ),
    "shared-imports-an-app": (
        "shared/breach.py",
        "from apps.billing.infrastructure import models\n",
        "shared is not allowed to import apps",
    ),
    "an-app-imports-another": (
        "apps/billing/api/breach.py",
        "from apps.users.api import views\n",
        "apps.billing is not allowed to import apps.users",
    ),
    "domain-imports-django": (
        "apps/billing/domain/breach.py",
        "from django.db import models\n",
        "apps.billing.domain is not allowed to import django",
    ),
    "domain-imports-django-through-shared": (
        "apps/billing/domain/breach.py",
        "from shared import base_models\n",
        "apps.billing.domain is not allowed to import django",
    ),
    "domain-imports-another-contexts-infrastructure": (
        "apps/billing/domain/breach.py",
        "from apps.monitoring.infrastructure import models\n",
        "apps.billing.domain is not allowed to import apps.monitoring.infrastructure",
    ),
    "services-import-the-api": (
        "apps/monitoring/services/breach.py",
        "from apps.monitoring.api import views\n",
        "apps.monitoring.services is not allowed to import apps.monitoring.api",
    ),
}


@pytest.mark.parametrize(
    ("module", "source", "complaint"), LAYER_BREACHES.values(), ids=list(LAYER_BREACHES)
)
def test_lint_imports_fails_when_a_layer_imports_what_it_must_not(
    contexts: Bake, module: str, source: str, complaint: str
) -> None:
    breach = contexts.path / module
    breach.write_text(f'"""Breaks a layering contract on purpose."""\n\n{source}')
    try:
        result = contexts.run("lint-imports", check=False)
    finally:
        breach.unlink()
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout, result.stdout
    assert complaint in result.stdout, result.stdout


# Name -> what the one-line refusal must say.
REFUSED_NAMES = {
    "Billing": "'Billing' is not a valid context name",
    "bill-ing": "'bill-ing' is not a valid context name",
    "class": "'class' is a Python keyword",
    "json": "'json' conflicts with the name of an existing Python module",
    "celery": "'celery' conflicts with the name of an existing Python module",
    "users": "'users' is taken: apps/users already exists",
    "core": "'core' is reserved",
    "config": "'config' is reserved",
    "billing": "'billing' is taken: apps/billing already exists",
    "monitoring": "'monitoring' is taken: apps/monitoring already exists",
}


@pytest.mark.parametrize(("name", "message"), REFUSED_NAMES.items(), ids=list(REFUSED_NAMES))
def test_a_bad_or_taken_name_is_refused_and_nothing_changes(
    contexts: Bake, name: str, message: str
) -> None:
    before = tree(contexts.path)

    result = contexts.manage("startcontext", name, check=False)

    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"CommandError: {message}"), result.stderr
    assert tree(contexts.path) == before


def test_make_context_refuses_a_taken_name_or_no_name(contexts: Bake) -> None:
    before = tree(contexts.path)

    taken = contexts.run("make", "context", "name=billing", f"VENV={contexts.venv}", check=False)
    unnamed = contexts.run("make", "context", f"VENV={contexts.venv}", check=False)

    assert taken.returncode != 0
    assert "CommandError: 'billing' is taken" in taken.stderr, taken.stderr
    assert unnamed.returncode != 0
    assert "usage: make context name=<name>" in unnamed.stderr, unnamed.stderr
    assert tree(contexts.path) == before
