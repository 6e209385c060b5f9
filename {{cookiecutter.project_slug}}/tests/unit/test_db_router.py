"""Where the router sends queries, as far as it can tell without asking the replica."""

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from django.db.utils import ConnectionHandler
from django.http import HttpRequest, HttpResponse

from core.database.read_your_writes import note_write, read_your_writes, wrote
from core.database.router import PrimaryReplicaRouter
from core.middleware.read_your_writes import ReadYourWritesMiddleware

PRIMARY = {"ENGINE": "django.db.backends.dummy"}


@pytest.fixture
def with_replica() -> Iterator[PrimaryReplicaRouter]:
    """A router whose replica would refuse every connection, were it asked."""
    handler = ConnectionHandler({"default": PRIMARY, "replica": PRIMARY})
    with read_your_writes():
        yield PrimaryReplicaRouter(handler)


def test_reads_use_the_primary_without_a_replica() -> None:
    router = PrimaryReplicaRouter(ConnectionHandler({"default": PRIMARY}))

    assert router.db_for_read(Group) == "default"


def test_writes_and_migrations_stay_on_the_primary(with_replica: PrimaryReplicaRouter) -> None:
    assert with_replica.db_for_write(Group) == "default"
    assert with_replica.allow_migrate("default", "auth") is True
    assert with_replica.allow_migrate("replica", "auth") is False


def test_reads_after_a_write_stay_on_the_primary_for_the_rest_of_the_scope(
    with_replica: PrimaryReplicaRouter,
) -> None:
    with_replica.db_for_write(Group)

    assert with_replica.db_for_read(Group) == "default"
    assert with_replica.db_for_read(Group) == "default"


def test_a_new_scope_forgets_the_writes_of_the_one_around_it(
    with_replica: PrimaryReplicaRouter,
) -> None:
    with read_your_writes():
        with_replica.db_for_write(Group)
        assert wrote()

    assert not wrote()


def test_reads_inside_a_transaction_on_the_primary_stay_there(
    with_replica: PrimaryReplicaRouter,
) -> None:
    with_replica.handler["default"].in_atomic_block = True

    assert with_replica.db_for_read(Group) == "default"


def test_each_request_is_a_scope_of_its_own() -> None:
    seen = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(wrote())
        note_write()
        return HttpResponse()

    middleware = ReadYourWritesMiddleware(view)
    middleware(HttpRequest())
    middleware(HttpRequest())

    assert seen == [False, False]
