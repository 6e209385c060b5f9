"""The interpreter for a bake's python_version, and the bake's cached virtualenv.

The interpreter for X.Y is $PULSEWATCH_PYTHON_X_Y when set, else the one `uv python find`
finds among the system's (PATH, pyenv's versions); uv never downloads one.

A bake's virtualenv is built by uv from its requirements/dev.txt and cached under
$PULSEWATCH_VENV_CACHE, else $XDG_CACHE_HOME/pulsewatch-template/venvs, else
~/.cache/pulsewatch-template/venvs, keyed by the requirement files and the interpreter. A file
lock (filelock) makes parallel workers and runs build each one once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock, Timeout

from .processes import describe_result, fail, run

VENV_CACHE_ENV = "PULSEWATCH_VENV_CACHE"
BUILD_INSTALL_HINT = (
    "mysqlclient compiles against libmariadb: "
    "`apt-get install libmariadb-dev pkg-config build-essential`"
)
# Variables a developer's shell may carry that would change how uv or a baked project behaves.
SCRUBBED_ENV_NAMES = frozenset(
    {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "CONDA_PREFIX", "UV_PYTHON"}
)
# Part of the cache key: bump it when the way venvs are built changes, so old ones are rebuilt.
VENV_LAYOUT = "compiled-bytecode"
VENV_COMPLETE_MARKER = ".pulsewatch-venv-complete"
STALE_VENV_DAYS = 14
LOCK_TIMEOUT = 1800


def find_uv() -> str:
    """uv from the test environment (the `uv` package in the test group) or from PATH."""
    try:
        from uv import find_uv_bin
    except ImportError:
        found = shutil.which("uv")
        if not found:
            fail("uv not found: `pip install uv` (it is in the test dependency group)")
        return found
    return str(find_uv_bin())


def find_python(version: str) -> str:
    """The interpreter for `python_version` (e.g. "3.12"); fails with how to provide one."""
    variable = "PULSEWATCH_PYTHON_" + version.replace(".", "_")
    if os.environ.get(variable):
        return os.environ[variable]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    # pyenv's shims run only the versions PYENV_VERSION names; name them all, so that uv can
    # ask each shim which Python it is.
    pyenv = shutil.which("pyenv")
    if pyenv:
        versions = subprocess.run(
            [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
        ).stdout.split()
        env["PYENV_VERSION"] = ":".join(versions)
    result = subprocess.run(
        [find_uv(), "python", "find", "--system", version],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        fail(
            f"no working Python {version} found ({result.stderr.strip().splitlines()[-1:]}); "
            f"install it (e.g. `pyenv install {version}`) "
            f"or set {variable}=/path/to/python{version}"
        )
    return result.stdout.strip()


def venv_cache_root() -> Path:
    """Where baked virtualenvs are kept between runs."""
    if os.environ.get(VENV_CACHE_ENV):
        return Path(os.environ[VENV_CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pulsewatch-template" / "venvs"


def requirements_key(project_dir: Path, python: str) -> str:
    """A hash of every requirements file and the exact interpreter the venv is built from."""
    digest = hashlib.sha256()
    version = run([python, "-c", "import sys, platform; print(sys.version, platform.machine())"])
    digest.update(version.stdout.encode())
    digest.update(str(Path(python).resolve()).encode())
    digest.update(VENV_LAYOUT.encode())
    for path in sorted((project_dir / "requirements").glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def ensure_project_venv(project_dir: Path, python_version: str) -> Path:
    """The cached virtualenv for a bake's requirements/dev.txt, built once under a file lock.

    A venv is only used once its marker file exists, so one interrupted mid-install is rebuilt
    rather than trusted.
    """
    python = find_python(python_version)
    root = venv_cache_root()
    venv = root / f"py{python_version}-{requirements_key(project_dir, python)}"
    marker = venv / VENV_COMPLETE_MARKER
    if marker.exists():
        marker.touch()  # last used, for prune_stale_venvs
        return venv
    root.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(root / f"{venv.name}.lock", timeout=LOCK_TIMEOUT):
            if not marker.exists():
                build_venv(venv, python, project_dir / "requirements" / "dev.txt")
    except Timeout:
        fail(f"timed out after {LOCK_TIMEOUT}s waiting for another build of {venv}")
    prune_stale_venvs(root, keep=venv)
    return venv


def mypy_cache_dir(venv: Path) -> Path:
    """mypy's cache for every bake checked with `venv`: the installed packages' stubs
    (django-stubs, DRF's) are checked once, not once per bake. mypy checks each source file's
    hash against its cache entry, so a file that differs from the bake that wrote the entry is
    checked again, and a module with errors is never cached."""
    return venv / "mypy-cache"


def build_venv(venv: Path, python: str, requirements: Path) -> None:
    """uv venv and uv pip install, bytecode compiled; a failure leaves no venv behind."""
    uv = find_uv()
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV_NAMES}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    shutil.rmtree(venv, ignore_errors=True)
    steps = [
        [uv, "venv", "--quiet", "--python", python, str(venv)],
        # Compiled once here: bakes run with PYTHONDONTWRITEBYTECODE, and without bytecode every
        # process (pytest, manage.py, gunicorn) compiles Django anew.
        [
            uv,
            "pip",
            "install",
            "--compile-bytecode",
            "--python",
            str(venv / "bin" / "python"),
            "-r",
            str(requirements),
        ],
    ]
    for step in steps:
        result = run(step, env=env, timeout=1500, check=False)
        if result.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            fail(
                f"building the baked virtualenv failed ({BUILD_INSTALL_HINT})\n"
                + describe_result(result)
            )
    (venv / VENV_COMPLETE_MARKER).write_text(venv.name + "\n")


def prune_stale_venvs(root: Path, keep: Path) -> None:
    """Delete cached venvs nobody built or used for STALE_VENV_DAYS (old requirement sets).

    Best effort: a venv whose lock another process holds is left alone.
    """
    cutoff = time.time() - STALE_VENV_DAYS * 86400
    for marker in root.glob(f"*/{VENV_COMPLETE_MARKER}"):
        venv = marker.parent
        if venv == keep or marker.stat().st_mtime > cutoff:
            continue
        try:
            with FileLock(root / f"{venv.name}.lock", timeout=0):
                shutil.rmtree(venv, ignore_errors=True)
        except Timeout:
            continue


def tool(name: str) -> str:
    """A command the template's test group installs (make install), by its path."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        fail(f"{name} is missing: install the template's test group (make install)")
    return str(path)
