"""Publishing report periods: immutable snapshots of aggregates, computed or imported."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum, Value
from django.utils import timezone

from .. import rules
from ..db import DaysBetween, Median
from ..models import (
    DataRequest,
    FigureRow,
    NationalSecurityBand,
    NationalSecurityCategory,
    OutcomeReasonRow,
    PauseDecision,
    Publication,
)
from ..numbers import one_decimal
from ..periods import Period
from . import national_security


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
        held |= rules.HoldingScope.of(decision).covers_q() & Q(**dates)
    return held


def period_figures_queryset(*, period: Period, holds: list[PauseDecision]):
    """The figures of ``period`` per (country, request type, legal process, product), the finest
    grain the desk records, as ONE aggregate query.

    Counting rules (documented on /data/):
    - a request counts in the period in which it was received, whatever its state today;
    - ``n_produced``: outcome all_data or some_data, preservation requests aside (they keep data
      and disclose none, whatever an imported history recorded);
    - ``n_during_pause``: one of ``holds`` (see ``published_holds``) covering its type was in
      force for its country on the day it was received;
    - ``n_under_exception``: data produced, a pause exception recorded, and one of ``holds``
      covering its type was in force when it was received or when it was decided;
    - ``median_days``: median of decided_on - received_on over the completed requests.
    """
    preservation = Q(request_type=DataRequest.RequestType.PRESERVATION)
    produced = Q(outcome__in=DataRequest.PRODUCED_OUTCOMES) & ~preservation
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
        .values("country", "request_type", "legal_process", "product")
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
        .order_by("country", "request_type", "legal_process", "product")
    )


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


def _publication_create(
    *, period: Period, source: str, actor, note: str, first_note: str = ""
) -> Publication:
    """Create the next version of ``period``'s publication (caller holds the transaction).

    The first version takes ``first_note`` when no note is given; a later one needs a note."""
    note = (note or "").strip()
    # Lock the period's existing versions so two publishers cannot both take version N+1 unseen.
    published = list(
        Publication.objects.select_for_update().filter(period=period.label).values_list("version", flat=True)
    )
    problem = rules.revision_note_problem(period_label=period.label, published_versions=published, note=note)
    if problem:
        raise ValidationError(problem, code="revision_note_required")
    publication = Publication(
        period=period.label,
        version=max(published, default=0) + 1,
        source=source,
        published_at=timezone.now(),
        published_by=actor if actor is not None and actor.is_authenticated else None,
        note=note or ("" if published else first_note),
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
    today = today or timezone.localdate()
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
    type_medians = period_type_medians(period=period)
    FigureRow.objects.bulk_create(
        FigureRow(
            publication=publication,
            country=figure["country"],
            request_type=figure["request_type"],
            legal_process_id=figure["legal_process"],
            product_id=figure["product"],
            requests=figure["n_requests"],
            accounts_specified=figure["n_accounts"],
            requests_with_data_produced=figure["n_produced"],
            requests_received_during_pause=figure["n_during_pause"],
            requests_produced_under_pause_exception=figure["n_under_exception"],
            median_days_to_decision=one_decimal(figure["median_days"]),
            type_median_days_to_decision=type_medians.get((figure["country"], figure["request_type"])),
        )
        for figure in figures
    )
    OutcomeReasonRow.objects.bulk_create(
        OutcomeReasonRow(publication=publication, **reason) for reason in period_reasons(period=period)
    )
    national_security.bands_write(
        publication=publication, bands=national_security.period_bands(period=period, today=today)
    )
    return publication


def period_type_medians(*, period: Period) -> dict[tuple[str, str], Decimal | None]:
    """Median days from receipt to decision per (country, request type) over the completed
    requests of ``period``: one grouped query."""
    return {
        (row["country"], row["request_type"]): one_decimal(row["median_days"])
        for row in DataRequest.objects.filter(
            received_on__gte=period.start, received_on__lte=period.end, status=DataRequest.Status.COMPLETED
        )
        .order_by()
        .values("country", "request_type")
        .annotate(median_days=Median(DaysBetween("decided_on", "received_on")))
    }


def period_reasons(*, period: Period) -> list[dict]:
    """Decided requests of ``period`` by the reason recorded for their outcome, per (country,
    request type): one grouped query."""
    return list(
        DataRequest.objects.filter(
            received_on__gte=period.start, received_on__lte=period.end, status=DataRequest.Status.COMPLETED
        )
        .exclude(outcome_reason="")
        .order_by()
        .values("country", "request_type", "outcome_reason")
        .annotate(requests=Count("pk"))
        .order_by("country", "request_type", "outcome_reason")
    )


@dataclass(frozen=True)
class ImportedFigure:
    """One validated row of a historical figures file (see ``figures_import``). None: the report
    did not break the row down (legal process, product) or did not report the figure."""

    period: Period
    country: str
    request_type: str
    requests: int
    accounts_specified: int | None = None
    requests_with_data_produced: int | None = None
    percent_with_data_produced: Decimal | None = None
    legal_process: str | None = None
    product: str | None = None


def _imported_by_period(rows: list, *, what: str) -> dict[Period, list]:
    """Imported ``rows`` (each with a ``period``) by period; refused if any period was already
    published from request records, which an import would hide behind older numbers."""
    by_period: dict[Period, list] = {}
    for row in rows:
        by_period.setdefault(row.period, []).append(row)
    labels = [period.label for period in by_period]
    computed = sorted(
        Publication.objects.filter(period__in=labels, source=Publication.Source.COMPUTED)
        .values_list("period", flat=True)
        .distinct()
    )
    if computed:
        raise ValidationError(
            f"Already published from request records: {', '.join(computed)}. Imported {what} are for "
            "periods before this system; re-publish those periods instead.",
            code="period_computed",
        )
    return by_period


IMPORTED_FIRST_NOTE = "Figures imported from the report published before this system."


@transaction.atomic
def figures_import(*, figures: list[ImportedFigure], actor=None, note: str = "") -> list[Publication]:
    """Publish validated historical figures: one publication (source "imported") per period.

    Pause figures are unknown for such periods and stay blank. A period that already has figures
    computed from request records is refused: importing would hide them behind older numbers.
    """
    by_period = _imported_by_period(figures, what="figures")
    publications = []
    for period in sorted(by_period):
        _require_ended(period, None)
        previous = Publication.objects.filter(period=period.label).order_by("-version").first()
        publication = _publication_create(
            period=period,
            source=Publication.Source.IMPORTED,
            actor=actor,
            note=note,
            first_note=IMPORTED_FIRST_NOTE,
        )
        # The file replaces the period's figures; its national-security bands stay.
        national_security.bands_write(publication=publication, bands=_bands_of(previous))
        FigureRow.objects.bulk_create(
            FigureRow(
                publication=publication,
                country=figure.country,
                request_type=figure.request_type,
                legal_process_id=figure.legal_process,
                product_id=figure.product,
                requests=figure.requests,
                accounts_specified=figure.accounts_specified,
                requests_with_data_produced=figure.requests_with_data_produced,
                percent_as_published=figure.percent_with_data_produced,
                requests_received_during_pause=None,
                requests_produced_under_pause_exception=None,
            )
            for figure in by_period[period]
        )
        publications.append(publication)
    return publications


IMPORTED_BANDS_NOTE = "National-security bands imported from the report published before this system."


@transaction.atomic
def bands_import(
    *, bands: list[national_security.ImportedBand], actor=None, note: str = ""
) -> list[Publication]:
    """Publish banded national-security history as it was published: per period, the next
    version of its imported publication, carrying over that version's figures and bands and
    putting the file's bands in place of any for the same jurisdiction and category."""
    by_period = _imported_by_period(bands, what="bands")
    without_figures = sorted(
        {period.label for period in by_period} - set(Publication.objects.values_list("period", flat=True))
    )
    if without_figures:
        raise ValidationError(
            f"No figures are published for {', '.join(without_figures)}: import the period's figures "
            "first (bands go with a period's report, never alone).",
            code="bands_without_figures",
        )
    categories = {c.code: c for c in NationalSecurityCategory.objects.all()}
    publications = []
    for period in sorted(by_period):
        _require_ended(period, None)
        previous = Publication.objects.filter(period=period.label).order_by("-version").first()
        publication = _publication_create(
            period=period,
            source=Publication.Source.IMPORTED,
            actor=actor,
            note=note or (IMPORTED_BANDS_NOTE if previous else ""),
            first_note=IMPORTED_BANDS_NOTE,
        )
        replaced = {(band.country, band.category) for band in by_period[period]}
        carried = _carry_over(previous, publication, replaced_bands=replaced)
        national_security.bands_write(
            publication=publication,
            bands=carried
            + [
                {
                    "country": band.country,
                    "category": categories[band.category],
                    "requests_min": band.requests.low,
                    "requests_max": band.requests.high,
                    "accounts_min": band.accounts.low,
                    "accounts_max": band.accounts.high,
                }
                for band in by_period[period]
            ],
        )
        publications.append(publication)
    return publications


def _carry_over(
    previous: Publication | None, publication: Publication, *, replaced_bands=frozenset()
) -> list[dict]:
    """Copy ``previous``'s figure and reason rows into ``publication``; return its bands other
    than ``replaced_bands`` ((country, category code) pairs) for the caller to write."""
    if previous is None:
        return []
    for model in (FigureRow, OutcomeReasonRow):
        rows = list(model.objects.filter(publication=previous))
        for row in rows:
            row.pk, row.publication = None, publication
        model.objects.bulk_create(rows)
    return _bands_of(previous, leaving_out=replaced_bands)


def _bands_of(publication: Publication | None, *, leaving_out=frozenset()) -> list[dict]:
    """The bands of ``publication`` as NationalSecurityBand fields, but those of ``leaving_out``."""
    if publication is None:
        return []
    return [
        {
            "country": band.country,
            "category": band.category,
            "requests_min": band.requests_min,
            "requests_max": band.requests_max,
            "accounts_min": band.accounts_min,
            "accounts_max": band.accounts_max,
        }
        for band in NationalSecurityBand.objects.filter(publication=publication).select_related("category")
        if (band.country.code, band.category.code) not in leaving_out
    ]
