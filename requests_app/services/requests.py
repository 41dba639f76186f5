"""The request workflow: log, edit, assign, review, decide, withdraw (one request or many)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from .. import rules
from ..models import DataRequest
from . import versions
from .pauses import ArrivalHolds

Status = DataRequest.Status


class TransitionError(ValidationError):
    """A status change the workflow does not allow."""


# Moves a reviewer makes. Moves into and out of ON_HOLD belong to pause decisions only
# (services.pauses), so they are not listed here.
REVIEWER_TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.IN_REVIEW, Status.WITHDRAWN},
    Status.IN_REVIEW: {Status.COMPLETED, Status.WITHDRAWN},
    Status.ON_HOLD: {Status.COMPLETED, Status.WITHDRAWN},
    Status.COMPLETED: set(),
    Status.WITHDRAWN: set(),
}


def _label(status: str) -> str:
    return str(Status(status).label)


def request_transition_check(*, request: DataRequest, status: str) -> None:
    """Raise TransitionError unless a reviewer may move ``request`` to ``status``."""
    allowed = REVIEWER_TRANSITIONS[request.status]
    if status not in allowed:
        allowed_text = ", ".join(sorted(_label(s) for s in allowed)) or "nothing (it is final)"
        raise TransitionError(
            f"Request {request.reference} cannot move from '{_label(request.status)}' to "
            f"'{_label(status)}'. From '{_label(request.status)}' it can move to: {allowed_text}.",
            code="invalid_transition",
        )


def _claim(request: DataRequest, expected_version: int | None) -> DataRequest:
    return versions.claim(request, expected_version=expected_version, what=f"Request {request.reference}")


def _save(request: DataRequest, actor) -> DataRequest:
    request._history_user = actor
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def request_create(*, actor=None, today: datetime.date | None = None, **fields) -> DataRequest:
    """Log a new request; it arrives on hold when a pause in force today covers it."""
    request = DataRequest(**fields)
    request.version = 1
    if request.status in DataRequest.HOLDABLE_STATUSES:
        pause = ArrivalHolds(on=today or timezone.localdate()).pause_for(
            country=str(request.country), request_type=request.request_type
        )
        if pause is not None:
            request.status, request.held_by = Status.ON_HOLD, pause
    return _save(request, actor)


@transaction.atomic
def request_update(
    *, request: DataRequest, actor=None, expected_version: int | None = None, **changes
) -> DataRequest:
    """Edit a request's details (not its decision or hold: ``rules.WORKFLOW_FIELDS``)."""
    forbidden = rules.workflow_fields_in(changes)
    if forbidden:
        raise ValidationError(
            f"Use the workflow actions to change {', '.join(forbidden)}.", code="workflow_field"
        )
    fresh = _claim(request, expected_version)
    for name, value in changes.items():
        setattr(fresh, name, value)
    return _save(fresh, actor)


@transaction.atomic
def request_assign(
    *, request: DataRequest, assignee, actor=None, expected_version: int | None = None
) -> DataRequest:
    """Give an open request to a reviewer (or to nobody); a decided one is no one's work."""
    fresh = _claim(request, expected_version)
    if fresh.status not in DataRequest.OPEN_STATUSES:
        raise TransitionError(
            f"Request {fresh.reference} is '{fresh.get_status_display()}': only an open request is assigned."
        )
    fresh.assignee = assignee
    return _save(fresh, actor)


@transaction.atomic
def request_start_review(
    *, request: DataRequest, actor=None, expected_version: int | None = None
) -> DataRequest:
    """received -> in_review; the reviewer takes the request if it has nobody yet."""
    fresh = _claim(request, expected_version)
    request_transition_check(request=fresh, status=Status.IN_REVIEW)
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


def _decide(request: DataRequest, decision: Decision) -> None:
    """Apply ``decision`` to ``request`` in memory, or raise why the workflow refuses it."""
    request_transition_check(request=request, status=Status.COMPLETED)
    problems = rules.request_decision_problems(
        status=Status.COMPLETED,
        outcome=decision.outcome,
        decided_on=decision.decided_on,
        received_on=request.received_on,
        today=timezone.localdate(),
        outcome_reason=decision.outcome_reason,
        pause_exception=decision.pause_exception,
        reference=request.reference,
        deciding=True,
        holding_pause=rules.HoldingPause.of(request.held_by),
        request_type=request.request_type,
    )
    if problems:
        raise ValidationError(problems)
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
    fresh = _claim(request, expected_version)
    _decide(fresh, Decision(outcome, decided_on, outcome_reason, disclosure, pause_exception))
    return _save(fresh, actor)


@transaction.atomic
def request_withdraw(*, request: DataRequest, actor=None, expected_version: int | None = None) -> DataRequest:
    """The requesting authority withdrew the request."""
    fresh = _claim(request, expected_version)
    request_transition_check(request=fresh, status=Status.WITHDRAWN)
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
            _decide(request, decision)
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
            [*rules.WORKFLOW_FIELDS, "version", "updated_at"],
            batch_size=500,
            default_user=actor,
            default_change_reason="completed by bulk action",
        )
    return result
