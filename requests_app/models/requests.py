"""The register of requests: who asks (Authority) and each request from intake to decision."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField

from .. import rules
from ..choices import (
    HOLDABLE_REQUEST_STATUSES,
    OPEN_REQUEST_STATUSES,
    PRODUCED_OUTCOMES,
    AuthorityKind,
    Disclosure,
    Outcome,
    OutcomeReason,
    PauseException,
    RequestStatus,
    RequestType,
    UserNotification,
)
from ..periods import Period
from .base import BytewiseCharField, HistoricalRecords, choices_check


class Authority(models.Model):
    """A requesting body: a police force, a prosecutor's office, a court, an agency."""

    Kind = AuthorityKind

    name = models.CharField(max_length=200)
    country = CountryField(help_text="ISO 3166-1 alpha-2 country of the authority.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["country", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "country"], name="authority_unique_name_country"),
            models.CheckConstraint(
                condition=choices_check("kind", AuthorityKind), name="authority_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        code = f"({self.country.code})"
        return self.name if self.name.endswith(code) else f"{self.name} {code}"  # not "Courts (AT) (AT)"


# The requests still to be worked on: the partial indexes of the queue cover only these.
OPEN_REQUESTS = Q(status__in=[RequestStatus.RECEIVED, RequestStatus.IN_REVIEW, RequestStatus.ON_HOLD])

# The work queue's order: emergencies before everything else (then the oldest first).
EMERGENCIES_FIRST = models.Case(
    models.When(request_type=RequestType.EMERGENCY, then=models.Value(0)), default=models.Value(1)
)


class DataRequest(models.Model):
    """One request for user data, from intake to decision."""

    # Choices live at module level (Meta constraints need them); aliased here for callers.
    RequestType = RequestType
    Status = RequestStatus
    Outcome = Outcome
    Disclosure = Disclosure
    OutcomeReason = OutcomeReason
    PauseException = PauseException
    UserNotification = UserNotification

    OPEN_STATUSES = OPEN_REQUEST_STATUSES
    HOLDABLE_STATUSES = HOLDABLE_REQUEST_STATUSES
    PRODUCED_OUTCOMES = PRODUCED_OUTCOMES

    # Unique by request_reference_unique, whose index (bytewise) also serves prefix search.
    reference = BytewiseCharField(max_length=64, help_text="Unique case id.")
    country = CountryField(help_text="ISO 3166-1 alpha-2 country of the requesting authority.")
    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    # By code (db_column keeps the column named for what it holds: the code files carry).
    legal_process = models.ForeignKey(
        "LegalProcess",
        to_field="code",
        db_column="legal_process",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # nothing looks requests up by it; every import would pay its upkeep
        help_text="Kind of legal process (legal-process requests only).",
    )
    product = models.ForeignKey(
        "Product",
        to_field="code",
        db_column="product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="The product the request is about.",
    )
    accounts_specified = models.PositiveIntegerField(
        default=1, help_text="Accounts named in the request (at least 1)."
    )
    received_on = models.DateField(help_text="Decides the report period the request counts in.")
    acknowledged_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, blank=True, help_text="Required once completed."
    )
    disclosure = models.CharField(max_length=20, choices=Disclosure.choices, blank=True)
    outcome_reason = models.CharField(max_length=30, choices=OutcomeReason.choices, blank=True)
    pause_exception = models.CharField(
        max_length=20,
        choices=PauseException.choices,
        blank=True,
        help_text="Why data was produced while a pause was in force for this jurisdiction.",
    )
    user_notification = models.CharField(max_length=20, choices=UserNotification.choices, blank=True)
    notification_delayed_until = models.DateField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        # request_assignee_status_idx (assignee first) serves every look-up by assignee.
        db_index=False,
    )
    held_by = models.ForeignKey(
        "PauseDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_requests",
        help_text="The pause decision that holds this request, while it is on hold.",
        db_index=False,  # see request_held_by_idx: only held requests are indexed
    )
    import_run = models.ForeignKey(
        "ImportRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="requests",
        # Read rarely (an import's own page); an index would cost every bulk import its upkeep.
        db_index=False,
        help_text="The CSV import that created this request: its creation record (who, when, which file).",
    )
    internal_notes = models.TextField(blank=True, help_text="Never published.")
    # Optimistic concurrency: every save through the services bumps it; a save that started
    # from an older version is refused instead of overwriting a colleague's work.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # import_run never changes after creation; the ImportRun itself is the creation record.
    history = HistoricalRecords(excluded_fields=["version", "updated_at", "import_run"])

    class Meta:
        ordering = ["-received_on", "reference"]
        indexes = [
            # One index for the lists (newest first), a period's figures (a range of dates) and
            # the country and type filters: country and type are index conditions, so even a
            # country or type with no requests costs one walk of the index (~1-6 ms at a million
            # requests), a common one stops after a page, and the list's capped count reads the
            # index. One index rather than two (by country, by type) spares every bulk import
            # the upkeep of the second (~1 s a million rows).
            models.Index(
                fields=["received_on", "country", "request_type"], name="request_date_country_type_idx"
            ),
            # The queue's status filters and counts are about open requests, a small share of
            # the table (most of a history is completed): partial indexes skip the rest.
            models.Index(
                fields=["status", "received_on"],
                name="request_open_status_idx",
                condition=OPEN_REQUESTS,
            ),
            # The work queue (the list's default: open requests) by period, country and type:
            # the same columns as the date index, over the open requests only, so a filter on
            # any of them reads a few index pages and fetches only the rows it shows.
            models.Index(
                fields=["received_on", "country", "request_type"],
                name="request_open_queue_idx",
                condition=OPEN_REQUESTS,
            ),
            # ... and in the queue's own order (emergencies first, then the oldest): the first
            # page is read from the index, not sorted from every open request.
            models.Index(
                EMERGENCIES_FIRST,
                models.F("received_on"),
                name="request_queue_order_idx",
                condition=OPEN_REQUESTS,
            ),
            # Few requests are on hold at any time: a partial index keeps holds and releases
            # fast without indexing a million NULLs.
            models.Index(fields=["held_by"], name="request_held_by_idx", condition=Q(held_by__isnull=False)),
            # "Assigned to me" (any status); unassigned requests are found through the others.
            models.Index(
                fields=["assignee", "status"],
                name="request_assignee_status_idx",
                condition=Q(assignee__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="request_reference_unique"),
            models.CheckConstraint(
                condition=choices_check("request_type", RequestType), name="request_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(legal_process__isnull=True) | Q(request_type=RequestType.LEGAL_PROCESS),
                name="request_legal_process_only_legal",
            ),
            models.CheckConstraint(
                condition=choices_check("status", RequestStatus), name="request_status_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("outcome", Outcome, blank=True), name="request_outcome_valid"
            ),
            models.CheckConstraint(
                condition=choices_check("disclosure", Disclosure, blank=True),
                name="request_disclosure_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("outcome_reason", OutcomeReason, blank=True),
                name="request_outcome_reason_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("pause_exception", PauseException, blank=True),
                name="request_pause_exception_valid",
            ),
            models.CheckConstraint(
                condition=choices_check("user_notification", UserNotification, blank=True),
                name="request_user_notification_valid",
            ),
            models.CheckConstraint(
                condition=Q(accounts_specified__gte=1), name="request_accounts_specified_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=models.F("received_on")),
                name="request_decided_not_before_received",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_on__isnull=True) | Q(acknowledged_on__gte=models.F("received_on")),
                name="request_acknowledged_not_before_received",
            ),
            # Outcome and decision date exist exactly when the request is completed.
            models.CheckConstraint(
                condition=(Q(status="completed") & ~Q(outcome="") & Q(decided_on__isnull=False))
                | (~Q(status="completed") & Q(outcome="")),
                name="request_outcome_iff_completed",
            ),
            models.CheckConstraint(
                condition=Q(held_by__isnull=True) | Q(status="on_hold"),
                name="request_held_by_only_on_hold",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def period(self) -> Period:
        return Period.containing(self.received_on)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def clean(self):
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.accounts_specified is not None and self.accounts_specified < 1:
            add("accounts_specified", "A request names at least one account.")
        today = timezone.localdate()
        for field in ("received_on", "acknowledged_on"):  # decided_on: in the decision rule below
            if problem := rules.date_after_today_problem(field, getattr(self, field), today):
                add(field, problem)
        if self.received_on and self.acknowledged_on and self.acknowledged_on < self.received_on:
            add("acknowledged_on", "A request cannot be acknowledged before it was received.")
        for field, messages in rules.request_decision_problems(
            status=self.status,
            outcome=self.outcome,
            decided_on=self.decided_on,
            received_on=self.received_on,
            today=today,
            pause_exception=self.pause_exception,
        ).items():
            for message in messages:
                add(field, message)
        if self.held_by_id and self.status != self.Status.ON_HOLD:
            add("held_by", "Only a request on hold can be held by a pause decision.")
        if problem := rules.legal_process_problem(self.request_type, self.legal_process_id):
            add("legal_process", problem)
        if self.user_notification == self.UserNotification.DELAYED and not self.notification_delayed_until:
            add("notification_delayed_until", "Give the date until which notification is delayed.")
        if errors:
            raise ValidationError(errors)
