"""Wait until the database accepts connections, so containers can start in any order."""

from time import monotonic, sleep
from typing import Any

import structlog
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

logger = structlog.get_logger(__name__)


class Command(BaseCommand):
    help = "Wait, at most --timeout seconds, until the database accepts connections."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="DATABASES alias.")

    def handle(self, *args: Any, timeout: float, database: str, **options: Any) -> None:
        connection = connections[database]
        deadline = monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
            except OperationalError as exc:
                connection.close()
                if monotonic() >= deadline:
                    raise CommandError(
                        f"Database {database!r} did not accept connections within "
                        f"{timeout:g} s ({type(exc).__name__})."
                    ) from exc
                # Retry every second, but never sleep past the deadline.
                sleep(min(1.0, max(0.0, deadline - monotonic())))
            else:
                logger.info("database_ready", database=database)
                return
