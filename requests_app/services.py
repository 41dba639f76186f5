"""Every write of the desk: keyword-only functions, one transaction each, audit trail recorded.

Admin ``save_model`` and actions, management commands, the importer and tests all call these
functions, so a rule lives in exactly one place.
"""


# =============================================================================================
# Publishing: report periods (immutable snapshots of aggregates) and pause decisions.
# =============================================================================================

from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402
from decimal import ROUND_HALF_UP, Decimal  # noqa: E402

from django.contrib.auth.models import AbstractBaseUser  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.db import IntegrityError, transaction  # noqa: E402
from django.db.models import Count, Exists, OuterRef, Q, Sum, Value  # noqa: E402
from django.utils import timezone  # noqa: E402

from .db import DaysBetween, Median  # noqa: E402
from .models import DataRequest, FigureRow, PauseDecision, Publication  # noqa: E402
from .periods import Period  # noqa: E402


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


def _require_ended(period: Period, today: date | None) -> None:
    today = today or timezone.localdate()
    if not period.has_ended(today):
        raise ValidationError(
            f"{period.label} has not ended yet: it runs until {period.end.isoformat()}, so it can be "
            f"published from {(period.next().start).isoformat()} on.",
            code="period_not_ended",
        )


def _publication_create(
    *, period: Period, source: str, by: AbstractBaseUser | None, note: str
) -> Publication:
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
        published_by=by if by is not None and by.is_authenticated else None,
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
    *, period: Period | str, by: AbstractBaseUser | None = None, note: str = "", today: date | None = None
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
    publication = _publication_create(period=period, source=Publication.Source.COMPUTED, by=by, note=note)
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
def figures_import(
    *, figures: list[ImportedFigure], by: AbstractBaseUser | None = None, note: str = ""
) -> list[Publication]:
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
        publication = _publication_create(period=period, source=Publication.Source.IMPORTED, by=by, note=note)
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


def _pause_set_published(
    *, decision: PauseDecision, by: AbstractBaseUser | None, published: bool
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
        decision.published_at = timezone.now()
    decision.version += 1
    decision._history_user = by if by is not None and by.is_authenticated else None
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def pause_publish(*, decision: PauseDecision, by: AbstractBaseUser | None = None) -> PauseDecision:
    """Show a pause decision on the public register (idempotent); needs a public statement."""
    return _pause_set_published(decision=decision, by=by, published=True)


@transaction.atomic
def pause_unpublish(*, decision: PauseDecision, by: AbstractBaseUser | None = None) -> PauseDecision:
    """Withdraw a pause decision from the public register (idempotent)."""
    return _pause_set_published(decision=decision, by=by, published=False)
