"""Reads go to the replica only when one is configured; writes and migrations never do."""

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings

from core.database.router import PrimaryReplicaRouter

# Django warns that connections opened under the real DATABASES would outlive the override; these
# tests open none, they only show the router other aliases.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")

PRIMARY_ONLY: dict[str, dict[str, object]] = {"default": {}}
WITH_REPLICA: dict[str, dict[str, object]] = {"default": {}, "replica": {}}


def test_reads_use_the_primary_without_a_replica() -> None:
    with override_settings(DATABASES=PRIMARY_ONLY):
        assert PrimaryReplicaRouter().db_for_read(Group) == "default"


def test_reads_use_the_replica_when_configured() -> None:
    with override_settings(DATABASES=WITH_REPLICA):
        assert PrimaryReplicaRouter().db_for_read(Group) == "replica"


def test_writes_and_migrations_stay_on_the_primary() -> None:
    router = PrimaryReplicaRouter()
    with override_settings(DATABASES=WITH_REPLICA):
        assert router.db_for_write(Group) == "default"
        assert router.allow_migrate("default", "auth") is True
        assert router.allow_migrate("replica", "auth") is False
