"""`manage.py startcontext <name>`: a new bounded context with the project's layering.

Renders core/context_template/ into apps/<name>/ (domain, services, infrastructure, api, admin,
migrations) and the context's tests into tests/unit/<name>/ and tests/integration/<name>/, adds
the name to apps/contexts.py (which installs the app and mounts its API under /api/v1/<name>/),
then has makemigrations write the first migration.

A bad or taken name is refused before anything is written. Should a later step fail, everything
written so far is removed again, so the tree is never left half-made.
"""

import ast
import importlib.util
import keyword
import re
import shutil
import subprocess
import sys
from pathlib import Path
from string import Template
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "context_template"
TEMPLATE_SUFFIX = "-tpl"

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Table names are "<name>_record" and MySQL allows 64 characters; leave room for more tables.
MAX_NAME_LENGTH = 40
# Names the project uses for something else, or that would read as if it did.
RESERVED_NAMES = frozenset(
    {"admin", "api", "apps", "auth", "contexts", "core", "migrations", "shared", "tests", "users"}
)
CONTEXTS_VARIABLE = "CONTEXTS"


def class_prefix(name: str) -> str:
    """billing -> Billing, user_alerts -> UserAlerts."""
    return "".join(part.capitalize() for part in name.split("_"))


def placeholders(name: str) -> dict[str, str]:
    """What `$name`, `$Name`, `$words` and `$title` stand for in the templates."""
    words = name.replace("_", " ")
    return {"name": name, "Name": class_prefix(name), "words": words, "title": words.capitalize()}


def destination(relative: Path, name: str) -> Path:
    """Where a template file lands: app/ -> apps/<name>/, tests/<tier>/ -> tests/<tier>/<name>/."""
    parts = relative.with_name(relative.name.removesuffix(TEMPLATE_SUFFIX)).parts
    if parts[0] == "app":
        return Path("apps", name, *parts[1:])
    if parts[0] == "tests" and len(parts) > 2:
        return Path("tests", parts[1], name, *parts[2:])
    raise CommandError(f"{TEMPLATE_DIR / relative} has no place in a context; move or remove it.")


def render_context(name: str, template_dir: Path = TEMPLATE_DIR) -> dict[Path, str]:
    """Every file of the new context, relative to the project root, rendered but not written."""
    values = placeholders(name)
    files: dict[Path, str] = {}
    for path in sorted(template_dir.rglob(f"*{TEMPLATE_SUFFIX}")):
        target = destination(path.relative_to(template_dir), name)
        try:
            files[target] = Template(path.read_text("utf-8")).substitute(values)
        except (KeyError, ValueError) as error:
            raise CommandError(
                f"{path}: bad placeholder ({error}); use $name, $Name, $words, $title or $$ for $."
            ) from error
    if not files:
        raise CommandError(f"No *{TEMPLATE_SUFFIX} files in {template_dir}.")
    return files


def context_roots(files: dict[Path, str]) -> list[Path]:
    """The directories that belong to the context alone: apps/<name>, tests/<tier>/<name>."""
    return sorted(
        {
            Path(*path.parts[:2]) if path.parts[0] == "apps" else Path(*path.parts[:3])
            for path in files
        }
    )


def find_contexts(source: str) -> tuple[list[str], ast.stmt]:
    """The names in apps/contexts.py and the statement that assigns them."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        body = []
    for node in body:
        target: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == CONTEXTS_VARIABLE:
            value = getattr(node, "value", None)
            try:
                names = ast.literal_eval(value) if value is not None else None
            except (ValueError, TypeError):
                names = None
            if isinstance(names, list) and all(isinstance(item, str) for item in names):
                return names, node
            break
    raise CommandError(
        f"apps/contexts.py must assign {CONTEXTS_VARIABLE} a plain list of names; "
        "fix it by hand, then run the command again."
    )


def with_context(source: str, name: str) -> str:
    """apps/contexts.py with `name` added: sorted, one per line, as ruff format leaves it."""
    names, node = find_contexts(source)
    lines = source.splitlines(keepends=True)
    items = "".join(f'    "{item}",\n' for item in sorted({*names, name}))
    assignment = f"{CONTEXTS_VARIABLE}: list[str] = [\n{items}]\n"
    end = node.end_lineno or node.lineno
    return "".join(lines[: node.lineno - 1]) + assignment + "".join(lines[end:])


def shadowed_module(name: str) -> str | None:
    """The importable module a context of this name would be confused with, if any."""
    if name in sys.stdlib_module_names:
        return "the standard library module"
    spec = importlib.util.find_spec(name)
    # A plain directory (a namespace package such as contracts/) is not a module.
    if spec is not None and spec.origin not in (None, "namespace"):
        return "the installed module"
    return None


class Command(BaseCommand):
    help = (
        "Create a bounded context: apps/<name>/ with domain, services, infrastructure, api, "
        "admin and migrations, its tests, and its entry in apps/contexts.py."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="Lowercase Python identifier, e.g. billing.")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        base_dir = Path(settings.BASE_DIR)
        contexts_file = base_dir / "apps" / "contexts.py"
        contexts_source = contexts_file.read_text("utf-8")
        self.check_name(name, base_dir, contexts_source)
        files = render_context(name)
        new_contexts = with_context(contexts_source, name)
        roots = context_roots(files)
        taken = [root for root in roots if (base_dir / root).exists()]
        if taken:
            raise CommandError(f"'{name}' is taken: {taken[0]} already exists.")

        try:
            for relative, text in files.items():
                target = base_dir / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, "utf-8")
            self.tidy(base_dir, [base_dir / relative for relative in files])
            contexts_file.write_text(new_contexts, "utf-8")
            self.make_migrations(name, base_dir, options["verbosity"])
        except BaseException:
            for root in roots:
                shutil.rmtree(base_dir / root, ignore_errors=True)
            contexts_file.write_text(contexts_source, "utf-8")
            raise

        listing = ", ".join(f"{root}/" for root in roots)
        self.stdout.write(
            self.style.SUCCESS(f"Created the '{name}' context: {listing}.")
            + f"\napps/contexts.py installs it as apps.{name}; its API is at /api/v1/{name}/."
            + "\nNext: `make migrate`, then `make test` and `make lint`."
        )

    def check_name(self, name: str, base_dir: Path, contexts_source: str) -> None:
        """Refuse, before writing anything, a name that is malformed, reserved or taken."""
        if not NAME_PATTERN.fullmatch(name):
            raise CommandError(
                f"'{name}' is not a valid context name: use lowercase letters, digits and single "
                "underscores, starting with a letter (e.g. billing, user_alerts)."
            )
        if len(name) > MAX_NAME_LENGTH:
            raise CommandError(
                f"'{name}' is too long for a context name: at most {MAX_NAME_LENGTH} characters."
            )
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise CommandError(f"'{name}' is a Python keyword; pick another context name.")
        if name in RESERVED_NAMES or name == settings.ROOT_URLCONF.split(".")[0]:
            raise CommandError(f"'{name}' is reserved: the project uses it for something else.")
        if name in find_contexts(contexts_source)[0]:
            raise CommandError(f"'{name}' is taken: apps/contexts.py already lists it.")
        for existing in (base_dir / "apps" / name, base_dir / "apps" / f"{name}.py"):
            if existing.exists():
                raise CommandError(
                    f"'{name}' is taken: {existing.relative_to(base_dir)} already exists."
                )
        if name in {config.label for config in apps.get_app_configs()}:
            raise CommandError(f"'{name}' is reserved: an installed app already has this label.")
        module = shadowed_module(name)
        if module:
            raise CommandError(
                f"'{name}' would shadow {module} '{name}'; pick another context name."
            )

    def tidy(self, base_dir: Path, paths: list[Path]) -> None:
        """Sort the imports and format the new files with the project's ruff settings.

        Django's startapp does the same with black: line breaks depend on the name's length,
        so no template can be formatted for every name in advance.
        """
        if importlib.util.find_spec("ruff") is None:
            self.stderr.write("ruff is not installed: run `make format` before `make lint`.")
            return
        for tool in (["check", "--fix", "--select", "I"], ["format"]):
            subprocess.run(  # noqa: S603  # our interpreter, the files we wrote
                [sys.executable, "-m", "ruff", *tool, "--quiet", "--force-exclude", *paths],
                cwd=base_dir,
                capture_output=True,
                check=False,
            )

    def make_migrations(self, name: str, base_dir: Path, verbosity: int) -> None:
        """Django's own makemigrations, in a fresh process that sees the new app installed."""
        result = subprocess.run(  # noqa: S603  # our interpreter, our manage.py, a checked name
            [sys.executable, str(base_dir / "manage.py"), "makemigrations", name, "--no-input"],
            cwd=base_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise CommandError(
                f"makemigrations {name} failed, so nothing was kept: "
                + (detail[-1] if detail else f"exit status {result.returncode}")
            )
        if verbosity > 0:
            self.stdout.write(result.stdout.rstrip())
