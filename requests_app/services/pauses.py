"""Pause decisions: record, change, lift; the holds they put on requests; publishing them.

Which requests a decision holds is ``rules.HoldingScope``: arriving requests are held by
``ArrivalHolds`` with its predicate, open ones held and released here with its query.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .. import rules
from ..models import DataRequest, PauseDecision
from . import versions

Status = DataRequest.Status


class ArrivalHolds:
    """The hold rule for arriving requests, with the pause decisions in force on one day loaded once.

    A new request that is received or in review arrives on hold, held by the decision in force
    that day for its country and request type. ``request_create`` asks it about one request; the
    CSV importer builds one and asks it about every row, so both apply the same rule.
    """

    def __init__(self, *, on: datetime.date):
        self.on = on
        self._pauses: dict[tuple[str, str], PauseDecision] = {}
        # In the model's ordering (latest effective first): the latest decision holds.
        for pause in PauseDecision.objects.in_force_on(on):
            if not rules.holds_arrivals_on(pause, on):
                continue
            scope = rules.HoldingScope.of(pause)
            for request_type in scope.request_types:
                self._pauses.setdefault((scope.country, request_type), pause)

    def pause_for(self, *, country: str, request_type: str) -> PauseDecision | None:
        """The decision that holds a new request of this type from this country, if any."""
        return self._pauses.get((country, request_type))


@dataclass(frozen=True)
class HoldChange:
    """How many requests a pause decision change would hold and release."""

    to_hold: int
    to_release: int


def _open_requests_to_hold(pause: PauseDecision, today: datetime.date):
    if not rules.holds_open_requests_on(pause, today):
        return DataRequest.objects.none()
    return DataRequest.objects.filter(rules.HoldingScope.of(pause).holds_q())


def _held_requests_to_release(pause: PauseDecision, today: datetime.date):
    if not pause.pk:
        return DataRequest.objects.none()
    held = DataRequest.objects.filter(held_by_id=pause.pk, status=Status.ON_HOLD)
    if not pause.in_force_on(today):
        return held
    # Still in force: release only what it no longer covers (a dropped type, a changed country).
    return held.exclude(rules.HoldingScope.of(pause).covers_q())


def pause_hold_preview(*, pause: PauseDecision, today: datetime.date | None = None) -> HoldChange:
    """What saving ``pause`` as it stands (unsaved changes included) would hold and release."""
    today = today or timezone.localdate()
    return HoldChange(
        to_hold=_open_requests_to_hold(pause, today).count(),
        to_release=_held_requests_to_release(pause, today).count(),
    )


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


def _save_pause(pause: PauseDecision, actor, recorded_at: datetime.datetime | None = None) -> None:
    pause._history_user = actor
    if recorded_at is not None:
        # A decision taken before this system kept its register: its history keeps the date.
        pause._history_date = recorded_at
    pause.full_clean()
    pause.save()


@transaction.atomic
def pause_create(
    *,
    actor=None,
    today: datetime.date | None = None,
    recorded_at: datetime.datetime | None = None,
    **fields,
) -> tuple[PauseDecision, HoldChange]:
    """Record a decision; if it is in force, hold the country's open requests it covers.
    ``recorded_at`` dates its history entry (a decision recorded after it was taken)."""
    pause = PauseDecision(**fields)
    if pause.decided_by_id is None and actor is not None and actor.is_authenticated:
        pause.decided_by = actor
    _save_pause(pause, actor, recorded_at)
    return pause, _apply_holds(pause, actor, today or timezone.localdate())


@transaction.atomic
def pause_update(
    *,
    pause: PauseDecision,
    actor=None,
    expected_version: int | None = None,
    today: datetime.date | None = None,
    recorded_at: datetime.datetime | None = None,
    **changes,
) -> tuple[PauseDecision, HoldChange]:
    """Change a decision (status, scope, dates, texts) and hold/release requests to match."""
    what = f"The {pause.country.name} decision"
    fresh = versions.claim(pause, expected_version=expected_version, what=what)
    for name, value in changes.items():
        setattr(fresh, name, value)
    _save_pause(fresh, actor, recorded_at)
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


# --------------------------------------------------------------------------------------------
# The public register
# --------------------------------------------------------------------------------------------


def _pause_set_published(
    *, decision: PauseDecision, actor, published: bool, recorded_at: datetime.datetime | None = None
) -> PauseDecision:
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
        decision.published_at = recorded_at or timezone.now()
    decision.version += 1
    _save_pause(decision, actor if actor is not None and actor.is_authenticated else None, recorded_at)
    return decision


@transaction.atomic
def pause_publish(
    *, decision: PauseDecision, actor=None, recorded_at: datetime.datetime | None = None
) -> PauseDecision:
    """Show a pause decision on the public register (idempotent); needs a public statement.
    ``recorded_at``: when it was made public, for a register kept before this system."""
    return _pause_set_published(decision=decision, actor=actor, published=True, recorded_at=recorded_at)


@transaction.atomic
def pause_unpublish(*, decision: PauseDecision, actor=None) -> PauseDecision:
    """Withdraw a pause decision from the public register (idempotent)."""
    return _pause_set_published(decision=decision, actor=actor, published=False)
