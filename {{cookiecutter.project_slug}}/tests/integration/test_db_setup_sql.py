"""db_setup_sql prints SQL that creates the configured database and user."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command


def test_sql_names_the_database_user_and_test_databases() -> None:
    out = StringIO()

    call_command("db_setup_sql", stdout=out)

    sql = out.getvalue()
    config = settings.DATABASES["default"]
    assert "CREATE DATABASE IF NOT EXISTS" in sql
    assert f"'{config['USER']}'@'localhost'" in sql
    assert f"'{config['USER']}'@'%'" in sql
    assert "`test\\_" in sql


def test_unknown_alias_is_refused() -> None:
    with pytest.raises(CommandError, match="nope"):
        call_command("db_setup_sql", database="nope")
