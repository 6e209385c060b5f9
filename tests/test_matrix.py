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
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.bake_files import doubled_blank_lines, residue, unparsable
from support.bakes import TEMPLATE_DIR, Bake, render_template, template_defaults
from support.processes import run
from support.venvs import tool
from test_kubernetes import VALIDATED_VERSIONS, kustomize, validate


def load_hook(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(
        f"matrix_{name}", TEMPLATE_DIR / "hooks" / f"{name}.py"
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
REQUIREMENTS = load_hook("pre_gen_project").REQUIREMENTS
POST_GEN_HOOK = load_hook("post_gen_project")
OPTION_FILES = POST_GEN_HOOK.OPTION_FILES
# The options that choose the requirement locks (the Python packages a bake installs).
LOCK_OPTIONS: tuple[str, ...] = POST_GEN_HOOK.LOCK_OPTIONS


def allowed(variant: dict[str, Any]) -> bool:
    """False for a combination the pre-gen rules refuse (say, Kubernetes without Docker)."""
    return not any(variant[rule.option] and not variant[rule.needs] for rule in REQUIREMENTS)


COMBINATIONS = [
    dict(zip(OPTIONS, values, strict=True)) for values in itertools.product(*OPTIONS.values())
]
VARIANTS = [variant for variant in COMBINATIONS if allowed(variant)]
REFUSED = [variant for variant in COMBINATIONS if not allowed(variant)]

# The options that change Python files (code, requirements, tool settings); every other option
# must leave them alone, which test_variant proves.
PYTHON_OPTIONS = ("python_version", "use_celery", "use_docker")
DEFAULTS = template_defaults()
PYTHON_GROUPS = sorted(
    {tuple(variant[option] for option in PYTHON_OPTIONS) for variant in VARIANTS}
    - {tuple(DEFAULTS[option] for option in PYTHON_OPTIONS)},
    key=str,
)


def variant_id(variant: dict[str, Any]) -> str:
    return "-".join(str(value).lower() for value in variant.values())


def variant_id_of_group(group: tuple[Any, ...]) -> str:
    return "-".join(
        f"{option}={value}" for option, value in zip(PYTHON_OPTIONS, group, strict=True)
    )


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


def requirements_fingerprint(project: Path) -> str:
    """What a bake installs: its requirements/ (the .in files and their locks)."""
    digest = hashlib.sha256()
    for path in sorted((project / "requirements").iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cached_reference(
    tmp_path_factory: pytest.TempPathFactory,
    options: tuple[str, ...],
    measure: Callable[[Path], str],
) -> Callable[[tuple[Any, ...]], str]:
    """measure() of a bake with the default answers but for `options`, once per answer group."""
    cache: dict[tuple[Any, ...], str] = {}

    def fingerprint(group: tuple[Any, ...]) -> str:
        if group not in cache:
            answers = dict(zip(options, group, strict=True))
            cache[group] = measure(render_template(tmp_path_factory.mktemp("reference"), answers))
        return cache[group]

    return fingerprint


@pytest.fixture(scope="module")
def reference_fingerprint(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[tuple[Any, ...]], str]:
    """The Python fingerprint of the default answers but for PYTHON_OPTIONS, cached."""
    return cached_reference(tmp_path_factory, PYTHON_OPTIONS, python_fingerprint)


@pytest.fixture(scope="module")
def reference_requirements(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[tuple[Any, ...]], str]:
    """The requirements fingerprint of the default answers but for LOCK_OPTIONS, cached."""
    return cached_reference(tmp_path_factory, LOCK_OPTIONS, requirements_fingerprint)


@pytest.mark.matrix
@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_variant(
    variant: dict[str, Any],
    tmp_path: Path,
    reference_fingerprint: Callable[[tuple[Any, ...]], str],
    reference_requirements: Callable[[tuple[Any, ...]], str],
) -> None:
    project = render_template(tmp_path, variant)

    assert residue(project) == []
    assert doubled_blank_lines(project) == []

    problems, _ = unparsable(project)
    assert problems == [], "\n".join(problems)

    for row in OPTION_FILES:
        wanted = row.needed(variant[row.option])
        for relative in row.paths:
            path = project / relative
            assert path.exists() == wanted, f"{relative} with {variant}"

    # Only PYTHON_OPTIONS change Python, so one slow run per PYTHON_GROUPS entry covers every
    # variant; an option that changes Python must join PYTHON_OPTIONS.
    group = tuple(variant[option] for option in PYTHON_OPTIONS)
    assert python_fingerprint(project) == reference_fingerprint(group)

    # Only LOCK_OPTIONS change what a bake installs, so the lock sets the template ships (one
    # per LOCK_OPTIONS answer) cover every variant; an option that changes requirements/ must
    # join LOCK_OPTIONS and get lock sets of its own.
    assert not (project / POST_GEN_HOOK.LOCKS_DIR).exists()
    lock_group = tuple(variant[option] for option in LOCK_OPTIONS)
    assert requirements_fingerprint(project) == reference_requirements(lock_group)


@pytest.mark.matrix
@pytest.mark.parametrize("variant", REFUSED, ids=variant_id)
def test_refused_combination_writes_nothing(variant: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(Exception, match="Stopped before writing anything"):
        render_template(tmp_path / "out", variant)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.fixture(scope="class")
def bake(bake_project: Callable[..., Bake], group: tuple[Any, ...]) -> Bake:
    return bake_project(**dict(zip(PYTHON_OPTIONS, group, strict=True)))


@pytest.mark.slow
@pytest.mark.parametrize("group", PYTHON_GROUPS, ids=variant_id_of_group, scope="class")
class TestOtherPythonTrees:
    """The Python checks for every Python tree but the default's (test_static covers that)."""

    def test_lint_layers_and_types(self, bake: Bake) -> None:
        bake.run("ruff", "check", ".")
        bake.run("ruff", "format", "--check", ".")
        bake.run("lint-imports")
        bake.run("mypy", ".", timeout=900)

    def test_deploy_checks_and_migrations(self, bake: Bake) -> None:
        bake.manage("check", "--deploy", "--fail-level", "WARNING", env=bake.prod_env())
        bake.manage("makemigrations", "--check", "--dry-run")

    def test_baked_suite_passes_with_coverage_gate(self, bake: Bake) -> None:
        result = bake.run("pytest", "-p", "no:cacheprovider", timeout=900)
        assert " passed" in result.stdout


# --------------------------------------------------------------------------------------------
# Delivery assets of every variant, each distinct file validated once
# --------------------------------------------------------------------------------------------

# Asset -> the offline validators that prove it (tools from the template's test group). The
# workflow gets actionlint too (expressions, job references, shellcheck on every `run:`).
COMPOSE_SCHEMA = ["check-jsonschema", "--builtin-schema", "vendor.compose-spec"]
ASSET_VALIDATORS: dict[str, list[list[str]]] = {
    ".github/workflows/ci.yml": [
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows"],
        ["actionlint", "-shellcheck", str(Path(sys.executable).parent / "shellcheck")],
    ],
    ".github/dependabot.yml": [["check-jsonschema", "--builtin-schema", "vendor.dependabot"]],
    ".gitlab-ci.yml": [["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci"]],
    "docker/docker-compose.yml": [COMPOSE_SCHEMA],
    "docker/docker-compose.dev.yml": [COMPOSE_SCHEMA],
    "docker/Dockerfile": [["hadolint"]],
    "docker/frontend.Dockerfile": [["hadolint"]],
    "docker/entrypoint.sh": [["shellcheck"]],
}


def run_validator(command: list[str], path: Path) -> subprocess.CompletedProcess[str]:
    return run([tool(command[0]), *command[1:], path], timeout=300, check=False)


@pytest.mark.slow
def test_every_variants_delivery_assets_validate(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Bake every variant; validate each distinct CI, compose, Docker and Kubernetes file once."""
    assets: dict[tuple[str, str], Path] = {}
    kustomizations: dict[str, Path] = {}
    for variant in VARIANTS:
        project = render_template(tmp_path_factory.mktemp("assets"), variant)
        for relative in ASSET_VALIDATORS:
            path = project / relative
            if path.exists():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                assets.setdefault((relative, digest), path)
        k8s = project / "deploy" / "k8s"
        if k8s.exists():
            tree = hashlib.sha256()
            for path in sorted(k8s.rglob("*")):
                if path.is_file():
                    tree.update(path.relative_to(k8s).as_posix().encode() + path.read_bytes())
            kustomizations.setdefault(tree.hexdigest(), k8s)

    failures = []
    for (relative, _), path in assets.items():
        for command in ASSET_VALIDATORS[relative]:
            result = run_validator(command, path)
            if result.returncode != 0:
                failures.append(f"{path}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    for k8s in kustomizations.values():
        for overlay in (k8s / "base", k8s / "overlays" / "production"):
            rendered = kustomize(overlay, tmp_path_factory.mktemp("k8s") / "rendered.yaml")
            for version in VALIDATED_VERSIONS:
                _, problems = validate([rendered.path], version)
                failures += [f"{overlay} on Kubernetes {version}: {line}" for line in problems]

    assert {relative for relative, _ in assets} == set(ASSET_VALIDATORS)
    assert kustomizations
    assert failures == [], "\n".join(failures)
    print(f"validated {len(assets)} distinct assets and {len(kustomizations)} Kubernetes trees")
