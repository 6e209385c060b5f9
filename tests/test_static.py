"""A fresh bake passes its own static checks and refuses unsafe production settings.

Everything runs in the bake's cached virtualenv (see conftest.py), from the bake's directory, so
ruff and mypy read the bake's own pyproject.toml exactly as a developer's `make lint` would.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from support.bakes import Bake

pytestmark = pytest.mark.slow


def test_ruff_finds_nothing(default_bake: Bake) -> None:
    default_bake.run("ruff", "check", ".")


def test_ruff_format_leaves_every_file_as_is(default_bake: Bake) -> None:
    default_bake.run("ruff", "format", "--check", ".")


def test_mypy_strict_passes(default_bake: Bake) -> None:
    default_bake.run("mypy", ".", timeout=900)


def test_deploy_checks_pass_under_production_settings(default_bake: Bake) -> None:
    """`check --deploy` under prod settings with a production-like environment: no warnings."""
    default_bake.manage("check", "--deploy", "--fail-level", "WARNING", env=default_bake.prod_env())


def test_make_check_passes_with_the_generated_env(default_bake: Bake) -> None:
    """The bake's own `make check`, as a developer runs it right after baking.

    Only the `.env` the hook wrote configures it (its URLs point at servers that need not run:
    `check` does not connect), so this catches a `.env` that production settings refuse.
    """
    dotenv_only = dict.fromkeys(default_bake.services.env())
    default_bake.run("make", "check", f"VENV={default_bake.venv}", env=dotenv_only)


def test_models_and_migrations_agree(default_bake: Bake) -> None:
    default_bake.manage("makemigrations", "--check", "--dry-run")


# Values that must never be echoed back: a secret in a log line is a leak.
WEAK_SECRET_KEY = secrets.token_urlsafe(16)
LEAKABLE_PASSWORD = secrets.token_urlsafe(16)

# Each case: the variables to change, the variable the refusal must name, a value it must not print.
UNSAFE_PRODUCTION_SETTINGS: dict[str, tuple[dict[str, str], str, str | None]] = {
    "secret-key-missing": ({"SECRET_KEY": ""}, "SECRET_KEY", None),
    "secret-key-placeholder": ({"SECRET_KEY": "change-me-secret-key"}, "SECRET_KEY", None),
    "secret-key-short": ({"SECRET_KEY": WEAK_SECRET_KEY}, "SECRET_KEY", WEAK_SECRET_KEY),
    "allowed-hosts-missing": ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS", None),
    "allowed-hosts-wildcard": ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS", None),
    "allowed-hosts-wildcard-among-others": (
        {"ALLOWED_HOSTS": "example.com,*"},
        "ALLOWED_HOSTS",
        None,
    ),
    "database-url-missing": ({"DATABASE_URL": ""}, "DATABASE_URL", None),
    "database-url-not-mysql": (
        {"DATABASE_URL": f"postgres://app:{LEAKABLE_PASSWORD}@127.0.0.1:5432/app"},
        "DATABASE_URL",
        LEAKABLE_PASSWORD,
    ),
    "database-url-without-password": (
        {"DATABASE_URL": "mysql://app@127.0.0.1:3306/app"},
        "DATABASE_URL",
        None,
    ),
    "database-url-malformed": (
        {"DATABASE_URL": f"mysql://app:{LEAKABLE_PASSWORD}@db:port/app"},
        "DATABASE_URL",
        LEAKABLE_PASSWORD,
    ),
    "redis-url-malformed": (
        {"REDIS_URL": f"redis://:{LEAKABLE_PASSWORD}@cache:port/0"},
        "REDIS_URL",
        LEAKABLE_PASSWORD,
    ),
    "redis-url-not-redis": ({"REDIS_URL": "http://127.0.0.1:6379/0"}, "REDIS_URL", None),
    "broker-url-malformed": ({"CELERY_BROKER_URL": "127.0.0.1:6379"}, "CELERY_BROKER_URL", None),
    "debug-on": ({"DEBUG": "true"}, "DEBUG", None),
    "metrics-token-missing": ({"METRICS_TOKEN": ""}, "METRICS_TOKEN", None),
}


@pytest.mark.parametrize(
    ("overrides", "variable", "secret"),
    list(UNSAFE_PRODUCTION_SETTINGS.values()),
    ids=list(UNSAFE_PRODUCTION_SETTINGS),
)
def test_production_settings_refuse_unsafe_configuration(
    default_bake: Bake, overrides: dict[str, str], variable: str, secret: str | None
) -> None:
    """Prod settings stop `manage.py check` with a message that names the variable to fix.

    Empty values stand for "missing": the bake's developer .env would fill a variable that is
    absent from the environment, and django-environ never overrides one that is set.
    """
    result = default_bake.manage("check", env=default_bake.prod_env(**overrides), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"prod settings accepted {overrides}:\n{output}"
    assert variable in result.stderr, f"the refusal does not name {variable}:\n{output}"
    if secret:
        assert secret not in output, f"the refusal prints the secret value:\n{output}"


# --------------------------------------------------------------------------------------------
# Secrets from files (NAME_FILE), as compose and Kubernetes mount them
# --------------------------------------------------------------------------------------------

FILE_SECRETS = {
    "SECRET_KEY": secrets.token_urlsafe(48),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    "METRICS_TOKEN": secrets.token_urlsafe(32),
    "DATABASE_URL": f"mysql://fileuser:{secrets.token_urlsafe(12)}@db.internal:3306/filedb",
    "DATABASE_REPLICA_URL": f"mysql://replica:{secrets.token_urlsafe(12)}@replica.internal:3306/filedb",
    "REDIS_URL": "redis://cache.internal:6379/3",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/4",
}
# What production settings made of each, printed by `manage.py shell` (nothing connects).
SHOW_SECRETS = """
import json
from django.conf import settings
print(json.dumps({
    "SECRET_KEY": settings.SECRET_KEY,
    "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"],
    "METRICS_TOKEN": settings.METRICS_TOKEN,
    "DATABASE_URL": settings.DATABASES["default"]["USER"] + "@" + settings.DATABASES["default"]["HOST"],
    "DATABASE_REPLICA_URL": settings.DATABASES["replica"]["USER"] + "@" + settings.DATABASES["replica"]["HOST"],
    "REDIS_URL": settings.CACHES["default"]["LOCATION"],
    "CELERY_BROKER_URL": getattr(settings, "CELERY_BROKER_URL", None),
}))
"""


def secret_files(directory: Path, values: dict[str, str]) -> dict[str, str | None]:
    """NAME_FILE for each value, written as a mounted secret is (final newline included), and
    NAME itself removed from the environment (the bake's .env may still hold it)."""
    env: dict[str, str | None] = {}
    for name, value in values.items():
        path = directory / name.lower()
        path.write_text(f"{value}\n", encoding="utf-8")
        env[f"{name}_FILE"] = str(path)
        env[name] = None
    return env


def test_production_settings_read_every_secret_from_its_file(
    default_bake: Bake, tmp_path: Path
) -> None:
    values = dict(FILE_SECRETS)
    if not default_bake.context["use_celery"]:
        values.pop("CELERY_BROKER_URL")
    env = default_bake.prod_env(**secret_files(tmp_path, values))

    default_bake.manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    printed = default_bake.manage("shell", "-c", SHOW_SECRETS, env=env).stdout.splitlines()
    # Its own line; JSON log lines may follow.
    shown = json.loads(next(line for line in printed if line.startswith('{"SECRET_KEY"')))

    assert shown["SECRET_KEY"] == values["SECRET_KEY"]
    assert shown["JWT_SIGNING_KEY"] == values["JWT_SIGNING_KEY"]
    assert shown["METRICS_TOKEN"] == values["METRICS_TOKEN"]
    assert shown["DATABASE_URL"] == "fileuser@db.internal"
    assert shown["DATABASE_REPLICA_URL"] == "replica@replica.internal"
    assert shown["REDIS_URL"] == values["REDIS_URL"]
    assert shown["CELERY_BROKER_URL"] == values.get("CELERY_BROKER_URL")


@pytest.mark.parametrize("problem", ["both-set", "missing", "empty"])
def test_production_settings_refuse_a_bad_secret_file_by_name(
    default_bake: Bake, tmp_path: Path, problem: str
) -> None:
    secret = FILE_SECRETS["DATABASE_URL"]
    env = secret_files(tmp_path, {"DATABASE_URL": secret})
    path = tmp_path / "database_url"
    if problem == "both-set":
        env["DATABASE_URL"] = default_bake.services.env()["DATABASE_URL"]
    elif problem == "missing":
        path.unlink()
    else:
        path.write_text("\n", encoding="utf-8")

    result = default_bake.manage("check", env=default_bake.prod_env(**env), check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    expected = {
        "both-set": "Set DATABASE_URL or DATABASE_URL_FILE, not both.",
        "missing": "DATABASE_URL_FILE names a file that cannot be read (No such file or directory).",
        "empty": "DATABASE_URL_FILE names an empty file.",
    }[problem]
    assert expected in result.stderr, output
    assert secret not in output
