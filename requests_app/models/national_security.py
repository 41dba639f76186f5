"""National-security process (FISA orders, National Security Letters): held apart from every
other request and published only as bands.

A table of its own rather than a kind of DataRequest, so that nothing which reads requests (the
queue, its counts, search, exports, history, autocomplete, a reference already taken, a
protected authority) can ever reveal that one exists to a user without the permission. The
exact counts stay here; publishing writes only bands (``NationalSecurityBand``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .. import rules
from ..choices import Outcome, RequestStatus
from .base import HistoricalRecords, JurisdictionField, choices_check
from .catalog import ManagedEntry

# The permission of the "National security reviewer" role: without it, none of this exists.
CLEARED_PERMISSION = "requests_app.handle_national_security"
# The narrowest band a rule may set: a band of 1 would be the count itself. The law's options
# use bands of 100, 250, 500 and 1,000.
MIN_BAND_WIDTH = 100
# FISA figures may be published only after this delay (the USA FREEDOM Act's 180 days).
FISA_MIN_DELAY_DAYS = 180


class NationalSecurityCategory(ManagedEntry):
    """A category of national-security process and the rule it may be reported by."""

    requests_band = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(MIN_BAND_WIDTH)],
        help_text="Width of the bands requests are published in (e.g. 500: 0–499). A period already "
        "published keeps the width it was published with.",
    )
    accounts_band = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(MIN_BAND_WIDTH)],
        help_text="Width of the bands accounts are published in.",
    )
    delay_days = models.PositiveIntegerField(
        default=0, help_text="Days after a period ends before its figures may be published (FISA: 180)."
    )

    class Meta(ManagedEntry.Meta):
        verbose_name_plural = "national-security categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[a-z0-9][a-z0-9_]*$"), name="ns_category_code_valid"
            ),
            models.CheckConstraint(
                condition=Q(requests_band__gte=MIN_BAND_WIDTH), name="ns_category_requests_band_min"
            ),
            models.CheckConstraint(
                condition=Q(accounts_band__gte=MIN_BAND_WIDTH), name="ns_category_accounts_band_min"
            ),
        ]

    def clean(self):
        if self.code.startswith("fisa") and self.delay_days < FISA_MIN_DELAY_DAYS:
            raise ValidationError(
                {"delay_days": f"FISA figures may be published only after {FISA_MIN_DELAY_DAYS} days."}
            )


class NationalSecurityRequest(models.Model):
    """One national-security request, visible only to cleared staff."""

    Status = RequestStatus
    Outcome = Outcome

    reference = models.CharField(max_length=64, unique=True, help_text="Unique case id.")
    country = JurisdictionField(default="US", help_text="Jurisdiction of the issuing authority.")
    category = models.ForeignKey(NationalSecurityCategory, on_delete=models.PROTECT, related_name="requests")
    accounts_specified = models.PositiveIntegerField(default=1, help_text="Accounts named (at least 1).")
    received_on = models.DateField(help_text="Decides the report period the request counts in.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    internal_notes = models.TextField(blank=True, help_text="Never published.")
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["-received_on", "reference"]
        verbose_name = "national-security request"
        permissions = [("handle_national_security", "Can see and handle national-security requests")]
        indexes = [models.Index(fields=["received_on", "country", "category"], name="ns_request_period_idx")]
        constraints = [
            models.CheckConstraint(
                condition=choices_check("status", RequestStatus), name="ns_request_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("outcome", Outcome, blank=True), name="ns_request_outcome_valid"
            ),
            models.CheckConstraint(condition=Q(accounts_specified__gte=1), name="ns_request_accounts_gte_1"),
            models.CheckConstraint(
                condition=(Q(status="completed") & ~Q(outcome="") & Q(decided_on__isnull=False))
                | (~Q(status="completed") & Q(outcome="")),
                name="ns_request_outcome_iff_completed",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=models.F("received_on")),
                name="ns_request_decided_not_before_received",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def clean(self):
        errors: dict[str, list[str]] = {}
        today = timezone.localdate()
        if self.country and self.country.code not in settings.NATIONAL_SECURITY_JURISDICTIONS:
            # Bands are published for these, every period, zeros included: a band that appeared
            # with a country's first request would tell that one exists.
            allowed = ", ".join(settings.NATIONAL_SECURITY_JURISDICTIONS)
            errors["country"] = [f"National-security figures are reported for {allowed} only."]
        if problem := rules.date_after_today_problem("received_on", self.received_on, today):
            errors.setdefault("received_on", []).append(problem)
        for field, messages in rules.request_decision_problems(
            status=self.status,
            outcome=self.outcome,
            decided_on=self.decided_on,
            received_on=self.received_on,
            today=today,
            pause_exception="",
        ).items():
            errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)


class NationalSecurityBand(models.Model):
    """Published bands for one (jurisdiction, category) in one publication: never a count."""

    publication = models.ForeignKey("Publication", on_delete=models.CASCADE, related_name="bands")
    country = JurisdictionField()
    category = models.ForeignKey(NationalSecurityCategory, on_delete=models.PROTECT, related_name="+")
    requests_min = models.PositiveIntegerField()
    requests_max = models.PositiveIntegerField()
    accounts_min = models.PositiveIntegerField()
    accounts_max = models.PositiveIntegerField()
    # The widths a computed band was made with (blank: imported as published): a re-publication
    # of the period keeps them, so two versions never narrow a count between two widths.
    requests_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    accounts_width = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["country", "category__position", "category__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "country", "category"], name="band_unique_per_publication"
            ),
            models.CheckConstraint(
                condition=Q(requests_min__lte=models.F("requests_max")), name="band_requests_ordered"
            ),
            models.CheckConstraint(
                condition=Q(accounts_min__lte=models.F("accounts_max")), name="band_accounts_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.publication} {self.country.code} {self.category_id}"
