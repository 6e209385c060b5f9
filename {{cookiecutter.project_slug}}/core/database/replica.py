"""Whether a process may read from the replica: it answers, and it is not too far behind.

The router asks ReplicaStatus.usable() before it sends a read to the replica. A replica that
cannot be reached, or whose replication lag is over DATABASE_REPLICA_MAX_LAG_SECONDS, gets no
reads for DATABASE_REPLICA_RECHECK_SECONDS; the first read after that tries it again. So an
outage costs each process one failed connection attempt per recheck, never one per query, and
its reads go to the primary meanwhile: one log line when the replica is given up and one when
it is back, and database_replica_fallback_reads_total counts the reads it missed.
"""

import math
from collections.abc import Callable
from time import monotonic

import structlog
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler

from core.metrics import REPLICA_FALLBACK_READS, REPLICA_LAG

logger = structlog.get_logger(__name__)

# "Access denied; you need (at least one of) the ... privilege(s) for this operation".
MISSING_PRIVILEGE = 1227


def replication_lag(connection: BaseDatabaseWrapper) -> float | None:
    """Seconds the replica is behind its primary, from SHOW REPLICA STATUS.

    inf when replication is stopped (the server reports no lag: its data ages without limit);
    None when there is nothing to measure: the server is not a replica, or the user lacks the
    privilege (REPLICA MONITOR on MariaDB, REPLICATION CLIENT on MySQL).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW REPLICA STATUS")
            row = cursor.fetchone()
            columns = [column[0] for column in cursor.description or ()]
    except DatabaseError as exc:
        if exc.args and exc.args[0] == MISSING_PRIVILEGE:
            return None
        raise
    if row is None:
        return None
    status = dict(zip(columns, row, strict=True))
    # MySQL 8 names the column after the source, MariaDB after the master.
    seconds = status.get("Seconds_Behind_Source", status.get("Seconds_Behind_Master"))
    return math.inf if seconds is None else float(seconds)


class ReplicaStatus:
    """One process's verdict on the replica, renewed at most every recheck interval."""

    def __init__(
        self,
        alias: str,
        handler: ConnectionHandler = connections,
        measure: Callable[[BaseDatabaseWrapper], float | None] = replication_lag,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self.alias = alias
        self.handler = handler
        self.measure = measure
        self.clock = clock
        self.reason: str | None = None  # why reads avoid the replica; None while they use it
        self.recheck_at = 0.0

    def usable(self) -> bool:
        """Whether a read may go to the replica now."""
        if self.reason is not None and self.clock() < self.recheck_at:
            REPLICA_FALLBACK_READS.labels(reason=self.reason).inc()
            return False
        connection = self.handler[self.alias]
        try:
            # What Django does before a connection's first query in a request, done here so a
            # dead replica sends this read to the primary instead of failing it.
            connection.close_if_health_check_failed()
            connection.ensure_connection()
            if self.clock() >= self.recheck_at:
                self._judge_lag(self.measure(connection))
        except DatabaseError as exc:
            connection.close()
            self._give_up("unreachable", error=type(exc).__name__)
        if self.reason is not None:
            REPLICA_FALLBACK_READS.labels(reason=self.reason).inc()
            return False
        return True

    def _judge_lag(self, lag: float | None) -> None:
        self.recheck_at = self.clock() + settings.DATABASE_REPLICA_RECHECK_SECONDS
        if lag is not None:
            REPLICA_LAG.labels(alias=self.alias).set(lag)
            if lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
                self._give_up("lagging", lag_seconds=lag)
                return
        if self.reason is not None:
            logger.info("database_replica_usable_again", alias=self.alias, was=self.reason)
            self.reason = None

    def _give_up(self, reason: str, **details: object) -> None:
        self.recheck_at = self.clock() + settings.DATABASE_REPLICA_RECHECK_SECONDS
        if self.reason != reason:
            logger.warning(
                "database_replica_unusable",
                alias=self.alias,
                reason=reason,
                reads_go_to="default",
                retry_in_seconds=settings.DATABASE_REPLICA_RECHECK_SECONDS,
                **details,
            )
        self.reason = reason
