"""The desk's rules, each written once: pure functions of plain values that return messages.

``DataRequest.clean()``, the services and the CSV importer call these, so a rule cannot say one
thing in a form and another in an import. Nothing here reads or writes the database; the hold
scope also builds the query condition that selects the same requests its predicate accepts.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db.models import Q

from .choices import (
    HOLDABLE_REQUEST_STATUSES,
    PRODUCED_OUTCOMES,
    REASON_REQUIRED_OUTCOMES,
    Outcome,
    PublishedRequestType,
    RequestStatus,
    RequestType,
)

PRESERVATION = RequestType.PRESERVATION

# --------------------------------------------------------------------------------------------
# Which fields the workflow owns
# --------------------------------------------------------------------------------------------

# A request's decision and hold: only the workflow services change them (start review,
# complete, withdraw, pause holds). The admin shows them read-only; a plain edit
# (``request_update``, the importer's --update) may not touch them.
WORKFLOW_FIELDS = (
    "status",
    "outcome",
    "outcome_reason",
    "disclosure",
    "pause_exception",
    "decided_on",
    "held_by",
)
# ... and the names under which an edit could still reach them.
_WORKFLOW_NAMES = frozenset(WORKFLOW_FIELDS) | {"held_by_id", "version"}


def workflow_fields_in(names: Iterable[str]) -> list[str]:
    """The names among ``names`` that only the workflow may change (sorted; empty if none)."""
    return sorted(_WORKFLOW_NAMES.intersection(names))


# --------------------------------------------------------------------------------------------
# A request's decision
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldingPause:
    """What the exception rule needs of the pause decision holding a request when it is decided."""

    name: str  # the jurisdiction's name, as messages say it ("the Hong Kong pause")
    allowed_exceptions: tuple[str, ...]

    @classmethod
    def of(cls, pause) -> HoldingPause | None:
        if pause is None:
            return None
        return cls(name=pause.country.name, allowed_exceptions=tuple(pause.allowed_exceptions or ()))


# The dates of a request that cannot lie after today (a notification may be delayed until a
# later date; nothing else about a request happens tomorrow).
NOT_AFTER_TODAY = {"received_on": "received", "acknowledged_on": "acknowledged", "decided_on": "decided"}


LEGAL_PROCESS_ONLY_LEGAL = "Only a legal-process request has a legal process (this one is {type})."


def legal_process_problem(request_type: str, legal_process: str | None) -> str:
    """Why a request (or a published figure row) of ``request_type`` cannot name ``legal_process``:
    the kinds of legal process split legal-process requests and nothing else."""
    if legal_process and request_type and request_type != RequestType.LEGAL_PROCESS:
        return LEGAL_PROCESS_ONLY_LEGAL.format(type=request_type)
    return ""


def date_after_today_problem(field: str, value: datetime.date | None, today: datetime.date) -> str:
    """Why ``value`` cannot be the request's ``field`` (empty when it can): not after today."""
    if value and field in NOT_AFTER_TODAY and value > today:
        return f"A request cannot be {NOT_AFTER_TODAY[field]} in the future ({value}; today is {today})."
    return ""


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _decision_dates(status, decided_on, received_on, today) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if status == RequestStatus.COMPLETED and not decided_on:
        problems["decided_on"] = ["A completed request needs a decision date."]
    elif decided_on and received_on and decided_on < received_on:
        problems["decided_on"] = [
            f"The decision date ({decided_on}) cannot be before the request was received ({received_on})."
        ]
    elif problem := date_after_today_problem("decided_on", decided_on, today):
        problems["decided_on"] = [problem]
    return problems


def _pause_exception_when_deciding(reference, outcome, exception, holding_pause) -> list[str]:
    if holding_pause is not None and outcome in PRODUCED_OUTCOMES:
        allowed = ", ".join(holding_pause.allowed_exceptions) or "none allowed"
        if not exception:
            return [
                f"Request {reference} is held by the {holding_pause.name} pause: data may only be "
                f"produced under one of its exceptions ({allowed}). Record the exception."
            ]
        if exception not in holding_pause.allowed_exceptions:
            return [f"'{exception}' is not an exception the {holding_pause.name} pause allows ({allowed})."]
        return []
    if exception:
        return ["A pause exception is only recorded when data is produced for a request held by a pause."]
    return []


def request_decision_problems(
    *,
    status: str,
    outcome: str,
    decided_on: datetime.date | None,
    received_on: datetime.date | None,
    today: datetime.date,
    outcome_reason: str = "",
    pause_exception: str = "",
    reference: str = "",
    deciding: bool = False,
    holding_pause: HoldingPause | None = None,
    request_type: str = "",
) -> dict[str, list[str]]:
    """Why this decision is not valid, by field (empty when it is).

    Always: an outcome exactly when completed, a decision date when completed, neither before
    receipt nor after ``today``, and a pause exception only with data produced.
    A preservation request is never decided as producing data (it keeps data; it discloses none).
    ``deciding`` adds what only the moment of decision knows (a stored record keeps neither:
    completing a request releases its hold): a reason for a refusal, and a pause exception
    exactly when data is produced for a request held by ``holding_pause``, among those it allows.
    The reason is not required of a stored record, so an imported history without reasons
    stays editable.
    """
    problems: dict[str, list[str]] = {}
    if status == RequestStatus.COMPLETED:
        if not outcome:
            problems["outcome"] = ["A completed request needs an outcome."]
        elif deciding and outcome not in Outcome.values:  # a stored one is checked by its choices
            problems["outcome"] = [f"'{outcome}' is not an outcome."]
    elif outcome:
        problems["outcome"] = [
            f"Only a completed request has an outcome; this one is '{_label(RequestStatus, status)}'. "
            "Clear the outcome or complete the request."
        ]
    problems.update(_decision_dates(status, decided_on, received_on, today))
    if deciding:
        if request_type == PRESERVATION and outcome in PRODUCED_OUTCOMES:
            problems["outcome"] = [
                "A preservation request keeps data and discloses none: complete it as 'No data' "
                "with the reason 'Data preserved', or reject it."
            ]
        if outcome in REASON_REQUIRED_OUTCOMES and not outcome_reason:
            problems["outcome_reason"] = [f"Give a reason when the outcome is '{Outcome(outcome).label}'."]
        exception = _pause_exception_when_deciding(reference, outcome, pause_exception, holding_pause)
    elif pause_exception and outcome not in PRODUCED_OUTCOMES:
        exception = ["A pause exception is only recorded for a completed request that produced data."]
    else:
        exception = []
    if exception:
        problems["pause_exception"] = exception
    return problems


# --------------------------------------------------------------------------------------------
# Which requests a pause decision holds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldingScope:
    """The requests one pause decision holds: its country, the request types it covers, and an
    open status that a hold applies to. ``holds`` and ``holds_q`` are the same rule, for one
    request in hand and for a query."""

    country: str
    request_types: frozenset[str]

    @classmethod
    def of(cls, pause) -> HoldingScope:
        return cls(country=str(pause.country), request_types=frozenset(pause.covered_request_types))

    def covers(self, *, country: str, request_type: str) -> bool:
        return country == self.country and request_type in self.request_types

    def holds(self, *, country: str, request_type: str, status: str) -> bool:
        return status in HOLDABLE_REQUEST_STATUSES and self.covers(country=country, request_type=request_type)

    def covers_q(self) -> Q:
        return Q(country=self.country, request_type__in=sorted(self.request_types))

    def holds_q(self) -> Q:
        return self.covers_q() & Q(status__in=HOLDABLE_REQUEST_STATUSES)


def holds_arrivals_on(pause, day: datetime.date) -> bool:
    """A decision in force on ``day`` holds the requests that arrive that day, within its scope."""
    return pause.in_force_on(day)


def holds_open_requests_on(pause, day: datetime.date) -> bool:
    """... and the requests already open, when it says so (``holds_pending``)."""
    return pause.in_force_on(day) and pause.holds_pending


# --------------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------------


def revision_note_problem(*, period_label: str, published_versions: Collection[int], note: str) -> str:
    """Why publishing ``period_label`` again needs a note (empty when it does not).

    The note is shown to the public next to the revised figures."""
    if published_versions and not note.strip():
        return (
            f"{period_label} is already published (version {max(published_versions)}). Say why it is "
            "re-published: the note is shown to the public next to the revised figures."
        )
    return ""


# A published figure row's grain within its period and jurisdiction: (request type, legal process,
# product). The whole of each: type "all", no legal process, no product (not broken down by it).
FigureGrain = tuple[str, str | None, str | None]
_WHOLE_GRAIN: FigureGrain = (PublishedRequestType.ALL, None, None)


def figure_grains_overlap(a: FigureGrain, b: FigureGrain) -> bool:
    """Whether two figure rows of the same period and jurisdiction can count the same requests.

    They can unless they differ on a split both make: a row not broken down by legal process
    (or by product, or by request type: "all") holds the requests of the rows that are, so a
    publication with both would count those requests twice when its rows are summed."""
    return all(x == y or whole in (x, y) for x, y, whole in zip(a, b, _WHOLE_GRAIN, strict=True))
