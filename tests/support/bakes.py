"""Baking the template, and running commands in a bake as its developers and containers would.

Bake.run() executes a command in the project directory with the bake's virtualenv first on PATH
and its share of the servers in the environment; the inherited environment is scrubbed of
variables the project reads, so the project sees its `.env` plus exactly what the test passes.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter

from .processes import LoggedProcess, run
from .servers import NO_SERVICES, ServiceConfig
from .venvs import SCRUBBED_ENV_NAMES, ensure_project_venv, mypy_cache_dir

TEMPLATE_DIR = Path(__file__).resolve().parents[2]
# Variables a developer's shell may carry that would change how a baked project or its own pytest
# behaves; bakes always start from a clean slate plus what the tests set explicitly.
SCRUBBED_ENV_PREFIXES = ("PYTEST_", "COV_CORE_", "DJANGO_", "CELERY_", "GUNICORN_", "PROMETHEUS_")


def clean_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without the variables that would change how a bake's tools behave."""
    return {
        key: value
        for key, value in (os.environ if environ is None else environ).items()
        if key not in SCRUBBED_ENV_NAMES and not key.startswith(SCRUBBED_ENV_PREFIXES)
    }


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blanks skipped, no interpolation)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def template_defaults(template: Path = TEMPLATE_DIR) -> dict[str, Any]:
    """cookiecutter.json's answers with no input (a list's first item is its default)."""
    raw = json.loads((template / "cookiecutter.json").read_text())
    return {
        key: value[0] if isinstance(value, list) else value
        for key, value in raw.items()
        if not key.startswith("_")
    }


def render_template(
    output_dir: Path,
    extra_context: Mapping[str, Any] | None = None,
    template: Path = TEMPLATE_DIR,
) -> Path:
    """Bake `template` with no input into `output_dir`; returns the project directory.

    cookiecutter's user config (and its replay files in the home directory) are ignored so a
    developer's ~/.cookiecutterrc cannot change what the tests see.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    project = cookiecutter(
        str(template),
        no_input=True,
        extra_context=dict(extra_context or {}),
        output_dir=str(output_dir),
        default_config={
            "cookiecutters_dir": str(output_dir / ".cookiecutters"),
            "replay_dir": str(output_dir / ".cookiecutter_replay"),
        },
    )
    return Path(project)


@dataclass
class Bake:
    """A rendered project, its virtualenv and its share of the servers."""

    path: Path
    context: dict[str, Any]
    venv: Path
    services: ServiceConfig = NO_SERVICES

    @classmethod
    def render(
        cls,
        output_dir: Path,
        services: ServiceConfig = NO_SERVICES,
        template: Path = TEMPLATE_DIR,
        **answers: Any,
    ) -> Bake:
        """Bake with `answers` and attach the cached virtualenv of its requirements."""
        path = render_template(output_dir, answers, template)
        context = {**template_defaults(template), **answers}
        return cls(
            path, context, ensure_project_venv(path, str(context["python_version"])), services
        )

    @property
    def slug(self) -> str:
        return self.path.name

    @property
    def dotenv(self) -> dict[str, str]:
        """The `.env` the post-generation hook wrote (fresh secrets)."""
        return read_dotenv(self.path / ".env")

    def env(self, overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The full environment for a process in this bake; a None override removes a variable."""
        project_vars = set(read_dotenv(self.path / ".env.example")) | set(self.dotenv)
        env = {key: value for key, value in clean_environ().items() if key not in project_vars}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["MYPY_CACHE_DIR"] = str(mypy_cache_dir(self.venv))
        env.update(self.services.env())
        for key, value in (overrides or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def command(self, args: Sequence[str | Path]) -> list[str]:
        """`args` with its program taken from the bake's venv when the venv has it."""
        command = [str(arg) for arg in args]
        if (self.venv / "bin" / command[0]).exists():
            command[0] = str(self.venv / "bin" / command[0])
        return command

    def run(
        self,
        *args: str | Path,
        env: Mapping[str, str | None] | None = None,
        check: bool = True,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the bake; with check, a non-zero exit fails the test with its output."""
        return run(
            self.command(args), cwd=self.path, env=self.env(env), timeout=timeout, check=check
        )

    def manage(
        self, *args: str, env: Mapping[str, str | None] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`python manage.py ...` in the bake."""
        return self.run("python", "manage.py", *args, env=env, check=check)

    def start(
        self,
        name: str,
        args: Sequence[str | Path],
        log_dir: Path,
        env: Mapping[str, str | None] | None = None,
    ) -> LoggedProcess:
        """A long-running process of the bake (not started: use it as a context manager)."""
        return LoggedProcess(name, self.command(args), log_dir, cwd=self.path, env=self.env(env))

    def prod_env(self, **overrides: str | None) -> dict[str, str | None]:
        """Overrides for a production-like process: prod settings, the bake's own secrets.

        DEBUG is set to false explicitly because the developer `.env` the hook writes says
        DEBUG=true, and django-environ fills unset variables from it.
        """
        dotenv = self.dotenv
        env: dict[str, str | None] = {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": dotenv.get("SECRET_KEY", ""),
            "METRICS_TOKEN": dotenv.get("METRICS_TOKEN", ""),
            "ALLOWED_HOSTS": "example.com",
            "DEBUG": "false",
            "LOG_FORMAT": "json",
        }
        env.update(overrides)
        return env
