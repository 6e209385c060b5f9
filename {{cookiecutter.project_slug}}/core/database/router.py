"""Send reads to the replica when DATABASE_REPLICA_URL configures one; everything else to default."""

from typing import Any

from django.db import connections
from django.db.models import Model
from django.db.utils import ConnectionHandler

from .read_your_writes import note_write, wrote
from .replica import ReplicaStatus

REPLICA = "replica"
PRIMARY = "default"


class PrimaryReplicaRouter:
    """Reads from the replica, writes and migrations on the primary.

    A read goes to the primary instead when the replica is unreachable or lagging
    (core/database/replica.py), inside a transaction on the primary, and once the request has
    written (core/database/read_your_writes.py), so a request always reads its own writes.
    """

    def __init__(self, handler: ConnectionHandler = connections) -> None:
        self.handler = handler
        self.replica = ReplicaStatus(REPLICA, handler)

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if REPLICA not in self.handler.settings:
            return PRIMARY
        if wrote() or self.handler[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA if self.replica.usable() else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        note_write()
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Both aliases hold the same data, so objects from either may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
