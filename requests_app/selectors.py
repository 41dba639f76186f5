"""Every read the public side makes goes through here: the single visibility gate.

Public code never touches ``DataRequest`` or ``PauseDecision.objects`` directly; it reads
published ``Publication`` snapshots and published pause decisions only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import jurisdictions, languages, wording
from .bands import reportable_from
from .choices import OutcomeReason
from .models import (
    PUBLIC_PAUSE_FIELDS,
    FigureRow,
    InternationalBody,
    LegalProcess,
    NationalSecurityBand,
    NationalSecurityCategory,
    OutcomeReasonRow,
    PauseDecision,
    Product,
    Publication,
    PublicState,
    RequestType,
)
from .numbers import percent
from .periods import Period, human_duration


@dataclass(frozen=True)
class Totals:
    requests: int
    accounts_specified: int | None  # None: some row did not report it (an old report)
    requests_with_data_produced: int | None


def latest_publications():
    """The latest version of every published period, newest period first."""
    latest_version = (
        Publication.objects.filter(period=OuterRef("period")).order_by("-version").values("version")[:1]
    )
    return Publication.objects.filter(version=Subquery(latest_version)).order_by("-period")


def latest_publication() -> Publication | None:
    """The latest version of the most recent published period, or None."""
    return latest_publications().first()


def publication_totals(publication: Publication) -> Totals:
    """Global totals of one publication; a count some row did not report is None, not a partial sum."""
    sums = FigureRow.objects.filter(publication=publication).aggregate(
        requests=Sum("requests"),
        accounts=Sum("accounts_specified"),
        produced=Sum("requests_with_data_produced"),
        unknown_accounts=_UNKNOWN_ACCOUNTS,
        unknown_produced=_UNKNOWN_PRODUCED,
    )
    return Totals(
        sums["requests"] or 0,
        None if sums["unknown_accounts"] else sums["accounts"] or 0,
        None if sums["unknown_produced"] else sums["produced"] or 0,
    )


def international_bodies() -> list[InternationalBody]:
    """The international bodies publishers added, by name: their names and descriptions are public."""
    return list(InternationalBody.objects.order_by("name"))


def published_pauses():
    """Pause decisions the public may see."""
    return PauseDecision.objects.published()


def current_published_pauses():
    """Published decisions that are still open (no end date)."""
    return published_pauses().filter(ended_on__isnull=True).order_by("country")


def last_pause_change():
    """When the published register last changed for a visitor (internal edits do not count)."""
    return published_pauses().aggregate(last=Max("public_changed_at"))["last"]


# =============================================================================================
# Published figures and the pause register, as the /data/ API and its page read them.
# Every publication is public by construction (a Publication exists only once published); pause
# decisions are public only while ``is_published``.
# =============================================================================================


@dataclass(frozen=True)
class DataState:
    """What a public data resource depends on: its validators for conditional requests."""

    fingerprint: str
    last_modified: datetime.datetime | None


def combined_state(*states: DataState) -> DataState:
    """Validators of a resource built from several (a jurisdiction's feed: its pause decisions
    and the publications): it changes when any of them does."""
    dates = [state.last_modified for state in states if state.last_modified is not None]
    return DataState("|".join(state.fingerprint for state in states), max(dates, default=None))


def published_periods() -> list[str]:
    """Labels of every published period, newest first."""
    return list(Publication.objects.order_by("-period").values_list("period", flat=True).distinct())


def publication_versions(period: str) -> list[int]:
    """The published versions of one period, oldest first."""
    return list(
        Publication.objects.filter(period=period).order_by("version").values_list("version", flat=True)
    )


def all_publications():
    """Every publication, every version, newest period and version first (the version history)."""
    return Publication.objects.order_by("-period", "-version")


def selected_publications(*, periods: list[str] | None = None, version: int | None = None):
    """The latest version of each requested period (all periods when none are given), or the
    given ``version`` of them."""
    publications = Publication.objects.all() if version else latest_publications()
    if periods:
        publications = publications.filter(period__in=periods)
    if version:
        publications = publications.filter(version=version)
    return publications.order_by("period")


def published_figure_rows():
    """Figure rows of every publication (every version); narrow with ``latest_figure_rows`` or a
    publication filter before showing them."""
    return FigureRow.objects.select_related("publication").order_by(
        "publication__period", "country", "request_type"
    )


def published_reason_rows():
    """Outcome-reason counts of every publication (every version); the /data/ filters narrow
    them to the latest version of each period, as for the figures."""
    return OutcomeReasonRow.objects.select_related("publication").order_by(
        "publication__period", "country", "request_type", "outcome_reason"
    )


def latest_figure_rows():
    """Figure rows of the latest version of every published period."""
    return published_figure_rows().filter(publication__in=latest_publications())


def figures_state() -> DataState:
    """Validators of the published figures: they change exactly when a publication is added."""
    state = Publication.objects.aggregate(count=Count("pk"), last_id=Max("pk"), last=Max("published_at"))
    return DataState(f"{state['count']}.{state['last_id']}", state["last"])


@dataclass(frozen=True)
class PublicationEntry:
    """One publication (a period's version) as the feeds announce it: never who published it."""

    period: str
    version: int
    source: str
    published_at: datetime.datetime
    note: str
    requests: int  # in its figure rows (of one jurisdiction, for a jurisdiction's feed)
    jurisdictions: int  # with figure rows in it


def publication_entries(*, country: str | None = None) -> list[PublicationEntry]:
    """Every publication, every version, newest first, with its request total: of ``country``
    and only the publications in which it has figures, when given. One query."""
    rows = Q(rows__country=country) if country else Q()
    publications = Publication.objects.annotate(
        figure_rows=Count("rows", filter=rows),
        requests=Sum("rows__requests", filter=rows, default=0),
        jurisdictions=Count("rows__country", filter=rows, distinct=True),
    )
    if country:
        publications = publications.filter(figure_rows__gt=0)
    fields = ("period", "version", "source", "published_at", "note", "requests", "jurisdictions")
    return [
        PublicationEntry(**values)
        for values in publications.order_by("-published_at", "-period", "-version").values(*fields)
    ]


def pause_register():
    """Published pause decisions for export, by country and date."""
    return published_pauses().order_by("country", "effective_from")


def pause_register_state() -> DataState:
    """Validators of the public register, from the public-change stamps of the decisions (see
    ``PauseDecision.save``), never from updated_at or version: an internal-only edit (rationale,
    review date, trigger, who decided) moves neither, so the validators do not tell outsiders
    when the desk works on a decision. A decision that was ever public keeps its stamp after a
    withdrawal, so Last-Modified moves forward then too; drafts never published have none."""
    state = PauseDecision.objects.filter(Q(is_published=True) | Q(public_changed_at__isnull=False)).aggregate(
        count=Count("pk", filter=Q(is_published=True)),
        last=Max("public_changed_at"),
        revisions=Sum("public_revision"),
    )
    return DataState(f"{state['count']}.{state['revisions']}.{state['last']}", state["last"])


# =============================================================================================
# The report pages: overview, countries, a country, the pause register.
# Figures come from the latest version of each published period only; pauses from published
# decisions only, and their history only from the versions that were public.
# =============================================================================================

PRESERVATION = RequestType.PRESERVATION.value
# PUBLIC_PAUSE_FIELDS (imported from models, its one home): the fields a visitor sees of a decision.


def _plus(total: int | None, value: int | None) -> int | None:
    """A sum in which one unknown (None: not reported) makes the whole unknown."""
    return None if total is None or value is None else total + value


@dataclass
class Figures:
    """Summed figures of some rows. A count that one of the rows did not report (an old report)
    is None ("not reported"), never a partial sum. The produced share leaves out preservation
    requests, which ask to keep data, not to disclose it; it is computed from the counts when
    every row behind it has them, and is an old report's percentage as published when it comes
    from exactly one such row."""

    requests: int = 0
    accounts_specified: int | None = 0
    requests_with_data_produced: int | None = 0
    disclosure_requests: int = 0  # requests other than preservation: the share's denominator
    disclosure_produced: int | None = 0  # ... and those of them with data produced: its numerator
    disclosure_rows: int = 0  # figure rows behind the share
    percent_as_published: Decimal | None = None  # of the one row behind the share, if it gave one
    requests_received_during_pause: int | None = 0
    requests_produced_under_pause_exception: int | None = 0
    rows: int = 0  # figure rows summed
    by_type: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, row: dict) -> Figures:
        """The figures of one row of ``_rows`` (which may sum several figure rows)."""
        disclosure = row["request_type"] != PRESERVATION
        return cls(
            requests=row["requests"],
            accounts_specified=row["accounts"],
            requests_with_data_produced=row["produced"],
            disclosure_requests=row["requests"] if disclosure else 0,
            disclosure_produced=row["produced"] if disclosure else 0,
            disclosure_rows=row["rows"] if disclosure else 0,
            percent_as_published=row["published_percent"] if disclosure and row["rows"] == 1 else None,
            # Imported historical figures carry no pause columns: unknown stays unknown.
            requests_received_during_pause=row["during_pause"],
            requests_produced_under_pause_exception=row["under_exception"],
            rows=row["rows"],
            by_type={row["request_type"]: row["requests"]},
        )

    def add(self, row: dict) -> None:
        self.merge(Figures.of(row))

    def merge(self, other: Figures) -> None:
        """Add ``other``'s figures to these."""
        self.requests += other.requests
        self.disclosure_requests += other.disclosure_requests
        for name in (
            "accounts_specified",
            "requests_with_data_produced",
            "disclosure_produced",
            "requests_received_during_pause",
            "requests_produced_under_pause_exception",
        ):
            setattr(self, name, _plus(getattr(self, name), getattr(other, name)))
        if not self.disclosure_rows:
            self.percent_as_published = other.percent_as_published
        elif other.disclosure_rows:
            self.percent_as_published = None  # a percentage of one row says nothing of several
        self.disclosure_rows += other.disclosure_rows
        self.rows += other.rows
        for request_type, requests in other.by_type.items():
            self.by_type[request_type] = self.by_type.get(request_type, 0) + requests

    @property
    def percent_with_data_produced(self) -> Decimal | None:
        if self.disclosure_rows == 1 and self.percent_as_published is not None:
            return self.percent_as_published
        if self.disclosure_produced is None:
            return None
        return percent(self.disclosure_produced, self.disclosure_requests)


# SUM ignores NULLs; counting them tells "not reported" apart from a partial sum or 0.
_UNKNOWN_ACCOUNTS = Count("pk", filter=Q(accounts_specified__isnull=True))
_UNKNOWN_PRODUCED = Count("pk", filter=Q(requests_with_data_produced__isnull=True))
_SUMS = {
    "requests": Sum("requests"),
    "accounts": Sum("accounts_specified"),
    "produced": Sum("requests_with_data_produced"),
    "during_pause": Sum("requests_received_during_pause"),
    "under_exception": Sum("requests_produced_under_pause_exception"),
    "rows": Count("pk"),
    "unknown_accounts": _UNKNOWN_ACCOUNTS,
    "unknown_produced": _UNKNOWN_PRODUCED,
    "unknown_pause": Count("pk", filter=Q(requests_received_during_pause__isnull=True)),
    # Meaningful only for a group of one row (see Figures.of).
    "published_percent": Max("percent_as_published"),
}


def _rows(queryset, *group_by: str, **extra):
    """Figure rows summed per ``group_by`` and request type; a sum over a row that did not
    report the count is None."""
    for row in (
        queryset.values(*group_by, "request_type")
        .annotate(**_SUMS, **extra)
        .order_by(*group_by, "request_type")
    ):
        if row["unknown_accounts"]:
            row["accounts"] = None
        if row["unknown_produced"]:
            row["produced"] = None
        if row["unknown_pause"]:
            row["during_pause"] = row["under_exception"] = None
        yield row


@dataclass
class PeriodFigures:
    period: str
    figures: Figures
    publication: Publication | None = None

    @property
    def period_obj(self) -> Period:
        return Period.parse(self.period)


def period_trend(*, country: str | None = None) -> list[PeriodFigures]:
    """Figures per published period (latest versions), oldest first; of one country if given."""
    rows = FigureRow.objects.filter(publication__in=latest_publications())
    if country:
        rows = rows.filter(country=country)
    by_period: dict[str, PeriodFigures] = {}
    for row in _rows(rows, "publication__period"):
        label = row["publication__period"]
        by_period.setdefault(label, PeriodFigures(label, Figures())).figures.add(row)
    return [by_period[label] for label in sorted(by_period)]


def overview(*, today: datetime.date) -> dict:
    """Everything the overview page shows, in a fixed number of queries."""
    publications = list(latest_publications())  # newest first
    if not publications:
        return {"publication": None, "current_pauses": list(current_public_pauses(today=today))}
    latest = publications[0]
    trend = period_trend()
    for item in trend:
        item.publication = next(p for p in publications if p.period == item.period)
    current = trend[-1]
    previous = trend[-2] if len(trend) > 1 else None
    return {
        "publication": latest,
        "current": current,
        "previous": previous,
        "trend": trend,
        "countries": country_table(publication=latest),
        "current_pauses": list(current_public_pauses(today=today)),
    }


@dataclass
class CountryRow:
    code: str
    name: str
    figures: Figures
    pause: PauseDecision | None = None  # a published decision in force today, if any


def country_table(*, publication: Publication, request_type: str | None = None) -> list[CountryRow]:
    """One publication's figures per country (all request types, or one), by country name."""
    rows = FigureRow.objects.filter(publication=publication)
    if request_type:
        rows = rows.filter(request_type=request_type)
    return country_figures(rows)


def country_figures(rows) -> list[CountryRow]:
    """Figure rows summed per country, by country name."""
    by_country: dict[str, CountryRow] = {}
    for row in _rows(rows, "country"):
        code = row["country"]
        if code not in by_country:
            by_country[code] = CountryRow(code, jurisdictions.name(code), Figures())
        by_country[code].figures.add(row)
    return sorted(by_country.values(), key=lambda r: r.name)


def current_public_pauses(*, today: datetime.date):
    """Published decisions that hold or redirect requests today."""
    return published_pauses().in_force_on(today).order_by("country")


def current_pauses_by_country(*, today: datetime.date) -> dict[str, PauseDecision]:
    """Jurisdiction code -> its published decision in force today."""
    return {str(pause.country): pause for pause in current_public_pauses(today=today)}


def country_published_periods(code: str) -> bool:
    return FigureRow.objects.filter(country=code).exists()


@dataclass
class PublicChange:
    """One public version of a decision and what changed from the previous public version."""

    date: datetime.datetime
    changes: list[tuple[str, str, str]]  # (field label, old, new); empty for the first version
    status_label: str
    revision: int = 1  # 1 for the first public version, then 2, 3... (history only grows)
    changed_fields: list[str] = field(default_factory=list)  # the names behind ``changes``
    # What a visitor saw in this version: an unsaved decision holding only PUBLIC_PAUSE_FIELDS
    # (every other field is its empty default, never the stored value).
    snapshot: PauseDecision | None = None


@dataclass
class RegisterEntry:
    decision: PauseDecision
    changes: list[PublicChange]

    @property
    def first_public_anchor(self) -> str:
        """The decision's anchor as first published: what names it for good (the feeds' entry
        ids), where ``decision.public_anchor`` follows later changes of its country or start."""
        first = self.changes[0].snapshot if self.changes else self.decision
        return first.public_anchor

    @property
    def end_or_today(self) -> datetime.date:
        return self.decision.ended_on or timezone.localdate()

    @property
    def duration(self) -> str:
        """How long it has been (or was) in force: "4 years 5 months"."""
        return human_duration(self.decision.effective_from, self.end_or_today)

    @property
    def is_current(self) -> bool:
        return self.decision.ended_on is None or self.decision.ended_on >= timezone.localdate()


# How the public history of a decision names each public field ("Ended on: — → 2021-01-01"): the
# fields' names, translated here because the model's field names are the desk's (a field missing
# here is named by its verbose name).
PUBLIC_PAUSE_FIELD_LABELS = {
    "country": _("country"),
    "status": _("status"),
    "covers_legal_process": _("covers legal process"),
    "covers_emergency": _("covers emergency"),
    "covers_preservation": _("covers preservation"),
    "holds_pending": _("holds pending"),
    "effective_from": _("effective from"),
    "ended_on": _("ended on"),
    "public_statement": _("public statement"),
    "statement_language": _("statement language"),
    "statement_url": _("statement url"),
    "exceptions_policy": _("exceptions policy"),
}


# Public fields whose values the desk writes as text (shown as written, in English).
FREE_TEXT_PAUSE_FIELDS = frozenset({"public_statement", "statement_url", "exceptions_policy"})


def _display(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return wording.yes_no(value)
    if name == "status":
        return str(PauseDecision.label_of(value))  # as the public reads it everywhere
    if name == "country":
        return jurisdictions.name(str(value))
    if name == "statement_language":
        return languages.name(value)
    if name in FREE_TEXT_PAUSE_FIELDS:
        return wording.KeptInEnglish(value)
    return str(value)


def _public_diffs(previous, record, labels: dict[str, str]) -> list[tuple[str, tuple[str, str, str]]]:
    """(field name, (label, old, new)) of each public field two versions differ in; a statement's
    translations one language at a time, so the history covers each language."""
    diffs = []
    for name in PUBLIC_PAUSE_FIELDS:
        old, new = getattr(previous, name), getattr(record, name)
        if old == new:
            continue
        if name == "statement_translations":
            old, new = old or {}, new or {}
            for code in sorted(set(old) | set(new)):
                if old.get(code) != new.get(code):
                    label = f"{labels['public_statement']} ({languages.name(code)})"
                    shown = _display(name, old.get(code)), _display(name, new.get(code))
                    diffs.append((name, (label, *shown)))
        else:
            diffs.append((name, (labels[name], _display(name, old), _display(name, new))))
    return diffs


def pause_register_entries(*, country: str | None = None) -> list[RegisterEntry]:
    """Published decisions with the public history of each: only versions that were published
    count, and only public fields are compared (internal rationale never appears)."""
    decisions = list(
        published_pauses()
        .filter(**({"country": country} if country else {}))
        .order_by("-effective_from", "country")
    )
    history = PauseDecision.history.model.objects.filter(
        id__in=[d.pk for d in decisions], is_published=True
    ).order_by("id", "history_date", "history_id")
    by_decision: dict[int, list] = {}
    for record in history.only("id", "history_date", *PUBLIC_PAUSE_FIELDS):
        by_decision.setdefault(record.id, []).append(record)
    return [RegisterEntry(d, _public_changes(by_decision.get(d.pk, []))) for d in decisions]


_PAUSE_LABELS = {
    f.name: PUBLIC_PAUSE_FIELD_LABELS.get(f.name, f.verbose_name) for f in PauseDecision._meta.fields
}


def _public_changes(records) -> list[PublicChange]:
    """The public versions among a decision's published history records (oldest first): the
    first, then each that differs from the one before in a public field."""
    changes, previous = [], None
    for record in records:
        named = _public_diffs(previous, record, _PAUSE_LABELS) if previous is not None else []
        if previous is not None and not named:
            continue  # an internal-only edit: nothing public changed
        changed, diffs = [name for name, _ in named], [diff for _, diff in named]
        snapshot = PauseDecision(**{name: getattr(record, name) for name in PUBLIC_PAUSE_FIELDS})
        changes.append(
            PublicChange(
                record.history_date,
                diffs,
                PauseDecision.label_of(record.status),
                revision=len(changes) + 1,
                changed_fields=changed,
                snapshot=snapshot,
            )
        )
        previous = record
    return changes


def public_state_token() -> str:
    """Changes whenever anything behind the public pages changes (see ``PublicState``): the page
    cache keys on it, so every process serves fresh pages at once without sharing memory. Read
    on every public request, hence a plain primary-key query (the ORM would spend longer
    compiling it than the database answering it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {PublicState._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else ""


@dataclass
class PeriodTypeRow:
    period: str
    request_type: str
    figures: Figures
    median_days: Decimal | None = None  # from receipt to decision, as published


def period_type_rows(*, country: str) -> list[PeriodTypeRow]:
    """A country's figures per published period and request type (latest versions), newest first."""
    rows = FigureRow.objects.filter(publication__in=latest_publications(), country=country)
    out = []
    # Every row of a (country, type) in a publication carries the same type median: Max is it.
    for row in _rows(rows, "publication__period", median_days=Max("type_median_days_to_decision")):
        period, request_type = row["publication__period"], row["request_type"]
        out.append(PeriodTypeRow(period, request_type, Figures.of(row), row["median_days"]))
    return sorted(out, key=lambda r: (r.period, r.request_type), reverse=True)


# --- A country's figures by legal process and by product -------------------------------------

NOT_BROKEN_DOWN = _("Not broken down")


@dataclass
class BreakdownRow:
    """One entry of a managed list in one period (``code`` None: the figures not broken down
    by that list)."""

    code: str | None
    name: str
    position: int = 0
    figures: Figures = field(default_factory=Figures)
    row_median: Decimal | None = None  # of the last figure row added

    def add(self, row: dict) -> None:
        self.figures.add(row)
        self.row_median = row["median"]

    @property
    def median_days(self) -> Decimal | None:
        """The figure row's own median when the entry is one row; None when it sums several (a
        median of a whole is not derived from its parts; requests.csv has each row's)."""
        return self.row_median if self.figures.rows == 1 else None


@dataclass
class PeriodBreakdown:
    period: str
    rows: list[BreakdownRow]


@dataclass
class Breakdown:
    """A country's figures per published period by the entries of one managed list, newest first."""

    periods: list[PeriodBreakdown]

    @property
    def shows_medians(self) -> bool:
        return any(row.median_days is not None for item in self.periods for row in item.rows)


class _BreakdownTally:
    """Sums rows of ``_rows`` per period and entry of the list named ``key`` (legal_process, product)."""

    def __init__(self, key: str):
        self.key = key
        self.by_period: dict[str, dict[str | None, BreakdownRow]] = {}

    def add(self, row: dict) -> None:
        code = row[self.key]
        entries = self.by_period.setdefault(row["publication__period"], {})
        if code not in entries:
            name = row[f"{self.key}__name"] if code else NOT_BROKEN_DOWN
            entries[code] = BreakdownRow(code, name, row[f"{self.key}__position"] or 0)
        entries[code].add(row)

    def breakdown(self) -> Breakdown | None:
        """The periods broken down by the list; None unless one of them has several entries."""
        periods = []
        for period in sorted(self.by_period, reverse=True):
            entries = self.by_period[period]
            if any(code is not None for code in entries):
                ordered = sorted(entries.values(), key=lambda r: (r.code is None, r.position, r.name))
                periods.append(PeriodBreakdown(period, ordered))
        if not any(sum(row.code is not None for row in item.rows) > 1 for item in periods):
            return None
        return Breakdown(periods)


@dataclass
class CountryBreakdowns:
    legal_processes: Breakdown | None  # its legal-process requests by kind of legal process
    products: Breakdown | None  # all its requests by product


_BREAKDOWN_FIELDS = (
    "legal_process",
    "legal_process__name",
    "legal_process__position",
    "product",
    "product__name",
    "product__position",
)


def country_breakdowns(*, country: str) -> CountryBreakdowns:
    """A country's figures per published period (latest versions) by legal process and by
    product, where a period has more than one of them; names from the managed lists, in their
    order. One query, whatever the number of rows."""
    rows = FigureRow.objects.filter(publication__in=latest_publications(), country=country)
    processes, products = _BreakdownTally("legal_process"), _BreakdownTally("product")
    for row in _rows(rows, "publication__period", *_BREAKDOWN_FIELDS, median=Max("median_days_to_decision")):
        if row["request_type"] == RequestType.LEGAL_PROCESS:
            processes.add(row)
        products.add(row)
    return CountryBreakdowns(processes.breakdown(), products.breakdown())


def legal_process_list() -> list[LegalProcess]:
    """The managed list of legal processes, in its order (the methodology page)."""
    return list(LegalProcess.objects.order_by("position", "name"))


def product_list() -> list[Product]:
    """The managed list of products, in its order (the methodology page, the /countries/ filter)."""
    return list(Product.objects.order_by("position", "name"))


@dataclass(frozen=True)
class PeriodReasons:
    period: str
    counts: dict[str, int]  # outcome reason -> decided requests that recorded it


def country_reasons(*, country: str) -> tuple[list[str], list[PeriodReasons]]:
    """A country's decided requests by outcome reason per published period (latest versions),
    newest first, and the reasons that occur, in the choices' order."""
    by_period: dict[str, dict[str, int]] = {}
    rows = (
        OutcomeReasonRow.objects.filter(publication__in=latest_publications(), country=country)
        .values("publication__period", "outcome_reason")
        .annotate(total=Sum("requests"))
    )
    for row in rows:
        by_period.setdefault(row["publication__period"], {})[row["outcome_reason"]] = row["total"]
    present = {reason for counts in by_period.values() for reason in counts}
    reasons = [value for value in OutcomeReason.values if value in present]
    periods = sorted(by_period, reverse=True)
    return reasons, [PeriodReasons(p, {r: by_period[p].get(r, 0) for r in reasons}) for p in periods]


# --- A paused jurisdiction's page tells the pause story first ---------------------------------


@dataclass(frozen=True)
class PauseHeadline:
    """Requests received while a decision was in force and those answered under an exception,
    over the published periods it touches (None where imported history left them unknown)."""

    since: datetime.date
    received: int | None
    under_exception: int | None


def pause_headline(*, decision: PauseDecision, trend: list[PeriodFigures]) -> PauseHeadline:
    touched = [item.figures for item in trend if Period.parse(item.period).end >= decision.effective_from]

    def total(name: str) -> int | None:
        values = [getattr(figures, name) for figures in touched]
        return None if None in values else sum(values)

    return PauseHeadline(
        decision.effective_from,
        total("requests_received_during_pause"),
        total("requests_produced_under_pause_exception"),
    )


def shares_by_coverage(
    rows: list[PeriodTypeRow], covered: list[str]
) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """Per period: (% with data produced of the ``covered`` request types, % of the others)."""
    split: dict[str, tuple[Figures, Figures]] = {}
    for row in rows:
        paused, other = split.setdefault(row.period, (Figures(), Figures()))
        (paused if row.request_type in covered else other).merge(row.figures)
    return {
        period: (paused.percent_with_data_produced, other.percent_with_data_produced)
        for period, (paused, other) in split.items()
    }


# =============================================================================================
# National-security bands: ranges only, from published snapshots
# =============================================================================================


def published_bands():
    """National-security bands of every publication (every version); the /data/ filters narrow
    them to the latest version of each period."""
    return NationalSecurityBand.objects.select_related("publication", "category").order_by(
        "publication__period", "country", "category__position", "category__code"
    )


@dataclass(frozen=True)
class BandCell:
    """One category of one period: its published band, or why there is none yet (still within
    its delay until ``until``, or reportable since then and waiting for a re-publication)."""

    category: NationalSecurityCategory
    band: NationalSecurityBand | None
    until: datetime.date
    delayed: bool


@dataclass(frozen=True)
class PeriodBands:
    period: str
    cells: list[BandCell]  # in the categories' order

    @property
    def bands(self) -> list[NationalSecurityBand]:
        return [cell.band for cell in self.cells if cell.band is not None]


def country_bands(*, country: str, today: datetime.date) -> list[PeriodBands]:
    """A jurisdiction's published bands per period (latest versions), newest first, a cell for
    every category. Empty where it has none."""
    bands = list(published_bands().filter(country=country, publication__in=latest_publications()))
    if not bands:
        return []
    categories = list(NationalSecurityCategory.objects.all())
    published = {(band.publication.period, band.category_id): band for band in bands}
    out = []
    for label in sorted(set(published_periods()) | {period for period, _category in published}, reverse=True):
        period = Period.parse(label)
        cells = []
        for category in categories:
            until = reportable_from(period, category.delay_days)
            cells.append(BandCell(category, published.get((label, category.pk)), until, today < until))
        out.append(PeriodBands(label, cells))
    return out


def national_security_categories() -> list[NationalSecurityCategory]:
    return list(NationalSecurityCategory.objects.all())
