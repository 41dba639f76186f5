"""Bulk intake: the audit record of a CSV import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import ImportSource
from .base import choices_check


class ImportRun(models.Model):
    """One completed CSV import of request records: who ran it, when, from which file, what it did.

    Requests created by an import get no per-row "created" history entry (a million history rows
    would double the cost of the import); they point here instead, and every later change to them
    is recorded in their history as usual. Updates made by ``--update`` go through the services,
    so each updated request has its own history entry. A failed or dry run writes nothing, this
    record included.
    """

    Source = ImportSource

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file as uploaded.")
    file_size = models.PositiveBigIntegerField(help_text="Bytes.")
    update_existing = models.BooleanField(help_text="Existing references were updated (--update).")
    rows = models.PositiveIntegerField(help_text="Data rows read (blank lines not counted).")
    created = models.PositiveIntegerField()
    updated = models.PositiveIntegerField()
    unchanged = models.PositiveIntegerField(help_text="Existing requests the file did not change.")
    held = models.PositiveIntegerField(help_text="Created requests that arrived on hold by a pause.")
    blank_lines = models.PositiveIntegerField(help_text="Empty lines skipped.")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("source", ImportSource), name="import_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(finished_at__gte=models.F("started_at")),
                name="import_finished_not_before_started",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.file_name} ({self.started_at:%Y-%m-%d %H:%M})"
