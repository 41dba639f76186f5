"""Public pages: thin views that parse input, call a selector and render."""

import hashlib
from calendar import timegm
from functools import wraps

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from . import charts, exports, feeds, jurisdictions, languages, selectors, wording
from .caching import cache_public_page
from .choices import PublishedRequestType
from .filters import (
    BandFilter,
    CountryPageFilter,
    FigureRowFilter,
    PauseRegisterFilter,
    PublishedRowFilter,
)
from .models import DataRequest, PauseDecision

TYPE_LABELS = dict(DataRequest.RequestType.choices)
# A published row's type: the request types, and "all" (an imported report that did not split them).
PUBLISHED_TYPE_LABELS = dict(PublishedRequestType.choices)


def read_only_page(view):
    """GET and HEAD only: any other method is a 405, not the CSRF failure page (nothing here
    takes input, so there is no form to protect)."""
    return csrf_exempt(require_safe(view))


def language_neutral(view):
    """A /data/ file: one address, without a language prefix (under one it does not exist), and
    the same bytes whatever the reader's language (codes and English names)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if languages.split(request.path_info)[0] != settings.LANGUAGE_CODE:
            raise Http404("The data files have no language prefix.")
        with translation.override(settings.LANGUAGE_CODE):
            return view(request, *args, **kwargs)

    return wrapped


def _data_url(name: str) -> str:
    """A /data/ file's address (the same in every language)."""
    return languages.data_path(name)


def _country_url(code: str, period: str | None = None) -> str:
    url = reverse("public:country", args=[code])
    return url + (f"?{urlencode({'period': period})}" if period else "")


def _float(value) -> float | None:
    return None if value is None else float(value)


def _period_bars(trend: list[selectors.PeriodFigures], shares: dict | None = None) -> list[charts.PeriodBar]:
    """Bars per period; with ``shares`` (see selectors.shares_by_coverage) the paused types'
    share is drawn apart from the other types'."""
    bars = []
    for item in trend:
        stacks = {t: item.figures.by_type[t] for t in PUBLISHED_TYPE_LABELS if t in item.figures.by_type}
        if shares is None:
            share = _float(item.figures.percent_with_data_produced)
            bars.append(charts.PeriodBar(item.period, stacks, share))
        else:
            paused, other = shares.get(item.period, (None, None))
            bars.append(charts.PeriodBar(item.period, stacks, _float(other), _float(paused)))
    return bars


def _pause_bands(decisions) -> list[charts.PauseBand]:
    return [
        charts.PauseBand(
            d.effective_from,
            d.ended_on,
            _("%(status)s from %(date)s") % {"status": d.status_label, "date": d.effective_from.isoformat()},
            d.status,
        )
        for d in decisions
        if d.status in PauseDecision.HOLDING_STATUSES or d.ended_on
    ]


@read_only_page
@cache_public_page()
def overview(request):
    today = timezone.localdate()
    context = selectors.overview(today=today)
    publication = context["publication"]
    if publication is not None:
        pauses = {str(p.country): p for p in context["current_pauses"]}
        context["trend_chart"] = charts.period_chart(
            _period_bars(context["trend"]),
            title=_("Requests per half-year by type, and the share with data produced"),
        )
        entries = [
            charts.MapEntry(
                row.code,
                row.name,
                row.figures.requests,
                _country_url(row.code, publication.period),
                pauses[row.code].status_label if row.code in pauses else "",
                pauses[row.code].status if row.code in pauses else "",
            )
            for row in context["countries"]
        ]
        context["unmapped"] = charts.unmapped(entries)
        context["world_map"] = charts.world_map(
            entries,
            title=_("Requests by country, %(period)s") % {"period": publication.period},
        )
        context["top_countries"] = sorted(context["countries"], key=lambda r: -r.figures.requests)[:10]
    return render(request, "requests_app/overview.html", context)


@read_only_page
@cache_public_page(CountryPageFilter.base_filters)
def country_list(request):
    periods = selectors.published_periods()
    products = [(product.code, product.name) for product in selectors.product_list()] if periods else []
    filterset = CountryPageFilter(
        request.GET, queryset=selectors.latest_figure_rows(), periods=periods, products=products
    )
    if periods and not filterset.is_valid():
        return render(
            request, "requests_app/countries.html", {"filter": filterset, "periods": periods}, status=400
        )
    rows, download, product_name = [], None, None
    if periods:
        product_name = dict(products).get(filterset.form.cleaned_data.get("product"))
        rows = filterset.sorted_rows(selectors.country_figures(filterset.qs))
        pauses = selectors.current_pauses_by_country(today=timezone.localdate())
        for row in rows:
            row.pause = pauses.get(row.code)
        cleaned = filterset.form.cleaned_data
        params = [("period", cleaned["period"])]
        for name in ("request_type", "product"):
            if cleaned.get(name):
                params.append((name, cleaned[name]))
        codes = filterset.matching_codes
        if codes is not None:
            params.append(("country", ",".join(row.code for row in rows) or "none"))
        download = _data_url("public:requests-csv") + "?" + urlencode(params) if rows else None
    return render(
        request,
        "requests_app/countries.html",
        {
            "filter": filterset,
            "rows": rows,
            "periods": periods,
            "download_url": download,
            "sort_links": _sort_links(filterset.form.cleaned_data) if rows else [],
            "product_name": product_name,
        },
    )


# Column headers of /countries/: (sort column, header, numeric). Names sort A–Z first, figures
# largest first; clicking the sorted column again reverses it.
_SORT_HEADERS = [
    ("name", gettext_lazy("Country"), False),
    ("requests", gettext_lazy("Requests"), True),
    ("accounts", gettext_lazy("Accounts specified"), True),
    ("percent", gettext_lazy("% with data produced"), True),
    ("during_pause", gettext_lazy("Received during a pause"), True),
]


def _sort_links(cleaned: dict) -> list[dict]:
    """Header links that keep the period, type, product and search of the table and set its order."""
    current = cleaned.get("sort") or "name"
    kept = [(name, cleaned[name]) for name in ("period", "request_type", "product", "q") if cleaned.get(name)]
    links = []
    for column, label, numeric in _SORT_HEADERS:
        first = f"-{column}" if numeric else column
        target = ("" if first.startswith("-") else "-") + column if current == first else first
        links.append(
            {
                "label": label,
                "numeric": numeric,
                "url": reverse("public:countries") + "?" + urlencode([*kept, ("sort", target)]),
                "current": ""
                if current.lstrip("-") != column
                else ("descending" if current.startswith("-") else "ascending"),
            }
        )
    return links


@read_only_page
@cache_public_page()
def country_detail(request, code: str):
    if code.upper() != code and jurisdictions.is_code(code.upper()):
        return redirect(_country_url(code.upper()), permanent=True)
    if not jurisdictions.is_code(code):
        raise Http404("No such country code.")
    name = jurisdictions.name(code)
    trend = selectors.period_trend(country=code)
    register = selectors.pause_register_entries(country=code)
    decisions = [entry.decision for entry in register]
    by_type = selectors.period_type_rows(country=code) if trend else []
    breakdowns = selectors.country_breakdowns(country=code) if trend else None
    # The decision in force comes first, with what it meant; its types' share is drawn apart.
    # "In force" as everywhere else: a holding status, started by today (not an assessment).
    in_force = selectors.current_pauses_by_country(today=timezone.localdate()).get(code)
    current = next((entry for entry in register if in_force and entry.decision.pk == in_force.pk), None)
    covered = current.decision.covered_request_types if current else []
    shares = selectors.shares_by_coverage(by_type, covered) if current and trend else None
    return render(
        request,
        "requests_app/country.html",
        {
            "code": code,
            "name": name,
            "trend": list(reversed(trend)),
            "by_type": by_type,
            "breakdowns": breakdowns,
            "register": register,
            "current": current,
            "headline": selectors.pause_headline(decision=current.decision, trend=trend) if current else None,
            "ever_paused": bool(register),
            "reasons": selectors.country_reasons(country=code) if trend else ([], []),
            "reason_labels": dict(DataRequest.OutcomeReason.choices),
            "chart": charts.period_chart(
                _period_bars(trend, shares),
                title=_("%(name)s: requests per half-year and share with data produced") % {"name": name},
                bands=_pause_bands(decisions),
                paused_label=wording.listed(str(TYPE_LABELS[t]).lower() for t in covered) if shares else "",
            )
            if trend
            else "",
            "type_labels": PUBLISHED_TYPE_LABELS,
            **_national_security(code, name),
        },
    )


def _national_security(code: str, name: str) -> dict:
    """The country page's national-security section: bands per period and their chart."""
    periods = selectors.country_bands(country=code, today=timezone.localdate())
    if not periods:
        return {"ns_periods": []}
    categories = selectors.national_security_categories()
    ranges = [
        charts.BandRange(item.period, band.category.name, band.accounts_min, band.accounts_max)
        for item in periods
        for band in item.bands
    ]
    return {
        "ns_periods": periods,
        "ns_categories": categories,
        "ns_chart": charts.band_chart(
            ranges,
            categories=[c.name for c in categories],
            title=_("%(name)s: accounts named in national-security process per half-year, in bands")
            % {"name": name},
        ),
    }


@read_only_page
@cache_public_page()
def pause_register(request):
    entries = selectors.pause_register_entries()
    return render(
        request,
        "requests_app/paused.html",
        {
            "current": [e for e in entries if e.is_current],
            "past": [e for e in entries if not e.is_current],
            "timeline": _timeline(entries),
            "timeline_rows": _by_jurisdiction(entries),
        },
    )


def _by_jurisdiction(entries: list[selectors.RegisterEntry]) -> list[selectors.RegisterEntry]:
    return sorted(entries, key=lambda e: (e.decision.country.name, e.decision.effective_from))


def _timeline(entries: list[selectors.RegisterEntry]):
    ordered = sorted(entries, key=lambda e: (e.decision.effective_from, e.decision.country.name))
    bars = [
        charts.TimelineBar(
            jurisdiction=entry.decision.country.name,
            start=entry.decision.effective_from,
            end=entry.end_or_today,
            open_ended=entry.decision.ended_on is None,
            status=entry.decision.status,
            label=_timeline_label(entry),
            url=f"#{entry.decision.public_anchor}",
        )
        for entry in ordered
    ]
    statuses = dict.fromkeys(entry.decision.status for entry in ordered)
    legend = [(status, PauseDecision.label_of(status)) for status in statuses]
    return charts.pause_timeline(bars, title=_("Every published decision over time"), legend=legend)


def _timeline_label(entry: selectors.RegisterEntry) -> str:
    """A timeline bar's text: "Hong Kong: Paused from 6 July 2020, in force (4 years 5 months)"."""
    decision, fmt = entry.decision, wording.long_date_format()
    values = {
        "name": decision.country.name,
        "status": decision.status_label,
        "start": date_filter(decision.effective_from, fmt),
        "duration": entry.duration,
    }
    if decision.ended_on:
        values["end"] = date_filter(decision.ended_on, fmt)
        return _("%(name)s: %(status)s from %(start)s to %(end)s (%(duration)s)") % values
    return _("%(name)s: %(status)s from %(start)s, in force (%(duration)s)") % values


@read_only_page
@cache_public_page()
def methodology(request):
    return render(
        request,
        "requests_app/methodology.html",
        {
            "type_labels": TYPE_LABELS,
            "bodies": selectors.international_bodies(),
            "legal_processes": selectors.legal_process_list(),
            "products": selectors.product_list(),
            "ns_categories": selectors.national_security_categories(),
        },
    )


# =============================================================================================
# Open data: /data/ (documentation and downloads) and the CSV / JSON endpoints.
# =============================================================================================


def _validators(state: selectors.DataState, variant: str) -> tuple[str, int | None]:
    """Strong ETag for one representation (state of the data + normalised query + format)."""
    digest = hashlib.sha256(f"{state.fingerprint}|{variant}".encode()).hexdigest()[:32]
    last_modified = timegm(state.last_modified.utctimetuple()) if state.last_modified else None
    return quote_etag(digest), last_modified


def _with_validators(response, etag: str, last_modified: int | None):
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # Caches may keep the files but must ask again each time: a re-publication shows at once,
    # and asking again costs a 304.
    patch_cache_control(response, public=True, no_cache=True)
    return response


def _conditional_export(request, *, state, variant: str, build):
    etag, last_modified = _validators(state, variant)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return _with_validators(not_modified, etag, last_modified)
    return _with_validators(build(), etag, last_modified)


@read_only_page
@cache_public_page()
def data_index(request):
    earlier: dict[str, list] = {}
    latest = []
    for publication in selectors.all_publications():  # newest version of each period first
        if publication.period in earlier:
            earlier[publication.period].append(publication)
        else:
            earlier[publication.period] = []
            latest.append(publication)
    return render(
        request,
        "requests_app/data.html",
        {
            "periods": [{"current": p, "earlier": earlier[p.period]} for p in latest],
            "example_period": latest[0].period if latest else "2020-H2",
            "figure_columns": exports.FIGURE_COLUMNS,
            "pause_columns": exports.PAUSE_COLUMNS,
            "reason_columns": exports.REASON_COLUMNS,
            "band_columns": exports.BAND_COLUMNS,
            "licence": exports.LICENCE,
            "licence_url": exports.LICENCE_URL,
            "schema_version": exports.SCHEMA_VERSION,
        },
    )


def _export(request, *, fmt: str, name: str, filterset, state, fields, record, **envelope):
    """One /data/ download: validate the filters (400 with the reason), then answer
    conditionally with the CSV or JSON of the filtered records."""
    if not filterset.is_valid():
        return exports.bad_request(filterset.errors, as_json=fmt == "json")
    variant = f"{name}.{fmt}|{sorted(filterset.form.cleaned_data.items())}"

    def build():
        records = [record(obj) for obj in filterset.qs]
        filename = exports.download_name(name, filterset.form.cleaned_data, fmt)
        if fmt == "csv":
            return exports.csv_response(fields, records, filename=filename)
        envelope_values = {key: make() for key, make in envelope.items()}
        return exports.json_response(records, filename=filename, **envelope_values)

    return _conditional_export(request, state=state, variant=variant, build=build)


@read_only_page
@cache_public_page(FigureRowFilter.base_filters, strict=True)
@language_neutral
def requests_data(request, fmt: str):
    """Published figures, latest version of each period unless ``version`` is given."""
    filterset = FigureRowFilter(request.GET, queryset=selectors.published_figure_rows())
    return _published_rows_export(
        request, fmt, "requests", filterset, exports.FIGURE_FIELDS, exports.figure_record
    )


def _published_rows_export(request, fmt: str, name: str, filterset, fields, record):
    """A file of rows of publications (figures, outcome reasons, bands): validated by the
    publications' state, its JSON saying which publications it was made from."""
    return _export(
        request,
        fmt=fmt,
        name=name,
        filterset=filterset,
        state=selectors.figures_state(),
        fields=fields,
        record=record,
        generated_from=lambda: _publications_of(filterset),
    )


def _publications_of(filterset) -> list[dict]:
    """The publications a figures file was made from (its JSON's ``generated_from``)."""
    publications = selectors.selected_publications(
        periods=filterset.selected_periods, version=filterset.selected_version
    )
    return [exports.publication_record(p) for p in publications]


@read_only_page
@cache_public_page(PublishedRowFilter.base_filters, strict=True)
@language_neutral
def outcomes_data(request, fmt: str):
    """Published outcome-reason counts: the filters of every published file (they are counted per
    request type, not per legal process or product), the latest version of each period."""
    filterset = PublishedRowFilter(request.GET, queryset=selectors.published_reason_rows())
    return _published_rows_export(
        request, fmt, "outcomes", filterset, exports.REASON_FIELDS, exports.reason_record
    )


@read_only_page
@cache_public_page(BandFilter.base_filters, strict=True)
@language_neutral
def national_security_data(request, fmt: str):
    """Published national-security bands (ranges, never counts), latest version of each period."""
    filterset = BandFilter(request.GET, queryset=selectors.published_bands())
    return _published_rows_export(
        request, fmt, "national_security", filterset, exports.BAND_FIELDS, exports.band_record
    )


@read_only_page
@cache_public_page(PauseRegisterFilter.base_filters, strict=True)
@language_neutral
def pauses_data(request, fmt: str):
    """Published pause decisions (the register); drafts never appear."""
    return _export(
        request,
        fmt=fmt,
        name="pauses",
        filterset=PauseRegisterFilter(request.GET, queryset=selectors.pause_register()),
        state=selectors.pause_register_state(),
        fields=exports.PAUSE_FIELDS,
        record=exports.pause_record,
    )


# =============================================================================================
# Atom feeds (requests_app/feeds.py): answered conditionally like the /data/ files, from the same
# validators, and cached per host (their links are absolute).
# =============================================================================================


def _feed(request, *, feed_class, state: selectors.DataState, **kwargs):
    # The representation depends on the address asked for (absolute links, tag URIs).
    variant = f"feed|{request.scheme}://{request.get_host()}{request.path}"
    feed = feed_class(state=state)
    return _conditional_export(request, state=state, variant=variant, build=lambda: feed(request, **kwargs))


@read_only_page
@cache_public_page()
def pause_register_feed(request):
    """Every public change of a published pause decision."""
    return _feed(request, feed_class=feeds.PauseRegisterFeed, state=selectors.pause_register_state())


@read_only_page
@cache_public_page()
def publications_feed(request):
    """Every published period and revision."""
    return _feed(request, feed_class=feeds.PublicationsFeed, state=selectors.figures_state())


@read_only_page
@cache_public_page()
def country_feed(request, code: str):
    """One jurisdiction's pause changes and the publications with figures for it."""
    if code.upper() != code and jurisdictions.is_code(code.upper()):
        return redirect(reverse("public:country-feed", args=[code.upper()]), permanent=True)
    if not jurisdictions.is_code(code):
        raise Http404("No such country code.")
    state = selectors.combined_state(selectors.pause_register_state(), selectors.figures_state())
    return _feed(request, feed_class=feeds.JurisdictionFeed, state=state, code=code)
