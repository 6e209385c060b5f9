"""The baked CI's supply-chain steps work from each lock set the template ships, offline.

`make sbom` writes a CycloneDX SBOM of the image's packages (requirements/prod.txt) and
`make audit` checks them with pip-audit; both CIs run the two. Here each runs in a network
namespace of its own (`unshare --net`), with every prod lock set put in the place of the bake's:
the SBOM must list every locked package at its locked version, and pip-audit, in its dry-run
mode, must parse the lock with its hashes and count every package. The audit itself asks PyPI's
advisory data over the network, which these machines lack, so it is not run here.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from support.bakes import Bake
from support.ci_scripts import canonicalize_name
from support.processes import describe_result

from scripts import locks

pytestmark = pytest.mark.slow

LOCK_SETS = locks.lock_sets()
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)", re.MULTILINE)


def set_id(lock_set: locks.LockSet) -> str:
    return lock_set.name


def pins(lock: Path) -> dict[str, str]:
    return {
        canonicalize_name(match["name"]): match["version"]
        for match in PIN.finditer(lock.read_text(encoding="utf-8"))
    }


@pytest.fixture(scope="module")
def bake(tmp_path_factory: pytest.TempPathFactory) -> Bake:
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is needed to run the steps without a network")
    return Bake.render(tmp_path_factory.mktemp("supply-chain"))


def offline(bake: Bake, *args: str) -> subprocess.CompletedProcess[str]:
    """A command in the bake, in a network namespace with no interface up but loopback's."""
    command = ["unshare", "--net", *bake.command(args)]
    result = subprocess.run(
        command,
        cwd=bake.path,
        env=bake.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, describe_result(result, bake.path)
    return result


@pytest.mark.parametrize("lock_set", LOCK_SETS, ids=set_id)
def test_the_sbom_lists_every_locked_package_at_its_version(
    bake: Bake, lock_set: locks.LockSet, tmp_path: Path
) -> None:
    lock = lock_set.directory / "prod.txt"
    sbom = tmp_path / "sbom.cdx.json"
    offline(bake, "make", "sbom", f"VENV={bake.venv}", f"IMAGE_LOCK={lock}")
    shutil.move(bake.path / "sbom.cdx.json", sbom)

    document = json.loads(sbom.read_text(encoding="utf-8"))
    assert document["bomFormat"] == "CycloneDX"
    assert document["metadata"]["component"]["name"] == bake.slug
    listed = {
        canonicalize_name(component["name"]): component["version"]
        for component in document["components"]
    }
    assert listed == pins(lock)
    assert "gunicorn" in listed  # the image's server: prod's lock, not base's
    purls = {component["purl"] for component in document["components"]}
    assert f"pkg:pypi/django@{listed['django']}" in purls


@pytest.mark.parametrize("lock_set", LOCK_SETS, ids=set_id)
def test_the_audit_step_parses_the_lock_with_its_hashes(
    bake: Bake, lock_set: locks.LockSet
) -> None:
    lock = lock_set.directory / "prod.txt"
    # --no-print-directory: under an outer make (.ci/run's `make test`) make announces directories.
    recipe = offline(
        bake,
        "make",
        "--dry-run",
        "--no-print-directory",
        "audit",
        f"VENV={bake.venv}",
        f"IMAGE_LOCK={lock}",
    )
    commands = [shlex.split(line) for line in recipe.stdout.splitlines() if line.strip()]
    assert len(commands) == 1, recipe.stdout
    audit = commands[0]
    assert Path(audit[0]).name == "pip-audit", audit
    assert {"--require-hashes", "--disable-pip"} <= set(audit), audit

    dry_run = offline(bake, *audit, "--dry-run")

    counted = re.search(r"would have audited (\d+) packages", dry_run.stdout + dry_run.stderr)
    assert counted, dry_run.stdout + dry_run.stderr
    assert int(counted.group(1)) == len(pins(lock))
