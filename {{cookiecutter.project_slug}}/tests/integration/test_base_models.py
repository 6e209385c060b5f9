"""TimestampedModel sets created_at once and moves updated_at on every save."""

from collections.abc import Iterator

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from shared.base_models import TimestampedModel


@pytest.fixture
def timestamped_model(transactional_db: None) -> Iterator[type[TimestampedModel]]:
    with isolate_apps("core"):

        class Probe(TimestampedModel):
            name = models.CharField(max_length=20)

            class Meta(TimestampedModel.Meta):
                app_label = "core"

        with connection.schema_editor() as editor:
            editor.create_model(Probe)
        try:
            yield Probe
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(Probe)


def test_timestamps_are_set_and_updated(timestamped_model: type[TimestampedModel]) -> None:
    # No field values: django-stubs checks them against TimestampedModel, which has no `name`.
    row = timestamped_model._default_manager.create()
    created_at, first_update = row.created_at, row.updated_at

    row.save()
    row.refresh_from_db()

    assert row.created_at == created_at
    assert row.updated_at > first_update
    assert timestamped_model._meta.ordering == ["-created_at"]
