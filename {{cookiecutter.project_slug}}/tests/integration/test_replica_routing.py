"""Reads use the replica while it answers and keeps up, and fall back to the primary otherwise.

The "replica" here is a second connection to the test database (it answers like a replica that
has caught up) or a port where nothing listens (a replica that is down).
"""

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.db.utils import ConnectionHandler
from django.test import override_settings
from prometheus_client import REGISTRY

from core.database.read_your_writes import read_your_writes
from core.database.replica import ReplicaStatus, replication_lag
from core.database.router import PrimaryReplicaRouter

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def handler() -> Iterator[ConnectionHandler]:
    """A primary and a replica alias, both on the test database, in a scope with no write yet.

    (The test's own database setup wrote outside any scope, which pins this thread's reads.)
    """
    primary = dict(connections.settings["default"])
    handler = ConnectionHandler({"default": primary, "replica": dict(primary)})
    with read_your_writes():
        yield handler
    handler.close_all()


def stop(handler: ConnectionHandler) -> None:
    """Point the replica alias at a port where nothing listens, as if its server stopped."""
    handler["replica"].close()
    handler["replica"].settings_dict.update(HOST="127.0.0.1", PORT="1")


def start(handler: ConnectionHandler) -> None:
    handler["replica"].settings_dict.update(connections.settings["default"])


def fallbacks(reason: str) -> float:
    value = REGISTRY.get_sample_value("database_replica_fallback_reads_total", {"reason": reason})
    return value or 0.0


def events(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [record.msg for record in caplog.records if isinstance(record.msg, dict)]


def test_reads_go_to_a_replica_that_answers(handler: ConnectionHandler) -> None:
    assert PrimaryReplicaRouter(handler).db_for_read(Group) == "replica"


def test_a_stopped_replica_sends_reads_to_the_primary_until_a_recheck_finds_it_back(
    handler: ConnectionHandler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    router = PrimaryReplicaRouter(handler)
    router.replica = ReplicaStatus("replica", handler, clock=clock)
    before = fallbacks("unreachable")
    stop(handler)

    with override_settings(DATABASE_REPLICA_RECHECK_SECONDS=5):
        assert router.db_for_read(Group) == "default"
        start(handler)
        clock.now += 4  # back, but not tried again before the recheck: no connect per query
        assert router.db_for_read(Group) == "default"
        assert handler["replica"].connection is None
        clock.now += 1
        assert router.db_for_read(Group) == "replica"

    assert fallbacks("unreachable") - before == 2
    logged = [(e["event"], e.get("reason"), e.get("error")) for e in events(caplog)]
    assert logged == [
        ("database_replica_unusable", "unreachable", "OperationalError"),
        ("database_replica_usable_again", None, None),
    ]


def test_a_replica_that_stops_between_rechecks_is_given_up_at_the_next_request(
    handler: ConnectionHandler,
) -> None:
    router = PrimaryReplicaRouter(handler)
    assert router.db_for_read(Group) == "replica"
    replica = handler["replica"]
    # The server goes away under the persistent connection: it is cut, and reconnecting fails.
    with connections["default"].cursor() as cursor:
        cursor.execute("KILL CONNECTION %s", [replica.connection.thread_id()])
    replica.settings_dict.update(HOST="127.0.0.1", PORT="1")

    replica.close_if_unusable_or_obsolete()  # what Django does as the next request starts
    assert router.db_for_read(Group) == "default"


def test_a_lagging_replica_sends_reads_to_the_primary(
    handler: ConnectionHandler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    lag = {"seconds": 30.0}
    router = PrimaryReplicaRouter(handler)
    router.replica = ReplicaStatus(
        "replica", handler, measure=lambda connection: lag["seconds"], clock=clock
    )
    before = fallbacks("lagging")

    with override_settings(DATABASE_REPLICA_MAX_LAG_SECONDS=10, DATABASE_REPLICA_RECHECK_SECONDS=5):
        assert router.db_for_read(Group) == "default"
        lag["seconds"] = 2.0
        clock.now += 5
        assert router.db_for_read(Group) == "replica"

    assert fallbacks("lagging") - before == 1
    assert REGISTRY.get_sample_value("database_replica_lag_seconds", {"alias": "replica"}) == 2.0
    assert [e["event"] for e in events(caplog)] == [
        "database_replica_unusable",
        "database_replica_usable_again",
    ]


def test_the_lag_of_a_server_that_is_no_replica_is_not_measured() -> None:
    assert replication_lag(connections["default"]) is None
