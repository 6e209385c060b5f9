"""The baked Makefile's local targets as a developer meets them: where the servers listen, and
which Python `make install` takes.

Local servers run with the development settings (debug pages, the open API docs), so they listen
on loopback unless `HOST=` says otherwise. The quick tests read what make would run; the slow
one starts `make serve` for real and asks the kernel which address its socket is bound to.

`make install` must find a Python that really runs: on a machine with pyenv, `python3.12` on
PATH may be a shim that fails. The tests give make a PATH of their own with such a shim and a
pyenv root holding a real interpreter.
"""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from pytest_cookies.plugin import Cookies
from support.bakes import Bake
from support.servers import MysqlServer, free_port
from support.venvs import find_python

TEMPLATE = Path(__file__).resolve().parents[1]


def run(
    *command: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def make_dry_run(project: Path, *args: str) -> str:
    """What `make --dry-run ...` would run in the bake (nothing is run)."""
    done = run("make", "--dry-run", "--no-print-directory", *args, cwd=project)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def frontend_bake(cookies_session: Cookies) -> Path:
    """A bake with every local server target: the API's and the Next.js frontend's."""
    result = cookies_session.bake(extra_context={"frontend": "nextjs"}, template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


# target -> how its command names the address it listens on
LISTEN_SPELLING = {
    "run": "runserver {host}:",
    "serve": "GUNICORN_HOST={host} ",
    "frontend-dev": "--hostname {host}",
    "frontend-start": "HOSTNAME={host} ",
}


@pytest.mark.parametrize("target", list(LISTEN_SPELLING))
def test_local_servers_listen_on_loopback_unless_told(frontend_bake: Path, target: str) -> None:
    default = make_dry_run(frontend_bake, target)
    everywhere = make_dry_run(frontend_bake, target, "HOST=0.0.0.0")

    assert LISTEN_SPELLING[target].format(host="127.0.0.1") in default, default
    assert "0.0.0.0" not in default, default
    assert LISTEN_SPELLING[target].format(host="0.0.0.0") in everywhere, everywhere


def test_a_host_variable_in_the_environment_is_not_taken(frontend_bake: Path) -> None:
    """tcsh exports HOST (the machine's name): only `make ... HOST=` may change the address."""
    env = {"PATH": "/usr/bin:/bin", "HOST": "example.org"}
    done = run("make", "--dry-run", "serve", cwd=frontend_bake, env=env)
    assert "GUNICORN_HOST=127.0.0.1 " in done.stdout, done.stdout + done.stderr


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on TCP `port` (Linux /proc/net)."""
    found = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, port_hex = local.partition(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            # The kernel prints each 32-bit word of the address in host (little-endian) order.
            raw = b"".join(
                bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, len(address), 8)
            )
            found.add(socket.inet_ntop(family, raw))
    return found


@pytest.mark.slow
def test_make_serve_listens_on_loopback_and_logs_no_colour_codes_to_a_file(
    default_bake: Bake, tmp_path: Path
) -> None:
    """The bake's .env says LOG_FORMAT=console, which is coloured on a terminal only."""

    def serve(*args: str) -> tuple[set[str], str]:
        port = free_port()
        command = ["make", "serve", f"VENV={default_bake.venv}", f"PORT={port}", *args]
        with default_bake.start(f"serve-{port}", command, tmp_path) as server:
            server.wait_until(
                lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok,
                timeout=120,
                what="answering /healthz",
            )
            return listening_addresses(port), server.log()

    addresses, log = serve()
    assert addresses == {"127.0.0.1"}
    assert "Listening at: http://127.0.0.1:" in log, log
    assert "\x1b[" not in log, log
    assert serve("HOST=0.0.0.0")[0] == {"0.0.0.0"}


# --- which Python `make install` takes ----------------------------------------------------------


def fake_command(directory: Path, name: str, script: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def make_in(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """make in the bake with a bare PATH (plus home/bin) and no pyenv but home/pyenv."""
    env = {
        "PATH": f"{home / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "PYENV_ROOT": str(home / "pyenv"),
    }
    return run("make", *args, cwd=project, env=env)


@pytest.fixture
def fresh_bake(cookies: Cookies) -> Path:
    result = cookies.bake(template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def test_make_install_passes_over_a_pyenv_shim_that_fails(fresh_bake: Path, tmp_path: Path) -> None:
    """python3.12 on PATH is a shim that fails (pyenv's active version lacks it); pyenv has one."""
    home = tmp_path / "home"
    fake_command(
        home / "bin", "python3.12", 'echo "pyenv: python3.12: command not found" >&2; exit 127'
    )
    real = Path(find_python("3.12"))
    installed = home / "pyenv" / "versions" / "3.12.99" / "bin"
    installed.mkdir(parents=True)
    (installed / "python3.12").symlink_to(real)

    done = make_in(fresh_bake, home, ".venv/bin/python")

    assert done.returncode == 0, done.stdout + done.stderr
    venv_python = fresh_bake / ".venv" / "bin" / "python"
    version = run(venv_python, "-c", "import sys; print(sys.version_info[:2])", cwd=fresh_bake)
    assert version.stdout.strip() == "(3, 12)", version.stderr


def test_make_install_says_what_to_install_when_no_python_runs(
    fresh_bake: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    fake_command(home / "bin", "python3.12", "exit 127")

    done = make_in(fresh_bake, home, ".venv/bin/python")

    assert done.returncode != 0
    for hint in (
        "pyenv install 3.12",
        "uv python install 3.12",
        "apt-get install python3.12 python3.12-venv",
        "ppa:deadsnakes/ppa",
        "PYTHON=/path/to/python3.12",
    ):
        assert hint in done.stderr, done.stderr
    assert not (fresh_bake / ".venv").exists()


def find_python_script(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run("sh", "scripts/find_python.sh", *args, cwd=project)


def test_python_variable_names_the_interpreter(frontend_bake: Path, tmp_path: Path) -> None:
    real = find_python("3.12")
    other = fake_command(tmp_path, "python-other", 'echo "3.11 /usr/bin/python3.11"')

    chosen = find_python_script(frontend_bake, "3.12", real)
    wrong = find_python_script(frontend_bake, "3.12", str(other))
    missing = find_python_script(frontend_bake, "3.12", str(tmp_path / "nothing"))

    assert chosen.returncode == 0, chosen.stderr
    assert Path(chosen.stdout.strip()).samefile(real)
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == f"PYTHON={other} is Python 3.11, not 3.12."
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"PYTHON={tmp_path / 'nothing'} does not run."


def test_find_python_is_shellcheck_clean(frontend_bake: Path) -> None:
    shellcheck = Path(sys.executable).parent / "shellcheck"
    done = run(shellcheck, "scripts/find_python.sh", cwd=frontend_bake)
    assert done.returncode == 0, done.stdout


# --- the administrator session `make db-setup` runs its SQL in -----------------------------------

ADMIN_PIPE = re.compile(r'printf .* "\$sql" \| (.+?) \|\| \{')


def db_setup_admin(project: Path, tmp_path: Path, uid: int, *args: str) -> str:
    """The command `make db-setup` would pipe its SQL into, for a user of this uid."""
    bin_dir = tmp_path / f"uid-{uid}"
    fake_command(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}')
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run("make", "--dry-run", "db-setup", *args, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    found = ADMIN_PIPE.search(done.stdout)
    assert found, done.stdout
    return found.group(1)


def test_db_setup_runs_as_root_without_sudo_and_as_anyone_else_through_it(
    fresh_bake: Path, tmp_path: Path
) -> None:
    assert db_setup_admin(fresh_bake, tmp_path, 0) == "mysql"
    assert db_setup_admin(fresh_bake, tmp_path, 1000) == "sudo mysql"


def test_db_setup_takes_the_admin_session_a_person_names(fresh_bake: Path, tmp_path: Path) -> None:
    admin = "mysql --host=db.internal --port=3307 --user=admin -p"

    assert db_setup_admin(fresh_bake, tmp_path, 1000, f"MYSQL_ADMIN={admin}") == admin


def admin_client_options(server: MysqlServer) -> dict[str, str]:
    """The session server's administrator account as mysql client options."""
    kwargs = server.admin_connect_kwargs
    options = {"user": str(kwargs["user"])}
    if "unix_socket" in kwargs:
        options["socket"] = str(kwargs["unix_socket"])
    else:
        options.update(host=str(kwargs["host"]), port=str(kwargs["port"]))
    if kwargs.get("passwd"):
        options["password"] = str(kwargs["passwd"])
    return options


@pytest.mark.slow
@pytest.mark.parametrize("admin_from", ["MYSQL_ADMIN", "~/.my.cnf as root"])
def test_make_db_setup_creates_a_database_its_user_can_use(
    default_bake: Bake, mysql_server: MysqlServer, tmp_path: Path, admin_from: str
) -> None:
    """On the session's MariaDB: the admin session from MYSQL_ADMIN, or root's plain `mysql`
    reading ~/.my.cnf; then the new user signs in over TCP and may create its test database."""
    name = f"dbsetup_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    options = admin_client_options(mysql_server)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "DATABASE_URL": f"mysql://{name}:{password}@127.0.0.1:{mysql_server.port}/{name}",
        "HOME": str(home),
    }
    args = [f"VENV={default_bake.venv}"]
    if admin_from == "MYSQL_ADMIN":
        env["MYSQL_PWD"] = options.pop("password", "")
        flags = " ".join(f"--{key}={value}" for key, value in options.items())
        args.append(f"MYSQL_ADMIN=mysql {flags}")
    else:
        (home / ".my.cnf").write_text(
            "[client]\n" + "".join(f"{key}={value}\n" for key, value in options.items())
        )
        fake_command(tmp_path / "root", "id", '[ "$1" = -u ] && echo 0')
        env["PATH"] = f"{tmp_path / 'root'}:{default_bake.env()['PATH']}"
    try:
        done = default_bake.run("make", "db-setup", *args, env=env, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

        import MySQLdb

        user = MySQLdb.connect(
            host="127.0.0.1", port=mysql_server.port, user=name, passwd=password, database=name
        )
        try:
            user.cursor().execute(f"CREATE DATABASE `test_{name}`")
        finally:
            user.close()
    finally:
        admin = mysql_server.connect()
        try:
            cursor = admin.cursor()
            for database in (name, f"test_{name}"):
                cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
            for host in ("localhost", "%"):
                cursor.execute(f"DROP USER IF EXISTS '{name}'@'{host}'")
        finally:
            admin.close()
