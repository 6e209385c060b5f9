"""Abstract model classes for the bounded contexts to inherit."""

from django.db import models


class TimestampedModel(models.Model):
    """Records when a row was created and when it last changed."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        get_latest_by = "created_at"
