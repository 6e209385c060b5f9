"""Reading a bake's files: what is text in them, what must not be there, what mentions what."""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import yaml

# What Jinja leaves when a tag escapes rendering: an opening delimiter, or the word itself.
# GitHub's `${{ ... }}` expressions are meant to survive rendering, so they are taken out first.
# Jinja left unrendered. Not residue: the templates of Prometheus annotations
# ({{ $labels.check }}, {{ $value }}) and Grafana legends ({{view}}).
RESIDUE = re.compile(r"\{\{(?!\s*\$|\w+\}\})|\{%|\{#|cookiecutter", re.IGNORECASE)
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
# startcontext's app template is written in Django's template language, which the bake keeps.
DJANGO_TEMPLATES = "core/context_template/"


def text_files(project: Path, paths: Iterable[Path] | None = None) -> Iterator[tuple[Path, str]]:
    """Every file of the bake (or those of `paths`) that is UTF-8 text; binary files are skipped."""
    candidates = sorted(project.rglob("*")) if paths is None else [project / p for p in paths]
    for path in candidates:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            yield path, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def lines_matching(
    project: Path, pattern: re.Pattern[str], paths: Iterable[Path] | None = None
) -> list[str]:
    """`file:line: text` of every line of the bake's text files that `pattern` finds."""
    return [
        f"{path.relative_to(project)}:{number}: {line.strip()}"
        for path, text in text_files(project, paths)
        for number, line in enumerate(text.splitlines(), start=1)
        if pattern.search(line)
    ]


def files_mentioning(project: Path, pattern: str) -> list[Path]:
    """The bake's files whose text matches `pattern`, ignoring case."""
    return [
        path.relative_to(project)
        for path, text in text_files(project)
        if re.search(pattern, text, re.IGNORECASE)
    ]


def residue(project: Path, paths: Iterable[Path] | None = None) -> list[str]:
    """File names and lines of the bake (or of `paths`) that still look like Jinja."""
    found = [
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if paths is None and RESIDUE.search(path.relative_to(project).as_posix())
    ]
    for path, text in text_files(project, paths):
        if path.relative_to(project).as_posix().startswith(DJANGO_TEMPLATES):
            continue
        found += [
            f"{path.relative_to(project)}:{number}: {line.strip()}"
            for number, line in enumerate(text.splitlines(), start=1)
            if RESIDUE.search(GITHUB_EXPRESSION.sub("", line))
        ]
    return found


def doubled_blank_lines(project: Path) -> list[str]:
    """Where a Jinja block left blank lines behind: two in a row, or three in Python files,
    where PEP 8 puts two between top-level definitions."""
    found = []
    for path, text in text_files(project):
        allowed = 2 if path.suffix in {".py", ".py-tpl"} else 1
        blank = 0
        for number, line in enumerate(text.splitlines(), start=1):
            blank = blank + 1 if not line.strip() else 0
            if blank == allowed + 1:
                found.append(f"{path.relative_to(project)}:{number}")
    return found


# How each kind of file is parsed; .env files are KEY=value lines.
PARSERS: dict[str, Callable[[str], object]] = {
    ".py": lambda text: compile(text, "<baked file>", "exec", dont_inherit=True),
    ".yaml": lambda text: list(yaml.safe_load_all(text)),
    ".yml": lambda text: list(yaml.safe_load_all(text)),
    ".toml": tomllib.loads,
    ".json": json.loads,
}
ENV_LINE = re.compile(r"[A-Z][A-Z0-9_]*=\S*")


def unparsable(project: Path) -> tuple[list[str], Counter[str]]:
    """Every file of the bake that does not parse, with why, and how many of each kind parsed."""
    problems: list[str] = []
    checked: Counter[str] = Counter()
    for path, text in text_files(project):
        name = path.relative_to(project)
        if path.name.startswith(".env"):
            lines = [line for line in text.splitlines() if line and not line.startswith("#")]
            problems += [f"{name}: {line}" for line in lines if not ENV_LINE.fullmatch(line)]
            checked[".env"] += 1
        elif path.suffix in PARSERS:
            try:
                PARSERS[path.suffix](text)
            except (SyntaxError, ValueError, yaml.YAMLError) as error:
                problems.append(f"{name} does not parse: {error}")
            checked[path.suffix] += 1
    return problems, checked
