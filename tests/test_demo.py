"""`make demo` (scripts/demo) as a new user meets it: it checks everything it needs before it
installs or starts anything, says what to do about what is missing, and `make demo-clean`
drops exactly the demo's database and users.

Quick tier: the system commands the demo would change the machine with (service, apt-get,
sudo, mysql, redis-cli) are stand-ins on PATH that only record how they were called, so no
test here starts a server or installs a package. The whole demo, on the machine's real MariaDB
and Redis, is run by hand (README: make demo, curl, Ctrl-C, make demo-clean).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support.venvs import find_python

TEMPLATE = Path(__file__).resolve().parents[1]
RECORDED = ("service", "apt-get", "sudo", "mysql", "redis-cli")
TEST_GROUP = tomllib.loads((TEMPLATE / "pyproject.toml").read_text())["dependency-groups"]["test"]
UV_PIN = next(pin for pin in TEST_GROUP if pin.startswith("uv=="))


class Machine:
    """A PATH whose system commands record their calls, and a DEMO_DIR, for scripts/demo."""

    def __init__(self, root: Path) -> None:
        self.stubs = root / "stubs"
        self.calls = root / "calls.log"
        self.out = root / "build"
        self.stubs.mkdir(parents=True)
        for name in RECORDED:
            stub = self.stubs / name
            stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.calls}"\n', encoding="utf-8")
            stub.chmod(0o755)

    def recorded(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def demo(
        self, *args: str, path: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        base = {
            key: value
            for key, value in os.environ.items()
            if key not in {"PYTHON", "HOST", "PORT", "VERBOSE", "DEMO_DIR", "MAKEFLAGS"}
        }
        return subprocess.run(
            ["bash", "scripts/demo", *args],
            cwd=TEMPLATE,
            env=base
            | {"PATH": f"{self.stubs}:{path or os.environ['PATH']}", "DEMO_DIR": str(self.out)}
            | env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def fake_python(directory: Path, version: str) -> Path:
    """A command that answers the interpreter probe like Python `version` would."""
    path = directory / f"python{version}"
    path.write_text(f'#!/bin/sh\necho "{version} {path}"\n', encoding="utf-8")
    path.chmod(0o755)
    return path


def test_demo_stops_before_it_starts_anything_without_python_312(
    machine: Machine, tmp_path: Path
) -> None:
    python = fake_python(tmp_path, "3.11")

    done = machine.demo(PYTHON=str(python))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "make demo cannot start; it installed and started nothing:" in done.stderr
    assert f"PYTHON={python} is Python 3.11, not 3.12." in done.stderr
    assert machine.recorded() == []
    assert not machine.out.exists()


def test_demo_without_uv_installs_it_with_the_python_it_found(
    machine: Machine, tmp_path: Path
) -> None:
    bare_path = "/usr/bin:/bin"
    assert shutil.which("uv", path=bare_path) is None, "the test needs a PATH without uv"

    done = machine.demo("check", path=bare_path, PYTHON=find_python("3.12"), HOME=str(tmp_path))

    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"uv: not on PATH; installs {UV_PIN} from PyPI into {machine.out}/demo-tools" in done.stdout
    )
    assert machine.recorded() == []


def test_demo_refuses_a_port_in_use(machine: Machine) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = machine.demo("check", PYTHON=find_python("3.12"), PORT=str(port))

    assert done.returncode == 1
    assert f"something already listens on 127.0.0.1:{port}" in done.stderr
    assert "make demo PORT=8001" in done.stderr
    assert machine.recorded() == []


def test_demo_check_passes_where_everything_is_there(machine: Machine) -> None:
    """This machine (and CI's, after .ci/run's apt-get) has what the demo needs."""
    done = machine.demo("check", PYTHON=find_python("3.12"), PORT="1")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("  Python 3.12: /") for line in lines), done.stdout
    assert any(line.startswith("  uv: ") for line in lines), done.stdout
    assert "  serves on: 127.0.0.1:1" in lines
    assert machine.recorded() == []


def test_demo_clean_drops_only_the_demos_database_and_users(machine: Machine) -> None:
    (machine.out / "pulsewatch_demo").mkdir(parents=True)

    done = machine.demo("clean")

    assert done.returncode == 0, done.stderr
    [sql] = [call for call in machine.recorded() if "mysql -e" in call]
    assert sql.split("mysql -e ", 1)[1] == (
        "DROP DATABASE IF EXISTS `pulsewatch_demo`; DROP DATABASE IF EXISTS"
        " `test_pulsewatch_demo`; DROP USER IF EXISTS 'pulsewatch_demo'@'localhost',"
        " 'pulsewatch_demo'@'%';"
    )
    assert not machine.out.exists()


def test_demo_clean_refuses_while_a_demo_runs(machine: Machine) -> None:
    """Removing the bake and the log under a running demo would leave its servers running."""
    (machine.out / "pulsewatch_demo").mkdir(parents=True)
    running = subprocess.Popen(["sleep", "60"])
    try:
        (machine.out / "demo.pid").write_text(f"{running.pid}\n")
        refused = machine.demo("clean")
    finally:
        running.kill()
        running.wait()
    calls_while_running = machine.recorded()
    done = machine.demo("clean")

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"a demo is still running (pid {running.pid})" in refused.stderr
    assert "Nothing was removed." in refused.stderr
    assert calls_while_running == []
    assert done.returncode == 0, done.stderr
    assert not machine.out.exists()


def test_demo_is_shellcheck_clean() -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    done = subprocess.run(
        [shellcheck, "scripts/demo"], cwd=TEMPLATE, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout
