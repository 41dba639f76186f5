"""The domain of a government-data-requests desk.

Every rule a reviewer relies on is enforced twice: as a named database constraint (so a bulk
``update()`` or a raw import cannot corrupt the register) and in ``clean()`` (so forms and services
show a message a reviewer understands). Keep the two in step: the tests exercise both.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from . import rules
from .choices import (
    HOLDABLE_REQUEST_STATUSES,
    HOLDING_PAUSE_STATUSES,
    OPEN_REQUEST_STATUSES,
    PRODUCED_OUTCOMES,
    AuthorityKind,
    Disclosure,
    ImportSource,
    LegalProcess,
    Outcome,
    OutcomeReason,
    PauseException,
    PauseStatus,
    PublicationSource,
    RequestStatus,
    RequestType,
    UserNotification,
)
from .numbers import percent
from .periods import Period, validate_period_label


def choices_check(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    """``field`` holds one of the choice values (or is blank when allowed).

    The blank comes first: PostgreSQL tries the values in order, once per row written, and most
    requests leave the optional choices blank (up to 26 comparisons fewer per row, six fields)."""
    values = ([""] if blank else []) + list(choices.values)
    return Q(**{f"{field}__in": values})


class BytewiseCharField(models.CharField):
    """A CharField that PostgreSQL compares byte by byte (collation "C"), for codes and case ids.

    With the database's linguistic collation every comparison of an index build or look-up
    goes through strcoll(); with "C" it is a memcmp() and a plain index also serves prefix
    search (LIKE 'X%'). Byte order is the natural order of such identifiers. SQLite compares
    bytes already and has no collation named "C".
    """

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


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
        return f"{self.name} ({self.country.code})"


class DataRequest(models.Model):
    """One request for user data, from intake to decision."""

    # Choices live at module level (Meta constraints need them); aliased here for callers.
    RequestType = RequestType
    LegalProcess = LegalProcess
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
    legal_process = models.CharField(
        max_length=20, choices=LegalProcess.choices, blank=True, help_text="Kind of legal process."
    )
    product = models.CharField(max_length=100, blank=True)
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
                condition=Q(
                    status__in=[RequestStatus.RECEIVED, RequestStatus.IN_REVIEW, RequestStatus.ON_HOLD]
                ),
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
                condition=choices_check("legal_process", LegalProcess, blank=True),
                name="request_legal_process_valid",
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

    @property
    def data_produced(self) -> bool:
        return self.outcome in self.PRODUCED_OUTCOMES

    def clean(self):
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.accounts_specified is not None and self.accounts_specified < 1:
            add("accounts_specified", "A request names at least one account.")
        today = timezone.localdate()
        for field, verb in (("received_on", "received"), ("acknowledged_on", "acknowledged")):
            value = getattr(self, field)
            if value and value > today:
                add(field, f"A request cannot be {verb} in the future ({value}; today is {today}).")
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
        if self.request_type and self.request_type != self.RequestType.LEGAL_PROCESS and self.legal_process:
            add("legal_process", "The legal-process detail only applies to legal-process requests.")
        if self.user_notification == self.UserNotification.DELAYED and not self.notification_delayed_until:
            add("notification_delayed_until", "Give the date until which notification is delayed.")
        if errors:
            raise ValidationError(errors)


class PauseDecisionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def in_force_on(self, day: datetime.date):
        """Decisions that hold or redirect requests on ``day``."""
        return self.filter(status__in=PauseDecision.HOLDING_STATUSES, effective_from__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day)
        )


# What a visitor sees of a published pause decision (the register pages, /data/pauses.*): the one
# list behind its public history (selectors), its public-change stamp (``PauseDecision.save``) and
# the public-state triggers (public_state.py). Add a field here before showing it anywhere public.
PUBLIC_PAUSE_FIELDS = (
    "country",
    "status",
    "covers_legal_process",
    "covers_emergency",
    "covers_preservation",
    "holds_pending",
    "effective_from",
    "ended_on",
    "public_statement",
    "statement_url",
    "exceptions_policy",
)


class PauseDecision(models.Model):
    """A register entry: a decision about all requests from one jurisdiction."""

    Status = PauseStatus

    HOLDING_STATUSES = HOLDING_PAUSE_STATUSES

    country = CountryField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSESSING)
    covers_legal_process = models.BooleanField(
        default=True, help_text="The decision applies to legal-process requests."
    )
    covers_emergency = models.BooleanField(
        default=False, help_text="The decision applies to emergency disclosure requests."
    )
    covers_preservation = models.BooleanField(
        default=False, help_text="The decision applies to preservation requests."
    )
    holds_pending = models.BooleanField(
        default=True, help_text="Requests already open when the decision takes effect are held too."
    )
    effective_from = models.DateField()
    ended_on = models.DateField(null=True, blank=True, help_text="Blank while the decision is open.")
    trigger = models.TextField(blank=True, help_text="The event that prompted the decision.")
    public_statement = models.TextField(blank=True)
    statement_url = models.URLField(blank=True)
    internal_rationale = models.TextField(blank=True, help_text="Never published.")
    exceptions_policy = models.TextField(
        blank=True, help_text="Public description of when data may still be produced."
    )
    allowed_exceptions = models.JSONField(
        default=list,
        blank=True,
        help_text="Pause-exception reasons under which data may still be produced.",
    )
    next_review_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pause_decisions",
    )
    is_published = models.BooleanField(default=False, help_text="Visible on the public register.")
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The public counterparts of updated_at and version: they move only when what the register
    # shows of the decision changes (see ``save``), so they can be published (``last_changed``,
    # the validators of /data/pauses.*) without telling when the desk works on a decision.
    public_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When what the public register shows of this decision last changed (published, "
        "withdrawn, or a public field edited while published); blank if never published.",
    )
    public_revision = models.PositiveIntegerField(
        default=0, editable=False, help_text="Counts the changes of public_changed_at."
    )
    # Bookkeeping derived from the public fields, like version and updated_at: not history.
    history = HistoricalRecords(
        excluded_fields=["version", "updated_at", "public_changed_at", "public_revision"]
    )

    objects = PauseDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from", "country"]
        permissions = [("publish_pausedecision", "Can publish or withdraw a pause decision")]
        indexes = [
            models.Index(fields=["country", "effective_from"], name="pause_country_effective_idx"),
            models.Index(fields=["is_published", "status"], name="pause_published_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=choices_check("status", PauseStatus), name="pause_status_valid"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("effective_from")),
                name="pause_ended_not_before_effective",
            ),
            models.CheckConstraint(
                condition=~Q(status="lifted") | Q(ended_on__isnull=False),
                name="pause_lifted_has_end_date",
            ),
            models.CheckConstraint(
                condition=Q(covers_legal_process=True)
                | Q(covers_emergency=True)
                | Q(covers_preservation=True),
                name="pause_covers_some_request_type",
            ),
            models.UniqueConstraint(
                fields=["country"],
                condition=Q(ended_on__isnull=True),
                name="pause_one_open_per_country",
                violation_error_message="This country already has an open pause decision; "
                "end or lift it before recording a new one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country.name}: {self.get_status_display()} from {self.effective_from}"

    def save(self, *args, **kwargs):
        """Saves, stamping ``public_changed_at`` and ``public_revision`` when the save changes what
        a visitor sees (publication, withdrawal, a public field edited while published), and only
        then: every ORM save follows the rule (services, admin, demo, shell). Writes that bypass
        ``save`` (``update()``, SQL) still refresh the public pages through the public-state
        triggers, but do not move these two."""
        names = ("is_published", *PUBLIC_PAUSE_FIELDS)
        stored = None
        if not self._state.adding and self.pk is not None:
            using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
            stored = type(self)._base_manager.using(using).filter(pk=self.pk).values(*names).first()
        update_fields = kwargs.get("update_fields")
        new = {name: getattr(self, name) for name in names}
        if update_fields is not None and stored is not None:
            new = {name: new[name] if name in update_fields else stored[name] for name in names}
        if self.public_view(stored) != self.public_view(new):
            self.public_changed_at = timezone.now()
            self.public_revision += 1
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "public_changed_at", "public_revision"}
        super().save(*args, **kwargs)

    @property
    def status_label(self) -> str:
        return self.label_of(self.status)

    @classmethod
    def label_of(cls, status: str) -> str:
        """The status as the public reads it everywhere: 'Paused', 'Redirected', 'Lifted',
        'Assessing' (the choice's text without the desk's explanation in brackets)."""
        return cls.Status(status).label.split(" (")[0]

    @property
    def public_anchor(self) -> str:
        """A stable fragment id on the register: jurisdiction and start, never a database id."""
        return f"pause-{self.country.code}-{self.effective_from:%Y-%m-%d}"

    @classmethod
    def public_view(cls, values: dict | None) -> tuple | None:
        """What a visitor sees of a decision with these field values: None while unpublished."""
        if values is None or not values["is_published"]:
            return None
        return tuple(cls._meta.get_field(name).get_prep_value(values[name]) for name in PUBLIC_PAUSE_FIELDS)

    @property
    def covered_request_types(self) -> list[str]:
        types = DataRequest.RequestType
        flags = [
            (types.LEGAL_PROCESS, self.covers_legal_process),
            (types.EMERGENCY, self.covers_emergency),
            (types.PRESERVATION, self.covers_preservation),
        ]
        return [value for value, covered in flags if covered]

    def covers(self, request_type: str) -> bool:
        return request_type in self.covered_request_types

    @property
    def holds_requests(self) -> bool:
        return self.status in self.HOLDING_STATUSES

    def in_force_on(self, day: datetime.date) -> bool:
        return (
            self.holds_requests
            and self.effective_from <= day
            and (self.ended_on is None or day <= self.ended_on)
        )

    def clean(self):
        errors: dict[str, list[str]] = {}
        if self.effective_from and self.ended_on and self.ended_on < self.effective_from:
            errors["ended_on"] = [
                f"The end date ({self.ended_on}) cannot be before the decision took effect "
                f"({self.effective_from})."
            ]
        if self.status == self.Status.LIFTED and not self.ended_on:
            errors.setdefault("ended_on", []).append("A lifted decision needs the date it ended.")
        if not (self.covers_legal_process or self.covers_emergency or self.covers_preservation):
            errors["covers_legal_process"] = ["A decision must cover at least one request type."]
        valid = set(DataRequest.PauseException.values)
        if not isinstance(self.allowed_exceptions, list) or not set(self.allowed_exceptions) <= valid:
            errors["allowed_exceptions"] = [
                f"Allowed exceptions must be a list drawn from: {', '.join(sorted(valid))}."
            ]
        if errors:
            raise ValidationError(errors)


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
    country = CountryField()
    request_type = models.CharField(max_length=20, choices=DataRequest.RequestType.choices)
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
                condition=choices_check("request_type", DataRequest.RequestType),
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
        if self.request_type == DataRequest.RequestType.PRESERVATION:
            return None
        return percent(self.requests_with_data_produced, self.requests)


# --------------------------------------------------------------------------------------------
# Bulk intake: the audit record of a CSV import
# --------------------------------------------------------------------------------------------


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


class PublicState(models.Model):
    """One row whose ``token`` changes with every write to the tables behind the public pages.

    Database triggers (migration 0008) give it a new random value on any insert, update, delete
    or truncate of publications, figure rows and pause decisions, whatever made the change (a
    service, the admin, a shell, SQL). The public page cache keys on it: one primary-key read
    per request tells every app process whether its cached pages are still current. Random
    rather than a counter, so a restored backup can never match pages cached before it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    token = models.CharField(max_length=32, editable=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="public_state_single_row")]

    def __str__(self) -> str:
        return f"Public state {self.token}"
