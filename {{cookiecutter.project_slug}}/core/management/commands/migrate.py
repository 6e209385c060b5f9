"""Django's migrate, without the statement time limit: schema changes may take long."""

from typing import Any

from django.core.management.commands import migrate
from django.db import connections

from core.database.statement_timeout import set_statement_timeout


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        set_statement_timeout(connections[options["database"]], 0)
        super().handle(*args, **options)
