"""A fresh bake passes its own static checks and refuses unsafe production settings.

Everything runs in the bake's cached virtualenv (see conftest.py), from the bake's directory, so
ruff and mypy read the bake's own pyproject.toml exactly as a developer's `make lint` would.
"""

from __future__ import annotations

import secrets

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
