"""What the bake tells a new user: a Quickstart that goes from a bare machine to a signed-in
admin, layout trees whose comments line up, only Make targets that exist, and a test run whose
every filtered warning says why.

Quick tier: cookiecutter and pytest-cookies only, no virtualenv, no servers.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pytest_cookies.plugin import Cookies
from support.bake_files import lines_matching
from support.bakes import TEMPLATE_DIR

# Variants whose READMEs differ most: every option on, every option off; slugs of 4 and 32 letters.
VARIANTS: dict[str, dict[str, object]] = {
    "everything": {
        "project_name": "Abcd",
        "use_celery": True,
        "use_docker": True,
        "use_kubernetes": True,
        "frontend": "nextjs",
        "ci_provider": "gitlab",
    },
    "nothing": {
        "project_name": "A Service Whose Name Is Long Enough To Cut",
        "project_slug": "a_service_whose_name_is_long_abc",
        "use_celery": False,
        "use_docker": False,
        "ci_provider": "none",
    },
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def project(request: pytest.FixtureRequest, cookies_session: Cookies) -> Path:
    answers = VARIANTS[request.param]
    result = cookies_session.bake(extra_context=answers, template=str(TEMPLATE_DIR))
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def section(readme: str, title: str) -> str:
    """The text of the README's `## title` section."""
    match = re.search(
        rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL
    )
    assert match, f"no '## {title}' section"
    return match.group(1)


# What someone on a fresh Debian needs, in the order they meet it.
QUICKSTART_STEPS = {
    "install the servers": "apt-get install mariadb-server redis-server",
    "start them": "systemctl start mariadb redis-server",
    "start them without systemd": "service mariadb start",
    "where .env points": "DATABASE_URL=mysql://",
    "servers on other ports": "127.0.0.1:3307",
    "an admin session for db-setup": 'MYSQL_ADMIN="mysql --host=',
    "a superuser": "manage.py createsuperuser",
    "the dev server on another port": "make run PORT=",
}


@pytest.mark.parametrize("step", list(QUICKSTART_STEPS))
def test_the_quickstart_names_each_step(project: Path, step: str) -> None:
    quickstart = section((project / "README.md").read_text(encoding="utf-8"), "Quickstart")

    assert QUICKSTART_STEPS[step] in quickstart, quickstart


def test_no_file_speaks_of_a_plan_the_team_never_saw(project: Path) -> None:
    assert lines_matching(project, re.compile(r"original plan|the plan\b", re.IGNORECASE)) == []


def code_blocks(markdown: str, language: str) -> list[list[str]]:
    return [
        block.splitlines()
        for block in re.findall(rf"^```{language}\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)
    ]


def test_layout_comments_line_up(project: Path) -> None:
    """Every tree in the README that comments its lines keeps the `#` in one column."""
    trees = code_blocks((project / "README.md").read_text(encoding="utf-8"), "text")

    assert any(" # " in line for tree in trees for line in tree)
    for tree in trees:
        columns = {line.index(" # ") for line in tree if " # " in line}
        assert len(columns) <= 1, "\n".join(tree)


def test_every_make_target_mentioned_exists(project: Path) -> None:
    """A bake names only targets its Makefile has (it once pointed to a `make outdated`)."""
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    mentioned = {
        match.group(1): line
        for line in lines_matching(project, re.compile(r"`make [a-z]"))
        for match in re.finditer(r"`make ([a-z][a-z-]*)", line)
    }

    assert mentioned
    unknown = {target: line for target, line in mentioned.items() if target not in targets}
    assert unknown == {}


def test_every_filtered_warning_says_why(project: Path) -> None:
    """pyproject's filterwarnings: each entry has a comment of its own right above it."""
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    filters = tomllib.loads(text)["tool"]["pytest"]["ini_options"]["filterwarnings"]
    lines = text.splitlines()

    assert filters
    for entry in filters:
        own_line = [i for i, line in enumerate(lines) if line.strip().startswith(f'"{entry}"')]
        assert own_line, f"{entry!r} is not on a line of its own, below its reason"
        assert lines[own_line[0] - 1].strip().startswith("#"), f"no reason given for {entry!r}"
