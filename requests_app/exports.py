"""CSV and JSON writers of the /data/ API, and the documented schema of every column.

The column lists below are the public, stable interface (users script against them): the CSV
header, the JSON keys and the documentation on /data/ all come from them, so they cannot drift.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import FigureRow, NationalSecurityBand, OutcomeReasonRow, PauseDecision, Publication
from .periods import Period

SCHEMA_VERSION = 2  # 2: legal_process, product and median_days_to_decision appended
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# Excel only detects UTF-8 in a CSV file that starts with a byte-order mark; without it country
# names such as "Côte d’Ivoire" or "Türkiye" open garbled.
CSV_BOM = "\ufeff"


# A column's type as /data/ names it, in the reader's language (the files themselves hold none).
KINDS = {
    "text": _("text"),
    "date": _("date"),
    "datetime": _("datetime"),
    "integer": _("integer"),
    "decimal": _("decimal"),
    "boolean": _("boolean"),
    "list": _("list"),
}


@dataclass(frozen=True)
class Column:
    """A documented column of a /data/ file: its name and type are codes (the same in every
    language); its description is shown on /data/ in the reader's language."""

    name: str
    kind: str
    description: str | Promise

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("period", "text", _("Report period: a half-year written YYYY-H1 (Jan–Jun) or YYYY-H2 (Jul–Dec).")),
    Column("period_start", "date", _("First day of the period (ISO 8601).")),
    Column("period_end", "date", _("Last day of the period, inclusive (ISO 8601).")),
    Column("country_code", "text", _("ISO 3166-1 alpha-2 code of the requesting authority's country.")),
    Column("country_name", "text", _("English short name of that country.")),
    Column(
        "request_type",
        "text",
        _(
            "legal_process, emergency or preservation; all for an imported report that did not split its "
            "figures by request type."
        ),
    ),
    Column("requests", "integer", _("Requests received in the period.")),
    Column(
        "accounts_specified",
        "integer",
        _(
            "Accounts named in those requests (each request names at least one). Blank (JSON null): not "
            "reported by an imported report; never a stand-in for 0."
        ),
    ),
    Column(
        "requests_with_data_produced",
        "integer",
        _(
            "Requests answered with all or some of the data requested (outcome all_data or some_data). "
            "Blank (JSON null): not reported (an old report that gave only a percentage, or nothing)."
        ),
    ),
    Column(
        "percent_with_data_produced",
        "decimal",
        _(
            "100 × requests_with_data_produced / requests, one decimal, rounded half up. Where an imported "
            "report published a percentage, that percentage exactly as published (e.g. 5, 4.8 or 33.333, "
            "up to three decimals), even beside counts. Blank (JSON null) for preservation requests (a "
            "preservation keeps data; it produces none) unless a report published one, and where not "
            "reported."
        ),
    ),
    Column(
        "requests_received_during_pause",
        "integer",
        _(
            "Requests received while a published pause decision covering their type was in force for "
            "the country. Blank where unknown (figures imported from reports made before the register)."
        ),
    ),
    Column(
        "requests_produced_under_pause_exception",
        "integer",
        _(
            "Requests answered with data under a published exception to a pause in force when they were "
            "received or decided (e.g. an imminent threat to life). Blank where unknown."
        ),
    ),
    Column(
        "publication_version",
        "integer",
        _(
            "Version of the period's publication the row comes from (1 = first publication; a higher "
            "number is a revision, see generated_from and /data/)."
        ),
    ),
    Column(
        "legal_process",
        "text",
        _(
            "The kind of legal process the row counts (a code of the list on /methodology/, e.g. "
            "search_warrant). Blank: not broken down by legal process."
        ),
    ),
    Column(
        "product",
        "text",
        _(
            "The product the row counts (a code of the list on /methodology/). Blank: not broken down "
            "by product. The rows of a publication never overlap: summing them counts each request once."
        ),
    ),
    Column(
        "median_days_to_decision",
        "decimal",
        _(
            "Median days from receipt to decision over the row's decided requests, one decimal. Blank "
            "where none was decided or where it was not reported."
        ),
    ),
)

REASON_COLUMNS: tuple[Column, ...] = (
    *FIGURE_COLUMNS[:6],
    Column(
        "outcome_reason",
        "text",
        _(
            "Why a decided request was answered as it was: legally_insufficient, overbroad, "
            "jurisdiction_paused, human_rights, unverified_emergency, no_account, preserved or other."
        ),
    ),
    Column("requests", "integer", _("Decided requests of the period that recorded this reason.")),
    FIGURE_COLUMNS[12],  # publication_version
)

PAUSE_COLUMNS: tuple[Column, ...] = (
    Column("country_code", "text", _("ISO 3166-1 alpha-2 code of the country the decision is about.")),
    Column("country_name", "text", _("English short name of that country.")),
    Column(
        "status",
        "text",
        _(
            "assessing (under assessment, requests still reviewed), paused (requests not answered), "
            "redirected (answered only through another route, e.g. MLAT) or lifted (ended)."
        ),
    ),
    Column(
        "request_types_covered",
        "list",
        _("Request types the decision applies to; in CSV separated by ';', in JSON a list."),
    ),
    Column(
        "holds_pending", "boolean", _("Requests already open when it took effect are held too (true/false).")
    ),
    Column("effective_from", "date", _("Day the decision took effect (ISO 8601).")),
    Column("ended_on", "date", _("Day it ended; blank (JSON null) while it is in force.")),
    Column("public_statement", "text", _("The statement published with the decision.")),
    Column("statement_url", "text", _("Where the statement was published.")),
    Column("exceptions_policy", "text", _("When data may still be produced while the decision is in force.")),
    Column(
        "last_changed",
        "datetime",
        _(
            "When what this register shows of the decision last changed: published, or one of the "
            "columns above edited (ISO 8601, UTC)."
        ),
    ),
)

FIGURE_FIELDS = [column.name for column in FIGURE_COLUMNS]
BAND_COLUMNS: tuple[Column, ...] = (
    *FIGURE_COLUMNS[:5],
    Column(
        "category",
        "text",
        _(
            "fisa_content (FISA orders for content), fisa_non_content (FISA orders for non-content) or "
            "nsl (National Security Letters); the list on /methodology/."
        ),
    ),
    Column("requests_min", "integer", _("Lower bound of the band the requests of the period fall in.")),
    Column("requests_max", "integer", _("Upper bound of that band (inclusive).")),
    Column("accounts_min", "integer", _("Lower bound of the band the accounts they named fall in.")),
    Column("accounts_max", "integer", _("Upper bound of that band (inclusive).")),
    FIGURE_COLUMNS[12],  # publication_version
)

REASON_FIELDS = [column.name for column in REASON_COLUMNS]
BAND_FIELDS = [column.name for column in BAND_COLUMNS]
PAUSE_FIELDS = [column.name for column in PAUSE_COLUMNS]


def _utc(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _period_and_place(row: FigureRow | OutcomeReasonRow | NationalSecurityBand) -> dict:
    """The columns every published row starts with: its period and jurisdiction."""
    period = Period.parse(row.publication.period)
    return {
        "period": period.label,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "country_code": row.country.code,
        "country_name": row.country.name,
    }


def _published_row(row: FigureRow | OutcomeReasonRow) -> dict:
    """... and the request type of a figure or reason row."""
    return {**_period_and_place(row), "request_type": row.request_type}


def figure_record(row: FigureRow) -> dict:
    """One figure row as typed values (None = blank), keyed by FIGURE_FIELDS."""
    return {
        **_published_row(row),
        "requests": row.requests,
        "accounts_specified": row.accounts_specified,
        "requests_with_data_produced": row.requests_with_data_produced,
        "percent_with_data_produced": published_percent(row),
        "requests_received_during_pause": row.requests_received_during_pause,
        "requests_produced_under_pause_exception": row.requests_produced_under_pause_exception,
        "publication_version": row.publication.version,
        "legal_process": row.legal_process_id,
        "product": row.product_id,
        "median_days_to_decision": row.median_days_to_decision,
    }


def published_percent(row: FigureRow) -> Decimal | None:
    """The row's percentage with data produced as the report says it. One published by an
    imported report comes back as the same number it was: without the zeros the database pads
    it with (5.000 -> 5, 4.800 -> 4.8; ``normalize()`` alone would write 100 as 1E+2). One
    computed from counts keeps its one decimal (66.7, 50.0)."""
    if row.percent_as_published is not None:
        return Decimal(format(row.percent_as_published.normalize(), "f"))
    return row.percent_with_data_produced


def reason_record(row: OutcomeReasonRow) -> dict:
    """One published outcome-reason count as typed values, keyed by REASON_FIELDS."""
    return {
        **_published_row(row),
        "outcome_reason": row.outcome_reason,
        "requests": row.requests,
        "publication_version": row.publication.version,
    }


def band_record(band: NationalSecurityBand) -> dict:
    """One published national-security band as typed values, keyed by BAND_FIELDS: ranges only,
    as the law allows; the exact counts are never stored outside the desk."""
    return {
        **_period_and_place(band),
        "category": band.category.code,
        "requests_min": band.requests_min,
        "requests_max": band.requests_max,
        "accounts_min": band.accounts_min,
        "accounts_max": band.accounts_max,
        "publication_version": band.publication.version,
    }


def pause_record(decision: PauseDecision) -> dict:
    """One published pause decision as typed values, keyed by PAUSE_FIELDS. Internal fields
    (rationale, decided by, allowed-exception codes, review date) are deliberately absent."""
    return {
        "country_code": decision.country.code,
        "country_name": decision.country.name,
        "status": decision.status,
        "request_types_covered": decision.covered_request_types,
        "holds_pending": decision.holds_pending,
        "effective_from": decision.effective_from.isoformat(),
        "ended_on": decision.ended_on.isoformat() if decision.ended_on else None,
        "public_statement": decision.public_statement,
        "statement_url": decision.statement_url,
        "exceptions_policy": decision.exceptions_policy,
        "last_changed": _utc(decision.public_changed_at),
    }


def publication_record(publication: Publication) -> dict:
    """What the public may know about a publication (never who published it)."""
    return {
        "period": publication.period,
        "version": publication.version,
        "source": publication.source,
        "published_at": _utc(publication.published_at),
        "revised": publication.version > 1,
        "note": publication.note,
    }


# --- CSV/formula injection (OWASP "CSV Injection") -------------------------------------------
# Excel, LibreOffice and Google Sheets evaluate a cell starting with one of these as a formula
# (``=HYPERLINK(...)``, ``@SUM(...)``, DDE ``=cmd|...``), and a public statement, an exceptions
# policy, an authority name or an internal note is free text. Every text cell of every CSV file
# (these exports, the desk's export in the import format) goes through ``csv_safe``; JSON stays
# verbatim (no program evaluates it), and numbers are written as numbers.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text a spreadsheet shows and never evaluates: a leading formula character gets a ``'``.

    Text that already starts with apostrophes before such a character gets one more, so that
    ``csv_unescape`` returns exactly the original (the desk's export is re-imported)."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_TRIGGERS) else text


def csv_unescape(text: str) -> str:
    """The original of a ``csv_safe`` cell: what an import of our own CSV must store."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_TRIGGERS) else text


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return csv_safe(";".join(value))
    if isinstance(value, str):
        return csv_safe(value)
    return str(value)


def _json_value(value):
    return float(value) if isinstance(value, Decimal) else value


def download_name(name: str, filters: dict, extension: str) -> str:
    """A file name that says what the file holds: ``requests-HK-2020-H2.csv``,
    ``requests-2020-H1-2020-H2-legal_process-v2.json``, ``requests-US-subpoena-messaging.csv``;
    ``requests.csv`` when unfiltered. Long lists are counted, not spelt out, so the name stays
    short."""
    parts = [name]
    plurals = {
        "country": "countries",
        "period": "periods",
        "request_type": "types",
        "legal_process": "legal-processes",
        "product": "products",
        "status": "statuses",
    }
    for key, plural in plurals.items():
        values = sorted(str(v) for v in filters.get(key) or [])
        if 0 < len(values) <= 3:
            parts.extend(values)
        elif values:
            parts.append(f"{len(values)}-{plural}")
    if filters.get("version"):
        parts.append(f"v{filters['version']}")
    return "-".join(parts) + f".{extension}"


def csv_response(fields: list[str], records: Iterable[dict], *, filename: str) -> HttpResponse:
    """UTF-8 CSV (with BOM, CRLF line ends as RFC 4180 says) with a header row."""
    buffer = io.StringIO()
    buffer.write(CSV_BOM)
    writer = csv.writer(buffer)
    writer.writerow(fields)
    for record in records:
        writer.writerow([csv_cell(record[field]) for field in fields])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def json_response(records: Iterable[dict], *, filename: str = "", **envelope) -> JsonResponse:
    body = {
        "schema_version": SCHEMA_VERSION,
        **envelope,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "documentation": "/data/",
        "results": [{key: _json_value(value) for key, value in record.items()} for record in records],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 1})
    if filename:  # shown in the browser, saved under this name
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def bad_request(errors: dict[str, list[str]], *, as_json: bool) -> HttpResponse:
    """400 naming every bad parameter and why, as JSON or plain text."""
    errors = {
        ("query" if field == "__all__" else field): list(messages) for field, messages in errors.items()
    }
    if as_json:
        return JsonResponse({"error": "invalid query", "errors": errors}, status=400)
    lines = [f"{field}: {message}" for field, messages in errors.items() for message in messages]
    return HttpResponse(
        "Invalid query.\n" + "\n".join(lines) + "\nSee /data/ for the parameters.\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )
