"""What the public report shows: immutable snapshots of a period's figures, and the public state."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import OutcomeReason, PublicationSource, RequestType
from ..numbers import percent
from ..periods import Period, validate_period_label
from .base import JurisdictionField, choices_check


class Publication(models.Model):
    """An immutable snapshot of one period's published figures (version N of that period)."""

    Source = PublicationSource

    period = models.CharField(max_length=7, validators=[validate_period_label], help_text="e.g. 2020-H2")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.COMPUTED)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True, help_text="Public changelog note, e.g. why it was revised.")

    class Meta:
        ordering = ["-period", "-version"]
        permissions = [("publish_period", "Can publish a report period")]
        indexes = [models.Index(fields=["period", "-version"], name="publication_period_version_idx")]
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="publication_unique_period_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="publication_version_gte_1"),
            models.CheckConstraint(
                condition=choices_check("source", PublicationSource), name="publication_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-H[12]$"), name="publication_period_label_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} v{self.version}"

    @property
    def period_obj(self) -> Period:
        return Period.parse(self.period)


class FigureRow(models.Model):
    """Published figures for one (country, request type) in one publication."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="rows")
    country = JurisdictionField()
    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    requests = models.PositiveIntegerField()
    accounts_specified = models.PositiveIntegerField()
    requests_with_data_produced = models.PositiveIntegerField()
    # NULL = not known: figures imported from reports published before the pause register existed.
    requests_received_during_pause = models.PositiveIntegerField(default=0, null=True, blank=True)
    requests_produced_under_pause_exception = models.PositiveIntegerField(default=0, null=True, blank=True)
    median_days_to_decision = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)

    class Meta:
        ordering = ["country", "request_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "country", "request_type"], name="figure_unique_per_publication"
            ),
            models.CheckConstraint(
                condition=choices_check("request_type", RequestType),
                name="figure_request_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(requests_with_data_produced__lte=models.F("requests")),
                name="figure_produced_lte_requests",
            ),
            models.CheckConstraint(
                condition=Q(requests_received_during_pause__lte=models.F("requests")),
                name="figure_during_pause_lte_requests",
            ),
            models.CheckConstraint(
                condition=Q(
                    requests_produced_under_pause_exception__lte=models.F("requests_with_data_produced")
                ),
                name="figure_exception_lte_produced",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publication} {self.country.code} {self.request_type}"

    @property
    def percent_with_data_produced(self) -> Decimal | None:
        """One decimal, rounded half up, computed from counts; None for preservation (nothing is
        produced) and for a row without requests."""
        if self.request_type == RequestType.PRESERVATION:
            return None
        return percent(self.requests_with_data_produced, self.requests)


class OutcomeReasonRow(models.Model):
    """Published count of decided requests by the reason recorded for their outcome (refused as
    overbroad, no matching account, jurisdiction paused...), per (country, request type)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="reason_rows")
    country = JurisdictionField()
    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    outcome_reason = models.CharField(max_length=30, choices=OutcomeReason.choices)
    requests = models.PositiveIntegerField()

    class Meta:
        ordering = ["country", "request_type", "outcome_reason"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "country", "request_type", "outcome_reason"],
                name="reason_unique_per_publication",
            ),
            models.CheckConstraint(
                condition=choices_check("request_type", RequestType), name="reason_request_type_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("outcome_reason", OutcomeReason), name="reason_outcome_reason_valid"
            ),
            models.CheckConstraint(condition=Q(requests__gte=1), name="reason_requests_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.publication} {self.country.code} {self.request_type} {self.outcome_reason}"


class PublicState(models.Model):
    """One row whose ``token`` changes with every write to the tables behind the public pages.

    Database triggers (``public_state.py``, put in place after every ``migrate``) give it a new
    random value on any write to publications and figure rows, and on any change of what the
    public sees of a pause decision, whatever made the change (a service, the admin, a shell,
    SQL). The public page cache keys on it: one primary-key read per request tells every app
    process whether its cached pages are still current. Random rather than a counter, so a
    restored backup can never match pages cached before it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    token = models.CharField(max_length=32, editable=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="public_state_single_row")]

    def __str__(self) -> str:
        return f"Public state {self.token}"
