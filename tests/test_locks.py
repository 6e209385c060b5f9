"""The requirement locks: complete, hashed, consistent, fresh, and what every installer uses.

The template ships the compiled locks of each Python package set its answers produce
(requirements/locks/<set>/{base,prod,dev}.txt in the project template; scripts/locks.py names
the sets from the post-generation hook, and `make locks` writes them).

Quick tier (no network): every set is shipped; every line of every lock is an exact pin with its
hashes, for the set's Python version; base, prod and dev agree on each shared package and each
contains the one below it; a set without Celery holds none of Celery's packages; the uv the
template runs is the uv the locks pin; `make install`, the Dockerfile and both CI files install
a lock with hashes required; the hook refuses answers whose set is not shipped.

Slow tier (PyPI): every lock installs with hashes required into a fresh virtualenv with
--no-deps and passes `uv pip check`; the bake's own `make lock` re-resolves each set to the
committed pins (a stale lock fails naming `make locks`); `make lock` after a .in edit moves
only what the edit needs, and `make upgrade package=NAME` only NAME.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from support.bakes import TEMPLATE_DIR, render_template, template_defaults
from support.ci_scripts import canonicalize_name, clean_env
from support.processes import describe_result
from support.venvs import SCRUBBED_ENV_NAMES, find_python, find_uv

from scripts import locks

LOCK_SETS = locks.lock_sets()
LOCK_FILES = [(lock_set, name) for lock_set in LOCK_SETS for name in locks.LOCK_NAMES]
CELERY_PACKAGES = frozenset({"celery", "kombu", "celery-types", "billiard", "vine", "amqp"})
REQUIREMENT = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]*)==(?P<version>\S+) \\$")
HASH = re.compile(r"^    --hash=sha256:[0-9a-f]{64}(?: \\)?$")
# uv's "via" annotations: "    # via kombu", or "    # via" and one "    #   name" per line.
ANNOTATION = re.compile(r"^    # via(?: \S.*)?$|^    #   \S")


def set_id(lock_set: locks.LockSet) -> str:
    return lock_set.name


def file_id(item: tuple[locks.LockSet, str]) -> str:
    return f"{item[0].name}/{item[1]}"


def pins(text: str) -> dict[str, str]:
    """name -> version of a lock's requirements (names as uv writes them: normalised)."""
    return {
        canonicalize_name(match["name"]): match["version"]
        for match in map(REQUIREMENT.match, text.splitlines())
        if match
    }


def lock_problems(text: str, python_version: str) -> list[str]:
    """Why a lock is not every package pinned exactly with its hashes, for this Python."""
    lines = text.splitlines()
    problems = []
    header = "\n".join(lines[:2])
    for option in ("uv pip compile", "--generate-hashes", f"--python-version {python_version}"):
        if option not in header:
            problems.append(f"the header does not say {option!r}: {header!r}")
    hashes_of: str | None = None
    counted = 0
    for number, line in enumerate(lines[2:], start=3):
        requirement = REQUIREMENT.match(line)
        if requirement:
            if hashes_of and not counted:
                problems.append(f"{hashes_of} has no hash")
            hashes_of, counted = requirement["name"], 0
        elif HASH.match(line):
            counted += 1
        elif not (ANNOTATION.match(line) or line == ""):
            problems.append(f"line {number}: {line!r} is neither a pin, a hash nor a comment")
    if hashes_of and not counted:
        problems.append(f"{hashes_of} has no hash")
    if not pins(text):
        problems.append("no pinned requirement at all")
    return problems


# --------------------------------------------------------------------------------------------
# Quick tier: the files
# --------------------------------------------------------------------------------------------


def test_every_package_set_has_its_locks_and_nothing_else_is_shipped() -> None:
    shipped = sorted(path.name for path in locks.LOCKS_DIR.iterdir())
    assert shipped == sorted(lock_set.name for lock_set in LOCK_SETS)
    for lock_set in LOCK_SETS:
        assert sorted(p.name for p in lock_set.directory.iterdir()) == sorted(locks.LOCK_NAMES)


@pytest.mark.parametrize("item", LOCK_FILES, ids=file_id)
def test_every_package_is_pinned_with_its_hashes(item: tuple[locks.LockSet, str]) -> None:
    lock_set, name = item
    text = (lock_set.directory / name).read_text(encoding="utf-8")
    assert lock_problems(text, str(lock_set.answers["python_version"])) == []


def test_lock_checker_rejects_what_is_not_a_lock() -> None:
    good = (LOCK_SETS[0].directory / "base.txt").read_text(encoding="utf-8")
    python = str(LOCK_SETS[0].answers["python_version"])
    assert lock_problems(good, python) == []
    unhashed = re.sub(r"^(django==\S+) \\\n(    --hash=.*\n)+", r"\1\n", good, flags=re.M)
    assert lock_problems(unhashed, python) != []
    assert lock_problems(good + "requests>=2\n", python) != []
    assert lock_problems(good, "3.99") != []
    assert lock_problems(good.replace("--generate-hashes ", ""), python) != []


@pytest.mark.parametrize("lock_set", LOCK_SETS, ids=set_id)
def test_base_prod_and_dev_agree_and_contain_each_other(lock_set: locks.LockSet) -> None:
    base, prod, dev = (
        pins((lock_set.directory / name).read_text(encoding="utf-8")) for name in locks.LOCK_NAMES
    )
    assert set(base) < set(prod) < set(dev)
    assert {name: prod[name] for name in base} == base
    assert {name: dev[name] for name in prod} == prod
    assert "gunicorn" in set(prod) - set(base)
    assert {"pytest", "mypy", "ruff", "uv"} <= set(dev) - set(prod)


@pytest.mark.parametrize("lock_set", LOCK_SETS, ids=set_id)
def test_a_set_holds_celery_exactly_when_its_answers_ask(lock_set: locks.LockSet) -> None:
    dev = pins((lock_set.directory / "dev.txt").read_text(encoding="utf-8"))
    present = CELERY_PACKAGES & set(dev)
    assert present == (CELERY_PACKAGES if lock_set.answers["use_celery"] else set())


def template_uv_pin() -> str:
    pyproject = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    test_group: list[str] = pyproject["dependency-groups"]["test"]
    pinned = [req for req in test_group if req.startswith("uv==")]
    assert len(pinned) == 1, pinned
    return pinned[0].removeprefix("uv==")


@pytest.mark.parametrize("lock_set", LOCK_SETS, ids=set_id)
def test_the_template_runs_the_uv_the_locks_pin(lock_set: locks.LockSet) -> None:
    """`make locks` must write what a team's `make lock` (with dev.txt's uv) writes."""
    dev = pins((lock_set.directory / "dev.txt").read_text(encoding="utf-8"))
    assert dev["uv"] == template_uv_pin()


def test_the_hook_refuses_answers_whose_set_is_not_shipped(tmp_path: Path) -> None:
    hook = locks.HOOK
    (tmp_path / hook.LOCKS_DIR / "py3.12-celery").mkdir(parents=True)
    problem = hook.install_locks(tmp_path, {"python_version": "3.14", "use_celery": True})
    assert problem is not None
    assert "py3.14-celery" in problem
    assert "make locks" in problem


# --------------------------------------------------------------------------------------------
# Quick tier: every installer takes a lock, with hashes required
# --------------------------------------------------------------------------------------------


def uv_env() -> dict[str, str]:
    env = {key: value for key, value in clean_env().items() if key not in SCRUBBED_ENV_NAMES}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=uv_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, describe_result(result, cwd)
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_template(tmp_path_factory.mktemp("locks"))


def make_dry_run(project: Path, *args: str) -> str:
    return run("make", "--dry-run", *args, cwd=project).stdout


def test_make_install_installs_exactly_the_dev_lock_with_hashes(project: Path) -> None:
    with_uv = make_dry_run(project, "install", "UV=uv")
    assert "uv pip sync --python .venv/bin/python --require-hashes requirements/dev.txt" in with_uv
    with_pip = make_dry_run(project, "install", "UV=")
    assert (
        ".venv/bin/python -m pip install --require-hashes --no-deps -r requirements/dev.txt"
        in with_pip
    )
    assert "uv" not in with_pip.replace("requirements/", "")


def test_make_lock_compiles_each_layer_on_the_one_below(project: Path) -> None:
    python = template_defaults()["python_version"]
    commands = [
        line for line in make_dry_run(project, "lock").splitlines() if "pip compile" in line
    ]
    assert [line.split()[-1] for line in commands] == [
        "requirements/base.in",
        "requirements/prod.in",
        "requirements/dev.in",
    ]
    for line in commands:
        assert line.startswith(".venv/bin/uv pip compile"), line
        assert "--generate-hashes" in line
        assert f"--python-version {python}" in line
        assert "--upgrade" not in line
    assert "-c base.txt" in (project / "requirements" / "prod.in").read_text()
    assert "-c prod.txt" in (project / "requirements" / "dev.in").read_text()


def test_make_upgrade_moves_all_or_one_package(project: Path) -> None:
    everything = make_dry_run(project, "upgrade")
    assert everything.count("pip compile --quiet --generate-hashes") == 3
    assert everything.count(" --upgrade ") == 3
    one = make_dry_run(project, "upgrade", "package=django")
    assert one.count(" --upgrade-package django ") == 3
    assert " --upgrade " not in one


def test_the_image_installs_the_production_lock_with_hashes(project: Path) -> None:
    dockerfile = (project / "docker" / "Dockerfile").read_text(encoding="utf-8")
    installs = [
        line for line in dockerfile.splitlines() if re.search(r"\bpip (install|wheel)\b", line)
    ]
    assert installs == [
        "RUN pip wheel --wheel-dir /wheels --require-hashes --no-deps -r requirements/prod.txt",
        "RUN pip install --no-cache-dir --no-index --no-deps /wheels/*.whl && rm -rf /wheels",
    ]


@pytest.mark.parametrize(
    ("answers", "path"),
    [({}, ".github/workflows/ci.yml"), ({"ci_provider": "gitlab"}, ".gitlab-ci.yml")],
    ids=["github", "gitlab"],
)
def test_ci_installs_python_packages_only_through_make_install(
    tmp_path: Path, answers: dict[str, str], path: str
) -> None:
    text = (render_template(tmp_path, answers) / path).read_text(encoding="utf-8")
    assert "run: make install" in text or "- make install" in text
    assert re.findall(r"\bpip (?:install|sync|wheel)\b", text) == []


# --------------------------------------------------------------------------------------------
# Slow tier: installing and re-resolving, against the package index
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("item", LOCK_FILES, ids=file_id)
def test_every_lock_installs_alone_with_hashes_and_passes_pip_check(
    item: tuple[locks.LockSet, str], tmp_path: Path
) -> None:
    """--no-deps: nothing the lock lacks is fetched, so a missing package shows in the check."""
    lock_set, name = item
    uv, venv = find_uv(), tmp_path / "venv"
    run(uv, "venv", "--quiet", "--python", find_python(lock_set.answers["python_version"]), venv)
    python = venv / "bin" / "python"
    lock = lock_set.directory / name
    run(uv, "pip", "install", "--python", python, "--require-hashes", "--no-deps", "-r", lock)
    checked = run(uv, "pip", "check", "--python", python)
    assert "All installed packages are compatible" in checked.stdout + checked.stderr
    installed = run(uv, "pip", "freeze", "--python", python).stdout
    assert pins(installed.replace("\n", " \\\n")) == pins(lock.read_text(encoding="utf-8"))


def without_hashes(text: str) -> list[str]:
    """A lock's lines but its hashes: the pins, annotations and header a re-resolve must keep.

    Hashes are left out because an index may add files (a wheel for a new Python) to a release
    already pinned; that changes no version, so it does not make a lock stale.
    """
    return [line.removesuffix(" \\") for line in text.splitlines() if "--hash=" not in line]


def make_lock(project: Path, *args: str) -> None:
    result = locks.make_lock_in(project, locks.template_venv(), args or ("lock",))
    assert result.returncode == 0, describe_result(result, project)


@pytest.mark.slow
@pytest.mark.parametrize("lock_set", LOCK_SETS, ids=set_id)
def test_make_lock_on_a_bake_keeps_the_committed_pins(
    lock_set: locks.LockSet, tmp_path: Path
) -> None:
    project = render_template(tmp_path, lock_set.answers)
    make_lock(project)
    stale = []
    for name in locks.LOCK_NAMES:
        committed = without_hashes((lock_set.directory / name).read_text(encoding="utf-8"))
        resolved = without_hashes((project / "requirements" / name).read_text(encoding="utf-8"))
        if resolved != committed:
            changed = sorted(set(resolved) ^ set(committed))
            stale.append(f"{name}: {changed[:10]}")
    assert stale == [], (
        f"the locks in {lock_set.directory.relative_to(TEMPLATE_DIR)} are stale (re-resolving "
        f"requirements/*.in changes them: {stale}); run `make locks` in the template and commit"
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def lock_pins(project: Path) -> dict[str, dict[str, str]]:
    return {
        name: pins((project / "requirements" / name).read_text(encoding="utf-8"))
        for name in locks.LOCK_NAMES
    }


def changed_pins(
    before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    return {
        name: {
            package: (before[name].get(package), after[name].get(package))
            for package in set(before[name]) | set(after[name])
            if before[name].get(package) != after[name].get(package)
        }
        for name in locks.LOCK_NAMES
    }


@pytest.mark.slow
def test_make_lock_moves_only_the_edit_and_make_upgrade_only_its_package(tmp_path: Path) -> None:
    project = render_template(tmp_path)
    requirements = project / "requirements"
    before = lock_pins(project)
    old_sqlparse = "0.5.0"
    assert before["base.txt"]["sqlparse"] != old_sqlparse

    # A .in edit: an older PyJWT. `make lock` moves it in every layer and nothing else.
    edit(requirements / "base.in", "PyJWT>=2.15.1,<3", "PyJWT==2.10.1")
    make_lock(project)
    after = lock_pins(project)
    assert changed_pins(before, after) == {
        name: {"pyjwt": (before[name]["pyjwt"], "2.10.1")} for name in locks.LOCK_NAMES
    }

    # An older sqlparse (a dependency of Django's) in the locks: `make lock` keeps it...
    for name in locks.LOCK_NAMES:
        lock = requirements / name
        lock.write_text(
            re.sub(
                r"^sqlparse==\S+ \\\n(?:    --hash=.*\n)+",
                f"sqlparse=={old_sqlparse}\n",
                lock.read_text(encoding="utf-8"),
                flags=re.M,
            ),
            encoding="utf-8",
        )
    make_lock(project)
    held = lock_pins(project)
    assert {name: held[name]["sqlparse"] for name in locks.LOCK_NAMES} == dict.fromkeys(
        locks.LOCK_NAMES, old_sqlparse
    )

    # ... and `make upgrade package=sqlparse` moves it, and only it, to its newest release.
    make_lock(project, "upgrade", "package=sqlparse")
    upgraded = lock_pins(project)
    changes = changed_pins(held, upgraded)
    assert {name: set(change) for name, change in changes.items()} == {
        name: {"sqlparse"} for name in locks.LOCK_NAMES
    }
    newest = {upgraded[name]["sqlparse"] for name in locks.LOCK_NAMES}
    assert len(newest) == 1, "the layers must agree"
    assert tuple(map(int, newest.pop().split("."))) >= tuple(
        map(int, before["base.txt"]["sqlparse"].split("."))
    )
