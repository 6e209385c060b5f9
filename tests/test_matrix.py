"""Every variant of the template, not a sample.

The quick tier bakes the full cross-product of the options in cookiecutter.json (every choice
list and every yes/no answer) and proves each variant: it bakes, leaves no template residue,
every file parses, and each option's files are there exactly when the option asks for them.

Python checks need not run again for options that change no Python: the quick tier proves that
claim for every variant by fingerprinting its Python, requirements and tool settings, and the
slow tier runs the full Python checks (ruff, mypy, deploy checks, migrations, the baked suite on
real servers) once per distinct fingerprint. The default python_version's fingerprint is covered
by test_static.py and test_behaviour.py; this file covers the others.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TEMPLATE_DIR, Bake, render_template, template_defaults
from test_render import ENV_LINE, PARSERS, RESIDUE, text_files


def load_post_gen() -> Any:
    spec = importlib.util.spec_from_file_location(
        "matrix_post_gen", TEMPLATE_DIR / "hooks" / "post_gen_project.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def option_choices() -> dict[str, list[Any]]:
    """Every answer with a fixed set of values: choice lists and yes/no questions."""
    raw = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
    return {
        key: value if isinstance(value, list) else [True, False]
        for key, value in raw.items()
        if not key.startswith("_") and isinstance(value, list | bool)
    }


OPTIONS = option_choices()
VARIANTS = [
    dict(zip(OPTIONS, values, strict=True)) for values in itertools.product(*OPTIONS.values())
]
OPTION_FILES = load_post_gen().OPTION_FILES
DEFAULT_PYTHON = str(template_defaults()["python_version"])
OTHER_PYTHONS = [version for version in OPTIONS["python_version"] if version != DEFAULT_PYTHON]


def variant_id(variant: dict[str, Any]) -> str:
    return "-".join(str(value).lower() for value in variant.values())


def python_fingerprint(project: Path) -> str:
    """What the Python checks depend on: code, requirements and the tools' settings."""
    digest = hashlib.sha256()
    files = [*project.rglob("*.py"), *project.glob("requirements/*.txt")]
    for path in sorted(files):
        digest.update(path.relative_to(project).as_posix().encode())
        digest.update(path.read_bytes())
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    digest.update(json.dumps(pyproject["tool"], sort_keys=True).encode())
    digest.update(pyproject["project"]["requires-python"].encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def reference_fingerprint(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """The fingerprint of the default answers for a python_version, computed once."""
    cache: dict[str, str] = {}

    def fingerprint(python_version: str) -> str:
        if python_version not in cache:
            project = render_template(
                tmp_path_factory.mktemp("reference"), {"python_version": python_version}
            )
            cache[python_version] = python_fingerprint(project)
        return cache[python_version]

    return fingerprint


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_variant(
    variant: dict[str, Any], tmp_path: Path, reference_fingerprint: Callable[[str], str]
) -> None:
    project = render_template(tmp_path, variant)

    residue = [
        f"{path.relative_to(project)}:{number}"
        for path, text in text_files(project)
        for number, line in enumerate(text.splitlines(), start=1)
        if RESIDUE.search(line)
    ]
    assert residue == []

    for path, text in text_files(project):
        if path.name.startswith(".env"):
            lines = [line for line in text.splitlines() if line and not line.startswith("#")]
            assert all(ENV_LINE.fullmatch(line) for line in lines), path
        elif path.suffix in PARSERS:
            try:
                PARSERS[path.suffix](text)
            except (SyntaxError, ValueError, yaml.YAMLError) as error:
                pytest.fail(f"{path.relative_to(project)} does not parse: {error}")

    for row in OPTION_FILES:
        wanted = row.needed(variant[row.option])
        for relative in row.paths:
            assert (project / relative).exists() == wanted, f"{relative} with {variant}"

    # Options other than python_version leave the Python untouched, so the default's checks
    # cover them; an option that changes Python code must get slow checks of its own.
    assert python_fingerprint(project) == reference_fingerprint(variant["python_version"])


@pytest.fixture(scope="class")
def bake(bake_project: Callable[..., Bake], python_version: str) -> Bake:
    return bake_project(python_version=python_version)


@pytest.mark.slow
@pytest.mark.parametrize("python_version", OTHER_PYTHONS, scope="class")
class TestOtherPythonVersions:
    """The Python checks for each python_version other than the default."""

    def test_lint_format_and_types(self, bake: Bake) -> None:
        bake.run("ruff", "check", ".")
        bake.run("ruff", "format", "--check", ".")
        bake.run("mypy", ".", timeout=900)

    def test_deploy_checks_and_migrations(self, bake: Bake) -> None:
        bake.manage("check", "--deploy", "--fail-level", "WARNING", env=bake.prod_env())
        bake.manage("makemigrations", "--check", "--dry-run")

    def test_baked_suite_passes_with_coverage_gate(self, bake: Bake) -> None:
        result = bake.run("pytest", "-p", "no:cacheprovider", timeout=900)
        assert " passed" in result.stdout
