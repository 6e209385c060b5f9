"""Fail when a tool pinned in .pre-commit-config.yaml differs from requirements/dev.txt.

The pre-commit hooks install their tools from the package index (`additional_dependencies`),
while `make lint` runs the ones from requirements/dev.txt. Dependency-update bots bump only the
latter, so this check, itself a pre-commit hook, makes the two move together.

Standard library only: it runs in the bare virtualenv pre-commit gives a hook.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CONFIG = Path(".pre-commit-config.yaml")
REQUIREMENTS = Path("requirements/dev.txt")
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!-]*)")


def normalise(name: str) -> str:
    """PEP 503: Django_Upgrade, django.upgrade and django-upgrade name one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(text: str) -> dict[str, str]:
    """name -> version of the `name==version` lines of a requirements file."""
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def config_pins(text: str) -> list[tuple[int, str, str]]:
    """(line number, name, version) of every `name==version` in the pre-commit config."""
    return [
        (number, normalise(match.group(1)), match.group(2))
        for number, line in enumerate(text.splitlines(), start=1)
        for match in PIN.finditer(line.split("#", 1)[0])
    ]


def main() -> int:
    wanted = requirement_pins(REQUIREMENTS.read_text(encoding="utf-8"))
    problems = [
        f"{CONFIG}:{number}: {name}=={version}, but {REQUIREMENTS} pins "
        + (f"{name}=={wanted[name]}" if name in wanted else f"no {name}")
        for number, name, version in config_pins(CONFIG.read_text(encoding="utf-8"))
        if wanted.get(name) != version
    ]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"Pin each hook's tool to the version in {REQUIREMENTS}.", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
