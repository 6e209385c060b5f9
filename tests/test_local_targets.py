"""The baked Makefile's local targets as a developer meets them: where the servers listen.

Local servers run with the development settings (debug pages, the open API docs), so they listen
on loopback unless `HOST=` says otherwise. The quick tests read what make would run; the slow
one starts `make serve` for real and asks the kernel which address its socket is bound to.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import requests
from conftest import Bake, background, free_port

TEMPLATE = Path(__file__).resolve().parents[1]


def make_dry_run(project: Path, *args: str) -> str:
    """What `make --dry-run ...` would run in the bake (nothing is run)."""
    done = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def frontend_bake(cookies_session) -> Path:
    """A bake with every local server target: the API's and the Next.js frontend's."""
    result = cookies_session.bake(extra_context={"frontend": "nextjs"}, template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    return result.project_path


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
    done = subprocess.run(
        ["make", "--dry-run", "serve"],
        cwd=frontend_bake,
        env={"PATH": "/usr/bin:/bin", "HOST": "example.org"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "GUNICORN_HOST=127.0.0.1 " in done.stdout, done.stdout


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
def test_make_serve_listens_on_loopback_only(default_bake: Bake, tmp_path: Path) -> None:
    def serve(*args: str) -> set[str]:
        port = free_port()
        command = ["make", "serve", f"VENV={default_bake.venv}", f"PORT={port}", *args]
        with background(default_bake, f"serve-{port}", command, tmp_path) as server:
            server.wait_until(
                lambda: requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok,
                timeout=120,
                what="answering /healthz",
            )
            return listening_addresses(port)

    assert serve() == {"127.0.0.1"}
    assert serve("HOST=0.0.0.0") == {"0.0.0.0"}
