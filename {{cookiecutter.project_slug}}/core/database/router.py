"""Send reads to the replica when DATABASE_REPLICA_URL configures one; everything else to default."""

from typing import Any

from django.conf import settings
from django.db.models import Model

REPLICA = "replica"
PRIMARY = "default"


class PrimaryReplicaRouter:
    """Reads from the replica, writes and migrations on the primary.

    Replication lag means a read right after a write may not see it; read such rows with
    `.using("default")`.
    """

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return REPLICA if REPLICA in settings.DATABASES else PRIMARY

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        # Both aliases hold the same data, so objects from either may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
