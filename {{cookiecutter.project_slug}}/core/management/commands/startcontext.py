"""`manage.py startcontext <name>`: a new bounded context, with the project's layering.

Django's `startapp --template` renders core/context_template/ into apps/<name>/: domain,
services, infrastructure, api, admin, migrations and the context's tests, one directory that
settings install and the root URLconf serves by being there. The templates are Django
templates; their context holds app_name (user_alerts), camel_case_app_name (UserAlerts) and
verbose_name (user alerts).

What startapp lacks, this command adds: stricter names (lowercase, short, no keyword, not one
the project uses), the new files formatted with the project's ruff settings, the first migration,
and, should any step fail, the directory removed again, so the tree is never left half-made.
"""

import importlib.util
import keyword
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.templates import TemplateCommand

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "context_template"

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Table names are "<name>_record" and MySQL allows 64 characters; leave room for more tables.
MAX_NAME_LENGTH = 40
# Names the project uses for something else, or that would read as if it did.
RESERVED_NAMES = frozenset(
    {"admin", "api", "apps", "auth", "config", "core", "migrations", "shared", "tests"}
)


class Command(TemplateCommand):
    help = (
        "Create a bounded context in apps/<name>/: domain, services, infrastructure, api, admin, "
        "migrations and its tests."
    )
    missing_args_message = "Name the context, e.g. `manage.py startcontext billing`."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="Lowercase Python identifier, e.g. billing.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options.pop("name")
        target = Path(settings.BASE_DIR) / "apps" / name
        self.check_name(name, target)
        target.mkdir()
        try:
            super().handle(
                "app",
                name,
                str(target),
                template=str(TEMPLATE_DIR),
                extensions=["py"],
                files=[],
                verbose_name=name.replace("_", " "),
                **options,
            )
            self.tidy(target)
            self.make_migrations(name, options["verbosity"])
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self.stdout.write(
            self.style.SUCCESS(f"Created the '{name}' context in apps/{name}/.")
            + f"\nBeing there installs it as apps.{name}; its API is at /api/v1/{name}/."
            + "\nNext: `make migrate`, then `make test` and `make lint`."
        )

    def check_name(self, name: str, target: Path) -> None:
        """Refuse, before writing anything, a name that is malformed, reserved or taken.

        startapp itself refuses what is no identifier or is an importable module's name.
        """
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
        if name in RESERVED_NAMES:
            raise CommandError(f"'{name}' is reserved: the project uses it for something else.")
        for taken in (target, target.with_suffix(".py")):
            if taken.exists():
                raise CommandError(
                    f"'{name}' is taken: {taken.relative_to(settings.BASE_DIR)} already exists."
                )
        if name in {config.label for config in apps.get_app_configs()}:
            raise CommandError(f"'{name}' is reserved: an installed app already has this label.")

    def tidy(self, target: Path) -> None:
        """Sort the imports and format the new files with the project's ruff settings.

        startapp runs black for the same reason: line breaks depend on the name's length, so no
        template can be formatted for every name in advance.
        """
        if importlib.util.find_spec("ruff") is None:
            self.stderr.write("ruff is not installed: run `make format` before `make lint`.")
            return
        for tool in (["check", "--fix", "--select", "I"], ["format"]):
            subprocess.run(  # noqa: S603  # our interpreter, the files we wrote
                [sys.executable, "-m", "ruff", *tool, "--quiet", str(target)],
                cwd=settings.BASE_DIR,
                capture_output=True,
                check=False,
            )

    def make_migrations(self, name: str, verbosity: int) -> None:
        """Django's own makemigrations, in a fresh process that sees the new app installed."""
        result = subprocess.run(  # noqa: S603  # our interpreter, our manage.py, a checked name
            [sys.executable, "manage.py", "makemigrations", name, "--no-input"],
            cwd=settings.BASE_DIR,
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
