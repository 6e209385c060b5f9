"""wait_for_database returns at once for a live database and gives up on a dead one."""

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections


@pytest.fixture
def dead_alias() -> Iterator[str]:
    """A database alias that points at a port where nothing listens."""
    config = {**connections.settings["default"], "HOST": "127.0.0.1", "PORT": "1"}
    config["OPTIONS"] = {**config["OPTIONS"], "connect_timeout": 1}
    connections.settings["dead"] = config
    yield "dead"
    del connections["dead"]
    del connections.settings["dead"]


@pytest.mark.django_db
def test_returns_once_the_database_answers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    call_command("wait_for_database", timeout=5)

    assert any(
        isinstance(record.msg, dict) and record.msg.get("event") == "database_ready"
        for record in caplog.records
    )


def test_gives_up_after_the_timeout(dead_alias: str, django_db_blocker: Any) -> None:
    started = time.monotonic()

    # No django_db mark: the dead alias lives outside the test case's database list.
    with django_db_blocker.unblock(), pytest.raises(CommandError, match=r"within 0\.3 s"):
        call_command("wait_for_database", database=dead_alias, timeout=0.3)

    assert time.monotonic() - started < 10
