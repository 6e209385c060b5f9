"""Jinja extensions of the template (listed in cookiecutter.json's _extensions).

`py_string` and `quoted` write an answer as a string literal, so quotes, apostrophes and
backslashes in answers cannot break the Python, TOML or YAML they are written into.

`package_name` is project_slug's default: the project name made into a slug that passes the
slug rules, or, when the name has nothing to make one from, an empty slug and a line saying so.

`AnswerGuard` checks the answers before cookiecutter writes anything. Cookiecutter creates
the project folder, named by project_slug, before it runs the pre_gen_project hook; a slug
such as 'a/b', '../x' or '/abs/x' is a path, so cookiecutter would create folders outside
the output folder, or leave 'a/' behind when the hook fails. cookiecutter.json renders a
private variable through the `checked_answers` filter, which runs while cookiecutter is
still prompting, before any folder exists. The rules live in hooks/pre_gen_project.py (one
table); the hook checks them again for runs that skip prompting (replay).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from cookiecutter.exceptions import FailedHookException
from cookiecutter.utils import simple_filter
from jinja2 import Environment
from jinja2.ext import Extension
from slugify import slugify

PRE_GEN_HOOK = Path(__file__).resolve().parent / "hooks" / "pre_gen_project.py"


@simple_filter
def py_string(value: object) -> str:
    """A Python string literal holding `value`, quoted the way `ruff format` writes it.

    A fresh bake must pass `ruff format --check`: ruff prefers double quotes unless that needs
    more escapes than single quotes, so repr()'s choice would fail for plain names.
    """
    text = str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if text.count('"') > text.count("'"):
        return "'" + text.replace("'", "\\'") + "'"
    return '"' + text.replace('"', '\\"') + '"'


@simple_filter
def quoted(value: object) -> str:
    """A double-quoted string that TOML, YAML and JSON all read back as `value`."""
    return json.dumps(str(value), ensure_ascii=False)


@functools.cache
def load_rules() -> ModuleType:
    """Import the pre-gen hook by path: it is a script in hooks/, not a package module."""
    spec = importlib.util.spec_from_file_location("pulsewatch_pre_gen_project", PRE_GEN_HOOK)
    if spec is None or spec.loader is None:
        raise FailedHookException(f"cannot load the answer rules from {PRE_GEN_HOOK}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- project_slug's default -------------------------------------------------------------------

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Added to a slug that would be a keyword or shadow a module: "Django" -> django_service.
SLUG_SUFFIX = "_service"


def shortened(slug: str, limit: int) -> str:
    """`slug` cut to at most `limit` characters, at the end of a word where there is one."""
    if len(slug) <= limit:
        return slug
    cut = slug.rfind("_", 0, limit + 1)
    return (slug[:cut] if cut > 0 else slug[:limit]).rstrip("_")


@simple_filter
def package_name(project_name: object) -> str:
    """The slug of `project_name`, made to pass the slug rules; "" if nothing can be made.

    python-slugify (cookiecutter's own slugify) gives lowercase ASCII words joined by single
    underscores; a leading number is spelled out ("2FA Monitor" -> two_fa_monitor), a long name
    is cut at a word (the slug is also the 32-character MySQL user name), and a keyword or a
    module name gets SLUG_SUFFIX.
    """
    rules = load_rules()
    slug = slugify(str(project_name), separator="_")
    number = re.match(r"[0-9]+", slug)
    if number:
        rest = slug[number.end() :].lstrip("_")
        slug = "_".join([*(DIGIT_NAMES[int(digit)] for digit in number.group()), rest]).strip("_")
    slug = shortened(slug, rules.MAX_SLUG_LENGTH)
    if slug and rules.problem("project_slug", slug) is not None:
        slug = shortened(slug, rules.MAX_SLUG_LENGTH - len(SLUG_SUFFIX)) + SLUG_SUFFIX
    if slug and rules.problem("project_slug", slug) is None:
        return slug
    print(
        f"No project_slug can be made from the project name {project_name!r}: it has no"
        " letters or digits. Type one at the next question.",
        file=sys.stderr,
    )
    return ""


def checked_answers(answers: Mapping[str, object]) -> str:
    """Return "ok", or print one line per bad answer and stop cookiecutter."""
    lines: list[str] = load_rules().problems(answers, fields=answers.keys())
    if not lines:
        return "ok"
    for line in lines:
        print(line, file=sys.stderr)
    raise FailedHookException("Stopped before writing anything: fix the answers above.")


class AnswerGuard(Extension):
    """Adds the `checked_answers` filter: `{{ cookiecutter | checked_answers }}`."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["checked_answers"] = checked_answers
