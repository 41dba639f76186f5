"""Public pages: thin views that parse input, call a selector and render."""

from django.shortcuts import render

from . import selectors


def overview(request):
    publication = selectors.latest_publication()
    totals = selectors.publication_totals(publication) if publication else None
    return render(
        request,
        "requests_app/overview.html",
        {
            "publication": publication,
            "totals": totals,
            "current_pauses": selectors.current_published_pauses(),
        },
    )


# =============================================================================================
# Open data: /data/ (documentation and downloads) and the CSV / JSON endpoints.
# =============================================================================================

import hashlib  # noqa: E402
from calendar import timegm  # noqa: E402

from django.utils.cache import get_conditional_response, patch_cache_control  # noqa: E402
from django.utils.http import http_date, quote_etag  # noqa: E402
from django.views.decorators.http import require_safe  # noqa: E402

from . import exports  # noqa: E402
from .filters import FigureRowFilter, PauseRegisterFilter  # noqa: E402


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
    response = not_modified if not_modified is not None else build()
    return _with_validators(response, etag, last_modified)


@require_safe
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
            "licence": exports.LICENCE,
            "licence_url": exports.LICENCE_URL,
            "schema_version": exports.SCHEMA_VERSION,
        },
    )


@require_safe
def requests_data(request, fmt: str):
    """Published figures, latest version of each period unless ``version`` is given."""
    filterset = FigureRowFilter(request.GET, queryset=selectors.published_figure_rows())
    if not filterset.is_valid():
        return exports.bad_request(filterset.errors, as_json=fmt == "json")
    variant = f"requests.{fmt}|{sorted(filterset.form.cleaned_data.items())}"

    def build():
        records = [exports.figure_record(row) for row in filterset.qs]
        if fmt == "csv":
            return exports.csv_response(exports.FIGURE_FIELDS, records, filename="requests.csv")
        publications = selectors.selected_publications(
            periods=filterset.selected_periods, version=filterset.selected_version
        )
        return exports.json_response(
            records, generated_from=[exports.publication_record(p) for p in publications]
        )

    return _conditional_export(request, state=selectors.figures_state(), variant=variant, build=build)


@require_safe
def pauses_data(request, fmt: str):
    """Published pause decisions (the register); drafts never appear."""
    filterset = PauseRegisterFilter(request.GET, queryset=selectors.pause_register())
    if not filterset.is_valid():
        return exports.bad_request(filterset.errors, as_json=fmt == "json")
    variant = f"pauses.{fmt}|{sorted(filterset.form.cleaned_data.items())}"

    def build():
        records = [exports.pause_record(decision) for decision in filterset.qs]
        if fmt == "csv":
            return exports.csv_response(exports.PAUSE_FIELDS, records, filename="pauses.csv")
        return exports.json_response(records)

    return _conditional_export(request, state=selectors.pause_register_state(), variant=variant, build=build)
