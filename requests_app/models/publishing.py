"""What the public report shows: immutable snapshots of a period's figures, and the public state."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from ..choices import OutcomeReason, PublicationSource, PublishedRequestType, RequestType
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
    """Published figures for one (jurisdiction, request type, legal process, product) in one
    publication, at the finest grain published: the rows of a publication never overlap, so
    summing them never counts a request twice. A blank legal process or product: not broken
    down by it. A blank count: not reported (old reports), never zero."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="rows")
    country = JurisdictionField()
    request_type = models.CharField(max_length=20, choices=PublishedRequestType.choices)
    legal_process = models.ForeignKey(
        "LegalProcess",
        to_field="code",
        db_column="legal_process",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    product = models.ForeignKey(
        "Product", to_field="code", db_column="product", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    requests = models.PositiveIntegerField()
    accounts_specified = models.PositiveIntegerField(null=True, blank=True)
    requests_with_data_produced = models.PositiveIntegerField(null=True, blank=True)
    # An old report that gave a percentage rather than a count: kept exactly as it was published
    # (recomputing it from a rounded count would change what the platform said).
    percent_as_published = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    # NULL = not known: figures imported from reports published before the pause register existed.
    requests_received_during_pause = models.PositiveIntegerField(default=0, null=True, blank=True)
    requests_produced_under_pause_exception = models.PositiveIntegerField(default=0, null=True, blank=True)
    median_days_to_decision = models.DecimalField(max_digits=8, decimal_places=1, null=True, blank=True)
    # The median over all the rows of the same jurisdiction and request type (the same on each of
    # them): a median of the whole cannot be derived from the medians of its parts, and the
    # country page shows it per type. Not in the public data, which has each row's own.
    type_median_days_to_decision = models.DecimalField(
        max_digits=8, decimal_places=1, null=True, blank=True
    )

    class Meta:
        ordering = ["country", "request_type", "legal_process", "product"]
        constraints = [
            # Blank (not broken down) counts as one value: two rows of the same grain are one too many.
            models.UniqueConstraint(
                "publication",
                "country",
                "request_type",
                Coalesce("legal_process", models.Value("")),
                Coalesce("product", models.Value("")),
                name="figure_unique_per_publication",
            ),
            models.CheckConstraint(
                condition=choices_check("request_type", PublishedRequestType),
                name="figure_request_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(legal_process__isnull=True) | Q(request_type=RequestType.LEGAL_PROCESS),
                name="figure_legal_process_only_legal",
            ),
            models.CheckConstraint(
                condition=Q(requests_with_data_produced__lte=models.F("requests")),
                name="figure_produced_lte_requests",
            ),
            models.CheckConstraint(
                condition=Q(percent_as_published__gte=0) & Q(percent_as_published__lte=100),
                name="figure_percent_0_100",
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
        grain = " ".join(filter(None, [self.legal_process_id, self.product_id]))
        return f"{self.publication} {self.country.code} {self.request_type} {grain}".rstrip()

    @property
    def percent_with_data_produced(self) -> Decimal | None:
        """As published when an old report gave only a percentage; otherwise one decimal,
        rounded half up, computed from counts; None for preservation (nothing is produced),
        for a row without requests and where the count was not reported."""
        if self.percent_as_published is not None:
            return self.percent_as_published
        if self.request_type == RequestType.PRESERVATION or self.requests_with_data_produced is None:
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
