"""Every write of the desk: keyword-only functions, one transaction each, audit trail recorded.

Admin ``save_model`` and actions, management commands, the importer and tests all call these
functions, so a rule lives in exactly one place. History rows (django-simple-history) record who
changed what; ``actor`` is that user.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Value
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .db import DaysBetween, Median
from .models import Authority, DataRequest, FigureRow, ImportRun, PauseDecision, Publication
from .periods import Period

Status = DataRequest.Status


class TransitionError(ValidationError):
    """A status change the workflow does not allow."""


class ConcurrentEditError(ValidationError):
    """Somebody saved the same record after this edit started; nothing was written."""


# --------------------------------------------------------------------------------------------
# Request workflow
# --------------------------------------------------------------------------------------------

# Moves a reviewer makes. Moves into and out of ON_HOLD belong to pause decisions only
# (see pause_* below), so they are not listed here.
REVIEWER_TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.IN_REVIEW, Status.WITHDRAWN},
    Status.IN_REVIEW: {Status.COMPLETED, Status.WITHDRAWN},
    Status.ON_HOLD: {Status.COMPLETED, Status.WITHDRAWN},
    Status.COMPLETED: set(),
    Status.WITHDRAWN: set(),
}

# Fields that only the workflow services change (never a plain edit of the request).
WORKFLOW_FIELDS = [
    "status",
    "outcome",
    "outcome_reason",
    "disclosure",
    "pause_exception",
    "decided_on",
    "held_by",
]

REASON_REQUIRED_OUTCOMES = (DataRequest.Outcome.REJECTED, DataRequest.Outcome.NO_DATA)


def _label(status: str) -> str:
    return Status(status).label


def _check_transition(request: DataRequest, wanted: str) -> None:
    allowed = REVIEWER_TRANSITIONS[request.status]
    if wanted not in allowed:
        allowed_text = ", ".join(sorted(_label(s) for s in allowed)) or "nothing (it is final)"
        raise TransitionError(
            f"Request {request.reference} cannot move from '{_label(request.status)}' to "
            f"'{_label(wanted)}'. From '{_label(request.status)}' it can move to: {allowed_text}.",
            code="invalid_transition",
        )


def _lock_for_update(request: DataRequest, expected_version: int | None) -> DataRequest:
    """Claim the row for this edit, refusing it if someone saved since ``expected_version``.

    The conditional UPDATE is atomic on PostgreSQL and SQLite alike: of two reviewers who
    opened version 3, exactly one moves it to 4; the other updates no row and is refused.
    """
    if expected_version is None:
        expected_version = request.version
    claimed = DataRequest.objects.filter(pk=request.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        current = DataRequest.objects.filter(pk=request.pk).first()
        who = ""
        if current is not None:
            last = current.history.select_related("history_user").first()
            if last and last.history_user:
                who = f" by {last.history_user.get_username()}"
            when = timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M")
            who += f" at {when}"
        raise ConcurrentEditError(
            f"Request {request.reference} was changed{who} after you opened it. Your changes were "
            f"not saved; reload the request to see the current version and apply them again.",
            code="concurrent_edit",
        )
    fresh = DataRequest.objects.get(pk=request.pk)
    return fresh


def _save(request: DataRequest, actor) -> DataRequest:
    request._history_user = actor
    request.full_clean()
    request.save()
    return request


# The statuses in which a new request is subject to the hold rule (a decided one is not).
HOLDABLE_ON_ARRIVAL = (Status.RECEIVED, Status.IN_REVIEW)


class ArrivalHolds:
    """The hold rule for arriving requests, with the pause decisions in force on one day loaded once.

    A new request that is received or in review arrives on hold, held by the decision in force
    that day for its country and request type. ``request_create`` asks it about one request; the
    CSV importer builds one and asks it about every row, so both apply the same rule.
    """

    def __init__(self, *, on: datetime.date):
        self.on = on
        self._pauses: dict[tuple[str, str], PauseDecision] = {}
        # In the model's ordering (latest effective first), like the single look-up always was.
        for pause in PauseDecision.objects.in_force_on(on):
            for request_type in pause.covered_request_types:
                self._pauses.setdefault((pause.country.code, request_type), pause)

    def pause_for(self, *, country: str, request_type: str) -> PauseDecision | None:
        """The decision that holds a new request of this type from this country, if any."""
        return self._pauses.get((country, request_type))


def holding_pause_for(*, country: str, request_type: str, on: datetime.date) -> PauseDecision | None:
    """The pause decision that holds requests of this type from this country on ``on``, if any."""
    return ArrivalHolds(on=on).pause_for(country=country, request_type=request_type)


@transaction.atomic
def request_create(*, actor=None, today: datetime.date | None = None, **fields) -> DataRequest:
    """Log a new request; it arrives on hold when a pause in force today covers it."""
    request = DataRequest(**fields)
    request.version = 1
    if request.status in HOLDABLE_ON_ARRIVAL:
        pause = holding_pause_for(
            country=str(request.country),
            request_type=request.request_type,
            on=today or timezone.localdate(),
        )
        if pause is not None:
            request.status, request.held_by = Status.ON_HOLD, pause
    return _save(request, actor)


@transaction.atomic
def request_update(
    *, request: DataRequest, actor=None, expected_version: int | None = None, **changes
) -> DataRequest:
    """Edit a request's details (not its status: that moves through the transitions)."""
    forbidden = {"status", "outcome", "decided_on", "held_by", "held_by_id", "pause_exception", "version"}
    if forbidden & changes.keys():
        raise ValidationError(
            f"Use the workflow actions to change {', '.join(sorted(forbidden & changes.keys()))}.",
            code="workflow_field",
        )
    fresh = _lock_for_update(request, expected_version)
    for name, value in changes.items():
        setattr(fresh, name, value)
    return _save(fresh, actor)


@transaction.atomic
def request_assign(
    *, request: DataRequest, assignee, actor=None, expected_version: int | None = None
) -> DataRequest:
    """Give the request to a reviewer (or to nobody)."""
    fresh = _lock_for_update(request, expected_version)
    fresh.assignee = assignee
    return _save(fresh, actor)


@transaction.atomic
def request_start_review(
    *, request: DataRequest, actor=None, expected_version: int | None = None
) -> DataRequest:
    """received -> in_review; the reviewer takes the request if it has nobody yet."""
    fresh = _lock_for_update(request, expected_version)
    _check_transition(fresh, Status.IN_REVIEW)
    fresh.status = Status.IN_REVIEW
    if fresh.assignee_id is None and actor is not None and actor.is_authenticated:
        fresh.assignee = actor
    if fresh.acknowledged_on is None:
        fresh.acknowledged_on = max(timezone.localdate(), fresh.received_on)
    return _save(fresh, actor)


@dataclass(frozen=True)
class Decision:
    """One outcome applied to a request (or, by the bulk action, to many)."""

    outcome: str
    decided_on: datetime.date
    outcome_reason: str = ""
    disclosure: str = ""
    pause_exception: str = ""


def _decision_errors(request: DataRequest, decision: Decision) -> dict[str, list[str]]:
    """Why ``decision`` cannot complete ``request`` (empty when it can)."""
    errors: dict[str, list[str]] = {}
    outcome = decision.outcome
    if outcome not in DataRequest.Outcome.values:
        errors["outcome"] = [f"'{outcome}' is not an outcome."]
    elif outcome in REASON_REQUIRED_OUTCOMES and not decision.outcome_reason:
        errors["outcome_reason"] = [
            f"Give a reason when the outcome is '{DataRequest.Outcome(outcome).label}'."
        ]
    if decision.decided_on is None:
        errors["decided_on"] = ["A completed request needs a decision date."]
    elif decision.decided_on < request.received_on:
        errors["decided_on"] = [
            f"The decision date ({decision.decided_on}) cannot be before the request was received "
            f"({request.received_on})."
        ]
    pause, exception = request.held_by, decision.pause_exception
    if pause is not None and outcome in DataRequest.PRODUCED_OUTCOMES:
        allowed = ", ".join(pause.allowed_exceptions) or "none allowed"
        if not exception:
            errors["pause_exception"] = [
                f"Request {request.reference} is held by the {pause.country.name} pause: data may only "
                f"be produced under one of its exceptions ({allowed}). Record the exception."
            ]
        elif exception not in pause.allowed_exceptions:
            errors["pause_exception"] = [
                f"'{exception}' is not an exception the {pause.country.name} pause allows ({allowed})."
            ]
    elif exception:
        errors["pause_exception"] = [
            "A pause exception is only recorded when data is produced for a request held by a pause."
        ]
    return errors


def _apply_decision(request: DataRequest, decision: Decision) -> None:
    request.status = Status.COMPLETED
    request.outcome = decision.outcome
    request.outcome_reason = decision.outcome_reason
    request.disclosure = decision.disclosure
    request.pause_exception = decision.pause_exception
    request.decided_on = decision.decided_on
    request.held_by = None


@transaction.atomic
def request_complete(
    *,
    request: DataRequest,
    outcome: str,
    decided_on: datetime.date,
    outcome_reason: str = "",
    disclosure: str = "",
    pause_exception: str = "",
    actor=None,
    expected_version: int | None = None,
) -> DataRequest:
    """Decide the request. A held request may produce data only under an allowed pause exception."""
    decision = Decision(outcome, decided_on, outcome_reason, disclosure, pause_exception)
    fresh = _lock_for_update(request, expected_version)
    _check_transition(fresh, Status.COMPLETED)
    errors = _decision_errors(fresh, decision)
    if errors:
        raise ValidationError(errors)
    _apply_decision(fresh, decision)
    return _save(fresh, actor)


@transaction.atomic
def request_withdraw(*, request: DataRequest, actor=None, expected_version: int | None = None) -> DataRequest:
    """The requesting authority withdrew the request."""
    fresh = _lock_for_update(request, expected_version)
    _check_transition(fresh, Status.WITHDRAWN)
    fresh.status = Status.WITHDRAWN
    fresh.held_by = None
    return _save(fresh, actor)


@dataclass
class BulkResult:
    """What a bulk action did: the references done and, for the rest, why each was refused."""

    done: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


@transaction.atomic
def requests_complete_bulk(*, requests: Iterable[DataRequest], decision: Decision, actor=None) -> BulkResult:
    """Apply one decision to many requests under the rules of ``request_complete``.

    Each request is checked on its own (refusals are reported by reference, the rest go
    through); the accepted ones are written in a few bulk queries, whatever their number.
    """
    result = BulkResult()
    pks = [request.pk for request in requests]
    rows = DataRequest.objects.select_for_update(of=("self",)).select_related("held_by").filter(pk__in=pks)
    accepted = []
    for request in rows.order_by("reference"):
        try:
            _check_transition(request, Status.COMPLETED)
            errors = _decision_errors(request, decision)
            if errors:
                raise ValidationError(errors)
            _apply_decision(request, decision)
            # Foreign keys are unchanged and were valid; skipping their per-row look-ups keeps
            # the action at a constant number of queries.
            request.clean_fields(exclude=["authority", "assignee", "held_by"])
            request.clean()
        except ValidationError as error:
            result.refused[request.reference] = " ".join(error.messages)
            continue
        request.version += 1
        request.updated_at = timezone.now()
        accepted.append(request)
        result.done.append(request.reference)
    if accepted:
        bulk_update_with_history(
            accepted,
            DataRequest,
            [*WORKFLOW_FIELDS, "version", "updated_at"],
            batch_size=500,
            default_user=actor,
            default_change_reason="completed by bulk action",
        )
    return result


# --------------------------------------------------------------------------------------------
# Pause decisions drive holds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldChange:
    """How many requests a pause decision change would hold and release."""

    to_hold: int
    to_release: int


def _open_requests_to_hold(pause: PauseDecision, today: datetime.date):
    if not (pause.pk and pause.in_force_on(today) and pause.holds_pending):
        return DataRequest.objects.none()
    return DataRequest.objects.filter(
        country=pause.country,
        request_type__in=pause.covered_request_types,
        status__in=(Status.RECEIVED, Status.IN_REVIEW),
    )


def _held_requests_to_release(pause: PauseDecision, today: datetime.date):
    if not pause.pk:
        return DataRequest.objects.none()
    held = DataRequest.objects.filter(held_by_id=pause.pk, status=Status.ON_HOLD)
    if not pause.in_force_on(today):
        return held
    # Still in force: release only the types it no longer covers (or a changed country).
    return held.exclude(request_type__in=pause.covered_request_types, country=pause.country)


def pause_hold_preview(*, pause: PauseDecision, today: datetime.date | None = None) -> HoldChange:
    """What saving ``pause`` as it stands (unsaved changes included) would hold and release."""
    today = today or timezone.localdate()
    to_hold = _open_requests_to_hold(pause, today) if pause.pk else DataRequest.objects.none()
    if not pause.pk and pause.in_force_on(today) and pause.holds_pending:
        to_hold = DataRequest.objects.filter(
            country=pause.country,
            request_type__in=pause.covered_request_types,
            status__in=(Status.RECEIVED, Status.IN_REVIEW),
        )
    return HoldChange(to_hold=to_hold.count(), to_release=_held_requests_to_release(pause, today).count())


def _apply_holds(pause: PauseDecision, actor, today: datetime.date) -> HoldChange:
    reason = f"Pause decision #{pause.pk} ({pause.country.code})"
    now = timezone.now()
    to_hold = list(_open_requests_to_hold(pause, today))
    for request in to_hold:
        request.status, request.held_by = Status.ON_HOLD, pause
    to_release = list(_held_requests_to_release(pause, today))
    for request in to_release:
        request.status, request.held_by = Status.IN_REVIEW, None
    for request in to_hold + to_release:
        # A reviewer's form opened before the hold is now stale: bumping the version refuses it.
        request.version, request.updated_at = request.version + 1, now
    for batch, verb in ((to_hold, "held"), (to_release, "released")):
        if batch:
            bulk_update_with_history(
                batch,
                DataRequest,
                ["status", "held_by", "version", "updated_at"],
                batch_size=500,
                default_user=actor,
                default_change_reason=f"{verb} by {reason}",
            )
    return HoldChange(to_hold=len(to_hold), to_release=len(to_release))


def _save_pause(pause: PauseDecision, actor) -> None:
    pause._history_user = actor
    pause.full_clean()
    pause.save()


@transaction.atomic
def pause_create(
    *, actor=None, today: datetime.date | None = None, **fields
) -> tuple[PauseDecision, HoldChange]:
    """Record a decision; if it is in force, hold the country's open requests it covers."""
    pause = PauseDecision(**fields)
    if pause.decided_by_id is None and actor is not None and actor.is_authenticated:
        pause.decided_by = actor
    _save_pause(pause, actor)
    return pause, _apply_holds(pause, actor, today or timezone.localdate())


@transaction.atomic
def pause_update(
    *,
    pause: PauseDecision,
    actor=None,
    expected_version: int | None = None,
    today: datetime.date | None = None,
    **changes,
) -> tuple[PauseDecision, HoldChange]:
    """Change a decision (status, scope, dates, texts) and hold/release requests to match."""
    if expected_version is None:
        expected_version = pause.version
    claimed = PauseDecision.objects.filter(pk=pause.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise ConcurrentEditError(
            f"The {pause.country.name} decision was changed by someone else after you opened it. "
            f"Your changes were not saved; reload it and apply them again.",
            code="concurrent_edit",
        )
    fresh = PauseDecision.objects.get(pk=pause.pk)
    for name, value in changes.items():
        setattr(fresh, name, value)
    _save_pause(fresh, actor)
    return fresh, _apply_holds(fresh, actor, today or timezone.localdate())


def pause_lift(
    *,
    pause: PauseDecision,
    ended_on: datetime.date,
    actor=None,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> tuple[PauseDecision, HoldChange]:
    """End the decision: status lifted, end date set, held requests back in review."""
    return pause_update(
        pause=pause,
        actor=actor,
        expected_version=expected_version,
        today=today,
        status=PauseDecision.Status.LIFTED,
        ended_on=ended_on,
    )


@transaction.atomic
def pauses_apply_due(*, actor=None, today: datetime.date | None = None) -> HoldChange:
    """Apply holds of decisions that took effect (or ended) by ``today``; run daily from cron."""
    today = today or timezone.localdate()
    held = released = 0
    candidates = PauseDecision.objects.filter(
        Q(status__in=PauseDecision.HOLDING_STATUSES) | Q(held_requests__isnull=False)
    ).distinct()
    for pause in candidates:
        change = _apply_holds(pause, actor, today)
        held, released = held + change.to_hold, released + change.to_release
    return HoldChange(to_hold=held, to_release=released)


# =============================================================================================
# Publishing: report periods (immutable snapshots of aggregates) and pause decisions.
# =============================================================================================


def published_holds() -> list[PauseDecision]:
    """The pause decisions whose dates count as "a pause in force" in published figures.

    Only decisions published at the moment of publishing count: a figure "received during a
    pause" for a country whose decision is still an unpublished draft would disclose the draft.
    Re-publishing the period after the decision is published brings its requests in.
    A decision counts while it is paused or redirected, and so does a lifted one for the dates it
    was in force, provided its recorded history shows it did hold requests (a decision that went
    from "assessing" straight to "lifted" never held anything).
    """
    once_held = Exists(
        PauseDecision.history.model.objects.filter(
            id=OuterRef("pk"), status__in=PauseDecision.HOLDING_STATUSES
        )
    )
    return list(
        PauseDecision.objects.published()
        .filter(
            Q(status__in=PauseDecision.HOLDING_STATUSES) | (Q(status=PauseDecision.Status.LIFTED) & once_held)
        )
        .order_by("country", "effective_from")
    )


def _held_on(day_field: str, holds: list[PauseDecision]) -> Q:
    """A request of the country and a type covered by one of ``holds``, whose ``day_field``
    (received_on or decided_on) falls within that decision's dates.

    The register holds a handful of decisions, so they are written into the query as plain
    column conditions: the database checks them row by row without a correlated subquery,
    which on a million requests is the difference between seconds and a fraction of one.
    """
    held = Q()
    for decision in holds:
        dates = {f"{day_field}__gte": decision.effective_from}
        if decision.ended_on:
            dates[f"{day_field}__lte"] = decision.ended_on
        held |= Q(country=decision.country.code, request_type__in=decision.covered_request_types, **dates)
    return held


def period_figures_queryset(*, period: Period, holds: list[PauseDecision]):
    """The figures of ``period`` per (country, request type), as ONE aggregate query.

    Counting rules (documented on /data/):
    - a request counts in the period in which it was received, whatever its state today;
    - ``n_produced``: outcome all_data or some_data;
    - ``n_during_pause``: one of ``holds`` (see ``published_holds``) covering its type was in
      force for its country on the day it was received;
    - ``n_under_exception``: data produced, a pause exception recorded, and one of ``holds``
      covering its type was in force when it was received or when it was decided;
    - ``median_days``: median of decided_on - received_on over the completed requests.
    """
    produced = Q(outcome__in=DataRequest.PRODUCED_OUTCOMES)
    if holds:
        during_pause = Count("pk", filter=_held_on("received_on", holds))
        under_exception = Count(
            "pk",
            filter=produced
            & ~Q(pause_exception="")
            & (_held_on("received_on", holds) | _held_on("decided_on", holds)),
        )
    else:
        during_pause = under_exception = Value(0)
    return (
        DataRequest.objects.filter(received_on__gte=period.start, received_on__lte=period.end)
        .order_by()
        .values("country", "request_type")
        .annotate(
            n_requests=Count("pk"),
            n_accounts=Sum("accounts_specified"),
            n_produced=Count("pk", filter=produced),
            n_during_pause=during_pause,
            n_under_exception=under_exception,
            median_days=Median(
                DaysBetween("decided_on", "received_on"), filter=Q(status=DataRequest.Status.COMPLETED)
            ),
        )
        .order_by("country", "request_type")
    )


def _one_decimal(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _as_period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else Period.parse(period)


def _require_ended(period: Period, today: datetime.date | None) -> None:
    today = today or timezone.localdate()
    if not period.has_ended(today):
        raise ValidationError(
            f"{period.label} has not ended yet: it runs until {period.end.isoformat()}, so it can be "
            f"published from {(period.next().start).isoformat()} on.",
            code="period_not_ended",
        )


def _publication_create(*, period: Period, source: str, actor, note: str) -> Publication:
    """Create the next version of ``period``'s publication (caller holds the transaction)."""
    note = (note or "").strip()
    # Lock the period's existing versions so two publishers cannot both take version N+1 unseen.
    existing = list(
        Publication.objects.select_for_update().filter(period=period.label).values_list("version", flat=True)
    )
    version = max(existing, default=0) + 1
    if version > 1 and not note:
        raise ValidationError(
            f"{period.label} is already published (version {version - 1}). Say why it is re-published: "
            "the note is shown to the public next to the revised figures.",
            code="revision_note_required",
        )
    publication = Publication(
        period=period.label,
        version=version,
        source=source,
        published_at=timezone.now(),
        published_by=actor if actor is not None and actor.is_authenticated else None,
        note=note,
    )
    publication.full_clean()
    try:
        with transaction.atomic():
            publication.save()
    except IntegrityError as error:  # a concurrent first publication of the same period
        raise ValidationError(
            f"{period.label} was published by someone else at the same moment; reload and try again.",
            code="concurrent_publication",
        ) from error
    return publication


@transaction.atomic
def period_publish(
    *, period: Period | str, actor=None, note: str = "", today: datetime.date | None = None
) -> Publication:
    """Snapshot ``period``'s figures from the request records as its next publication version.

    Earlier versions are kept unchanged; later edits to requests change nothing published until
    the period is published again (which needs a note saying why).
    """
    period = _as_period(period)
    _require_ended(period, today)
    figures = list(period_figures_queryset(period=period, holds=published_holds()))
    if not figures:
        raise ValidationError(
            f"No requests were received in {period.label}: there is nothing to publish. Figures "
            "published before this system existed are loaded with `import_figures`.",
            code="period_empty",
        )
    publication = _publication_create(
        period=period, source=Publication.Source.COMPUTED, actor=actor, note=note
    )
    FigureRow.objects.bulk_create(
        FigureRow(
            publication=publication,
            country=figure["country"],
            request_type=figure["request_type"],
            requests=figure["n_requests"],
            accounts_specified=figure["n_accounts"],
            requests_with_data_produced=figure["n_produced"],
            requests_received_during_pause=figure["n_during_pause"],
            requests_produced_under_pause_exception=figure["n_under_exception"],
            median_days_to_decision=_one_decimal(figure["median_days"]),
        )
        for figure in figures
    )
    return publication


@dataclass(frozen=True)
class ImportedFigure:
    """One validated row of a historical figures file (see ``figures_import``)."""

    period: Period
    country: str
    request_type: str
    requests: int
    accounts_specified: int
    requests_with_data_produced: int


@transaction.atomic
def figures_import(*, figures: list[ImportedFigure], actor=None, note: str = "") -> list[Publication]:
    """Publish validated historical figures: one publication (source "imported") per period.

    Pause figures are unknown for such periods and stay blank. A period that already has figures
    computed from request records is refused: importing would hide them behind older numbers.
    """
    by_period: dict[Period, list[ImportedFigure]] = {}
    for figure in figures:
        by_period.setdefault(figure.period, []).append(figure)
    computed = set(
        Publication.objects.filter(
            period__in=[p.label for p in by_period], source=Publication.Source.COMPUTED
        ).values_list("period", flat=True)
    )
    if computed:
        raise ValidationError(
            f"Already published from request records: {', '.join(sorted(computed))}. Imported figures "
            "are for periods before this system; re-publish those periods instead.",
            code="period_computed",
        )
    publications = []
    for period in sorted(by_period):
        _require_ended(period, None)
        first_version = not Publication.objects.filter(period=period.label).exists()
        if first_version and not note.strip():
            note = "Figures imported from the report published before this system."
        publication = _publication_create(
            period=period, source=Publication.Source.IMPORTED, actor=actor, note=note
        )
        FigureRow.objects.bulk_create(
            FigureRow(
                publication=publication,
                country=figure.country,
                request_type=figure.request_type,
                requests=figure.requests,
                accounts_specified=figure.accounts_specified,
                requests_with_data_produced=figure.requests_with_data_produced,
                requests_received_during_pause=None,
                requests_produced_under_pause_exception=None,
            )
            for figure in by_period[period]
        )
        publications.append(publication)
    return publications


def _pause_set_published(*, decision: PauseDecision, actor, published: bool) -> PauseDecision:
    decision = PauseDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.is_published == published:
        return decision
    if published and not decision.public_statement.strip():
        raise ValidationError(
            {"public_statement": "Write the public statement before publishing the decision."},
            code="statement_required",
        )
    decision.is_published = published
    if published:
        # "Last made public at"; kept when the decision is withdrawn.
        decision.published_at = timezone.now()
    decision.version += 1
    decision._history_user = actor if actor is not None and actor.is_authenticated else None
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def pause_publish(*, decision: PauseDecision, actor=None) -> PauseDecision:
    """Show a pause decision on the public register (idempotent); needs a public statement."""
    return _pause_set_published(decision=decision, actor=actor, published=True)


@transaction.atomic
def pause_unpublish(*, decision: PauseDecision, actor=None) -> PauseDecision:
    """Withdraw a pause decision from the public register (idempotent)."""
    return _pause_set_published(decision=decision, actor=actor, published=False)


# --------------------------------------------------------------------------------------------
# Bulk intake (requests_app/importers.py reads and checks the CSV; these write it)
# --------------------------------------------------------------------------------------------


def request_transition_check(*, request: DataRequest, status: str) -> None:
    """Raise TransitionError unless a reviewer may move ``request`` to ``status``."""
    _check_transition(request, status)


def authorities_create_bulk(
    *, authorities: list[tuple[str, str, str]], actor=None
) -> tuple[dict[tuple[str, str], Authority], set[tuple[str, str]]]:
    """Find or create each (name, country, kind) in a few queries, with history for the new ones.

    Returns every authority by (name, country), and which of them it created; an existing one
    keeps its kind.
    """
    wanted = {(name, country): kind for name, country, kind in authorities}
    found = {
        (authority.name, authority.country.code): authority
        for authority in Authority.objects.filter(
            name__in={name for name, _ in wanted}, country__in={country for _, country in wanted}
        )
        if (authority.name, authority.country.code) in wanted
    }
    new = [
        Authority(name=name, country=country, kind=kind)
        for (name, country), kind in wanted.items()
        if (name, country) not in found
    ]
    for authority in new:
        # The importer checked the country code; CountryField's 249 choices per authority cost
        # more than the rest of its import. Uniqueness and the kind are also DB constraints.
        authority.clean_fields(exclude=["country"])
    if new:
        bulk_create_with_history(
            new, Authority, default_user=actor, default_change_reason="created by import"
        )
        # Not every database returns ids from a bulk insert: read them back.
        for authority in Authority.objects.filter(
            name__in={a.name for a in new}, country__in={a.country.code for a in new}
        ):
            found.setdefault((authority.name, authority.country.code), authority)
    return found, {(authority.name, authority.country.code) for authority in new}


def import_run_start(*, actor, source: str, file_name: str, update_existing: bool) -> ImportRun:
    """Open the audit record of an import; the requests it creates point to it."""
    now = timezone.now()
    return ImportRun.objects.create(
        started_at=now,
        finished_at=now,
        user=actor,
        source=source,
        file_name=file_name[: ImportRun._meta.get_field("file_name").max_length],
        file_sha256="",
        file_size=0,
        update_existing=update_existing,
        rows=0,
        created=0,
        updated=0,
        unchanged=0,
        held=0,
        blank_lines=0,
    )


def import_run_finish(*, run: ImportRun, **counts) -> ImportRun:
    """Record what the import did (file hash and size, row counts) and when it finished."""
    for name, value in counts.items():
        setattr(run, name, value)
    run.finished_at = timezone.now()
    run.full_clean()
    run.save()
    return run


def requests_create_imported(*, rows: list[Sequence], fields: Sequence[str]) -> None:
    """Insert checked rows of new requests (values in ``fields`` order) in bulk.

    The caller (the importer) has applied every rule ``request_create`` and ``clean()`` apply,
    the hold rule included (``ArrivalHolds``); the named constraints are the backstop. On
    PostgreSQL the rows are streamed with COPY, the fastest way in; elsewhere ``bulk_create``.
    Their creation record is the ImportRun they point to, not a history row each.
    """
    if connection.vendor == "postgresql":
        columns = ", ".join(DataRequest._meta.get_field(name).column for name in fields)
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {DataRequest._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    DataRequest.objects.bulk_create([DataRequest(**dict(zip(fields, row, strict=True))) for row in rows])
