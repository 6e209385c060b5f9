"""A time limit on every SQL statement, so a slow query fails fast instead of holding a worker.

settings.DATABASE_STATEMENT_TIMEOUT (seconds) applies to each new connection. A statement that
runs longer is aborted by the server and raises OperationalError, which the request answers
with a JSON 500 and a logged traceback, well before gunicorn's worker timeout. MariaDB limits
every statement (max_statement_time); MySQL limits SELECTs only (max_execution_time, in ms).
`migrate` lifts the limit for its own connection: schema changes may take long.
"""

from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper


def set_statement_timeout(connection: BaseDatabaseWrapper, seconds: float) -> None:
    """Limit the statements of this connection's session to `seconds` (0: no limit)."""
    if connection.vendor != "mysql":
        return
    with connection.cursor() as cursor:
        if connection.mysql_is_mariadb:  # type: ignore[attr-defined]
            cursor.execute("SET SESSION max_statement_time = %s", [seconds])
        else:
            cursor.execute("SET SESSION max_execution_time = %s", [round(seconds * 1000)])


def limit_new_connection(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created receiver: apply DATABASE_STATEMENT_TIMEOUT to the new session."""
    set_statement_timeout(connection, settings.DATABASE_STATEMENT_TIMEOUT)
