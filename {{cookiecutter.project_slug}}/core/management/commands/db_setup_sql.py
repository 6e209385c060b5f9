"""Print the SQL that creates the configured MySQL database and user.

The application's own user cannot create itself, so `make db-setup` runs this in an
administrator session (`mysql` as root, `sudo mysql` otherwise, or the one MYSQL_ADMIN names).
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def escape_wildcards(name: str) -> str:
    """GRANT treats _ and % in database names as wildcards."""
    return name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class Command(BaseCommand):
    help = "Print SQL that creates the database and user named in DATABASE_URL."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default="default", help="DATABASES alias to set up.")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        config = settings.DATABASES.get(database)
        if config is None:
            raise CommandError(f"No database alias {database!r} in DATABASES.")
        name, user, password = config["NAME"], config["USER"], config["PASSWORD"]
        # Django's test runner creates test_<name>; the user needs that database too.
        test_pattern = quote_identifier(f"test\\_{escape_wildcards(name)}%")
        statements = [
            f"CREATE DATABASE IF NOT EXISTS {quote_identifier(name)} "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;",
        ]
        for host in ("localhost", "%"):
            account = f"{quote_string(user)}@{quote_string(host)}"
            statements += [
                f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {quote_string(password)};",
                f"ALTER USER {account} IDENTIFIED BY {quote_string(password)};",
                f"GRANT ALL PRIVILEGES ON {quote_identifier(name)}.* TO {account};",
                f"GRANT ALL PRIVILEGES ON {test_pattern}.* TO {account};",
            ]
        self.stdout.write("\n".join(statements))
