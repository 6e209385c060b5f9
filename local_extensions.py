"""Jinja extensions of the template (listed in cookiecutter.json's _extensions).

`py_string` and `quoted` write an answer as a string literal, so quotes, apostrophes and
backslashes in answers cannot break the Python, TOML or YAML they are written into.

`package_name` is project_slug's default: the project name made into a slug that passes the
slug rules, or, when the name has nothing to make one from, an empty slug and a line saying so.

`AnswerGuard` adds the `checked_answers` filter, which checks the answers while cookiecutter is
still asking. cookiecutter.json renders it in private variables placed after the answers, and
cookiecutter renders those in order, between its questions: a person at a terminal hears of a
bad answer as soon as it is typed. Cookiecutter cannot ask a question again, so the run stops
there; the answers before the bad one are kept in a replay file, and the message says how a
rerun starts from them. Without a terminal (--no-input, answers piped in, cruft) only the last
of those variables checks, so that one run reports every bad answer. Both happen before
cookiecutter creates the project folder, which project_slug names: a slug such as 'a/b', '../x'
or '/abs/x' is a path, so cookiecutter would create folders outside the output folder, or leave
'a/' behind when the pre-gen hook fails. The rules live in hooks/pre_gen_project.py (one
table); the hook checks them again for runs whose answers come from a replay file, which no
filter sees.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from cookiecutter.config import get_user_config
from cookiecutter.exceptions import CookiecutterException, FailedHookException
from cookiecutter.utils import simple_filter
from jinja2 import Environment
from jinja2.ext import Extension
from slugify import slugify

TEMPLATE_DIR = Path(__file__).resolve().parent
PRE_GEN_HOOK = TEMPLATE_DIR / "hooks" / "pre_gen_project.py"


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


# --- checking answers while cookiecutter asks -------------------------------------------------


@functools.cache
def template_answers() -> tuple[tuple[str, object], ...]:
    """cookiecutter.json's questions and their raw defaults, in the order they are asked."""
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
    return tuple((key, value) for key, value in context.items() if not key.startswith("_"))


def named_answers(raw: object) -> set[str]:
    """The answers a raw default names ({{ cookiecutter.project_name }} -> project_name)."""
    return set(re.findall(r"cookiecutter\.(\w+)", json.dumps(raw)))


def person_at_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def unfinished_replay_file() -> Path:
    """Where the answers of a stopped run are kept, beside cookiecutter's own replay files."""
    try:
        replay_dir = get_user_config()["replay_dir"]
    except (CookiecutterException, OSError):  # a broken user config must not hide the answer
        replay_dir = "~/.cookiecutter_replay"
    return Path(replay_dir).expanduser() / f"{TEMPLATE_DIR.name}-unfinished.json"


def replayed(path: Path) -> dict[str, Any]:
    """The answers of a replay file, or none."""
    try:
        answers = json.loads(path.read_text(encoding="utf-8"))["cookiecutter"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return answers if isinstance(answers, dict) else {}


def keep_answers(
    answers: Mapping[str, object], refused: Collection[str]
) -> tuple[Path, str] | None:
    """Write the good answers given before the refused ones to a replay file for a rerun.

    Returns the file and the first question a rerun asks, or None when nothing is worth
    keeping. A rerun that replays such a file (`cookiecutter --replay-file`) asks only the
    questions the file lacks, and cookiecutter then knows only those answers; this run may be
    such a rerun, so answers it did not ask are taken from the file it replays.
    """
    order = [key for key, _ in template_answers()]
    defaults = dict(template_answers())
    path = unfinished_replay_file()
    before = order[: min(order.index(key) for key in refused)]
    earlier = replayed(path)
    kept = {
        key: answers[key] if key in answers else earlier[key]
        for key in before
        if (key in answers or key in earlier) and key not in refused
    }
    # A question asked again whose default names a kept answer (project_slug's names
    # project_name) cannot be rendered on a rerun: cookiecutter only shows it the answers it
    # asks for. So that answer is asked again too.
    while (
        needed := {
            name for key in order if key not in kept for name in named_answers(defaults[key])
        }
        & kept.keys()
    ):
        for key in needed:
            del kept[key]
    if not kept:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cookiecutter": kept}, indent=2) + "\n", encoding="utf-8")
    return path, next(key for key in order if key not in kept)


def checked_answers(answers: Mapping[str, object], every: bool = False) -> str:
    """Return "ok", or print one line per bad answer and stop cookiecutter.

    `every` marks the check after the last question, the one that runs without a terminal too.
    """
    at_terminal = person_at_terminal()
    if not (every or at_terminal):
        return "ok"
    found = load_rules().findings(answers, fields=answers.keys())
    if not found:
        return "ok"
    for _, line in found:
        print(line, file=sys.stderr)
    refused = {field for fields, _ in found for field in fields}
    kept = keep_answers(answers, refused) if at_terminal else None
    if kept is None:
        raise FailedHookException("Stopped before writing anything: fix the answers above.")
    path, first = kept
    raise FailedHookException(
        f"Stopped before writing anything. The answers before it are kept in {path}:\n"
        f"  cookiecutter --replay-file {path} <template>\n"
        f"reuses them and asks only the other questions, from {first} on."
    )


class AnswerGuard(Extension):
    """Adds the `checked_answers` filter: `{{ cookiecutter | checked_answers }}`."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["checked_answers"] = checked_answers
