"""What a CI script line may call, for the GitHub and the GitLab tests alike.

A line is split into simple commands (`shell_commands`); each must be a Makefile target of the
bake, a `.venv/bin/` tool of a pinned requirement (CI never activates the venv), `python
manage.py` with a command the project has, a shell builtin or a command the CI platform brings
(`command_problems`). Plain functions, so the negative tests can show them rejecting a line.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Collection
from pathlib import Path

from .bakes import clean_environ

SHELL_BUILTINS = frozenset(
    {":", ".", "[", "cd", "echo", "exit", "export", "false", "printf", "set", "test", "true"}
)
VENV_BIN = ".venv/bin/"
VENV_INTERPRETERS = frozenset({"python", "python3"})
# Console scripts whose distribution has another name.
SCRIPT_DISTRIBUTIONS = {"lint-imports": "import-linter", "py.test": "pytest"}
# manage.py commands Django itself brings; any other must be one of the project's.
DJANGO_COMMANDS = frozenset(
    {"check", "collectstatic", "makemigrations", "migrate", "shell", "showmigrations"}
)
PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;#]+)")
# Parentheses (a subshell) separate commands too: `a || (b && c)` is a, b and c.
COMMAND_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")"})
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
COMMAND_SUBSTITUTION = re.compile(r"\$\(\s*([^\s()]+)")


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a script, each as argv without leading VAR=value words.

    Command substitutions `$(tool ...)` count as commands named `tool`. Enough shell for the
    one-line commands CI steps should consist of; anything cleverer belongs in the Makefile.
    """
    commands: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        commands.extend([name] for name in COMMAND_SUBSTITUTION.findall(line))
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        current: list[str] = []
        for token in [*lexer, ";"]:
            if token in COMMAND_SEPARATORS:
                while current and ASSIGNMENT.match(current[0]):
                    current.pop(0)
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(token)
    return commands


def canonicalize_name(name: str) -> str:
    """PEP 503 normalisation: Django_Stubs, django.stubs and django-stubs are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(path: Path) -> dict[str, str]:
    """name -> version of the `name==version` lines of a requirements file (names normalised)."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def pinned_requirements(project: Path) -> set[str]:
    """Normalised names of every `name==version` line in requirements/*.txt."""
    return {
        name
        for path in sorted((project / "requirements").glob("*.txt"))
        for name in requirement_pins(path)
    }


def clean_env(**extra: str) -> dict[str, str]:
    """The inherited environment without what would change how the bake's tools behave."""
    env = {
        key: value
        for key, value in clean_environ().items()
        if not key.startswith("GIT_")  # e.g. GIT_INDEX_FILE when run from a git hook
        and key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PRE_COMMIT", "SKIP"}
    }
    env.update(extra)
    return env


def make_has_target(project: Path, target: str) -> bool:
    """Whether make (dry run) knows how to make `target` in the bake."""
    result = subprocess.run(
        ["make", "--dry-run", target],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode == 0


def management_command_exists(project: Path, name: str) -> bool:
    return name in DJANGO_COMMANDS or any(project.glob(f"**/management/commands/{name}.py"))


def command_problems(
    argv: list[str], project: Path, pins: set[str], platform_commands: Collection[str]
) -> list[str]:
    """Why a command from a CI script would not work in the bake (empty: it would).

    `pins` are pinned_requirements(project); `platform_commands` what the runner or the job's
    image has besides shell builtins.
    """
    name, args = argv[0], argv[1:]
    if name == "sudo":
        return command_problems(args, project, pins, platform_commands) if args else ["bare sudo"]
    if name == "make":
        targets = [arg for arg in args if not arg.startswith("-") and "=" not in arg]
        if not targets:
            return ["make without a target runs `help`, which checks nothing"]
        return [
            f"the Makefile has no target {target!r}"
            for target in targets
            if not make_has_target(project, target)
        ]
    if name.startswith(VENV_BIN):
        tool = name.removeprefix(VENV_BIN)
        if tool in VENV_INTERPRETERS:
            script = next((arg for arg in args if arg.endswith(".py")), None)
            if script and not (project / script).is_file():
                return [f"{script} is not in the project"]
            if script == "manage.py":
                subcommand = args[args.index(script) + 1] if args[-1] != script else ""
                if not management_command_exists(project, subcommand):
                    return [f"manage.py has no command {subcommand!r}"]
            return []
        distribution = canonicalize_name(SCRIPT_DISTRIBUTIONS.get(tool, tool))
        if distribution not in pins:
            return [f"{name}: {distribution} is not pinned in requirements/*.txt"]
        return []
    if name in SHELL_BUILTINS or name in platform_commands:
        return []
    return [f"{name!r} is neither a make target, a {VENV_BIN} tool nor a command CI has"]
