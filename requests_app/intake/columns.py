"""The import format: the file's columns, the choices as the file writes them, and a checked row.

The format (``COLUMNS``) is DESIGN.md's list followed by the other importable fields, so that
``export_rows`` -> ``import_requests`` round-trips a request losslessly, and the version it was
exported at, so that ``--update`` refuses to overwrite a later edit. Header names are matched
case-insensitively, ignoring surrounding spaces; only ``REQUIRED_COLUMNS`` must be present.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from operator import itemgetter

from .. import services
from ..models import Authority, DataRequest
from .results import FileError, ImportResult, RowError

# DESIGN.md's columns, in its order ...
DESIGN_COLUMNS = (
    "reference",
    "country",
    "received_on",
    "request_type",
    "accounts_specified",
    "authority",
    "authority_kind",
    "legal_process",
    "product",
    "status",
    "outcome",
    "decided_on",
)
# ... then the rest of a request's importable fields, so that an export loses nothing.
EXTRA_COLUMNS = (
    "acknowledged_on",
    "disclosure",
    "outcome_reason",
    "pause_exception",
    "user_notification",
    "notification_delayed_until",
    "assignee",
    "internal_notes",
)
# ... and last the request's version as exported: with --update, a request saved since the file
# was exported is refused, not overwritten (a new request starts at version 1 whatever it says).
VERSION_COLUMN = "version"
COLUMNS = DESIGN_COLUMNS + EXTRA_COLUMNS + (VERSION_COLUMN,)
REQUIRED_COLUMNS = DESIGN_COLUMNS[:5]

# The choices, as the file writes them.
S = DataRequest.Status
STATUSES = frozenset(S.values)
REQUEST_TYPES = frozenset(DataRequest.RequestType.values)
OUTCOMES = frozenset(DataRequest.Outcome.values)
DISCLOSURES = frozenset(DataRequest.Disclosure.values)
OUTCOME_REASONS = frozenset(DataRequest.OutcomeReason.values)
PAUSE_EXCEPTIONS = frozenset(DataRequest.PauseException.values)
USER_NOTIFICATIONS = frozenset(DataRequest.UserNotification.values)
AUTHORITY_KINDS = frozenset(Authority.Kind.values)
HOLDABLE = frozenset(services.HOLDABLE_ON_ARRIVAL)
# The file may also say on_hold: such a row is held by the same rule, or refused if nothing holds it.
HOLD_CANDIDATES = HOLDABLE | {S.ON_HOLD.value}
PRODUCED = frozenset(DataRequest.PRODUCED_OUTCOMES)
COMPLETED = S.COMPLETED.value
ON_HOLD = S.ON_HOLD.value
RECEIVED = S.RECEIVED.value
LEGAL = DataRequest.RequestType.LEGAL_PROCESS.value
DELAYED = DataRequest.UserNotification.DELAYED.value
OTHER_KIND = Authority.Kind.OTHER.value

MAX_COUNT = 2_147_483_647  # PositiveIntegerField on PostgreSQL
MAX_REFERENCE = DataRequest._meta.get_field("reference").max_length
MAX_AUTHORITY = Authority._meta.get_field("name").max_length
COPY_SPECIAL = re.compile(r"[\\\t\n\r\x00]")  # characters COPY's text format reads specially

# A checked row is a tuple of strings in this order, as COPY's text format reads them (NULL is
# N, "\\N"; free text is escaped only when written).
ROW_FIELDS = (
    "reference",
    "country",
    "authority_id",
    "request_type",
    "legal_process_id",
    "product_id",
    "accounts_specified",
    "received_on",
    "acknowledged_on",
    "status",
    "outcome",
    "disclosure",
    "outcome_reason",
    "pause_exception",
    "user_notification",
    "notification_delayed_until",
    "decided_on",
    "assignee_id",
    "held_by_id",
    "internal_notes",
)
# ... and every new request also gets these.
CONSTANT_FIELDS = ("version", "created_at", "updated_at", "import_run_id")
# The bulk loader's COPY takes DESIGN_COLUMNS' fields in this order (the fields a verdict of the
# short cut decides are together), then the extra columns the file has; the fields of extra
# columns the file lacks are left to temporary column defaults.
BULK_FIELDS = (
    "reference",
    "country",
    "request_type",
    "legal_process_id",
    "status",
    "outcome",
    "held_by_id",
    "authority_id",
    "product_id",
    "accounts_specified",
    "received_on",
    "decided_on",
)
R = {name: i for i, name in enumerate(ROW_FIELDS)}
NULLABLE = frozenset(
    R[name]
    for name in (
        "authority_id",
        "legal_process_id",
        "product_id",
        "acknowledged_on",
        "notification_delayed_until",
        "decided_on",
        "assignee_id",
        "held_by_id",
    )
)
DATES = frozenset(
    R[name] for name in ("received_on", "acknowledged_on", "notification_delayed_until", "decided_on")
)
INTEGERS = frozenset(R[name] for name in ("authority_id", "accounts_specified", "assignee_id", "held_by_id"))
TEXTS = (R["reference"], R["internal_notes"])
# File column -> the DataRequest attribute it sets (authority_kind belongs to the authority).
ATTRIBUTE = {column: column for column in COLUMNS} | {
    "authority": "authority_id",
    "assignee": "assignee_id",
    "legal_process": "legal_process_id",  # the managed lists' codes, kept in foreign keys
    "product": "product_id",
}

N = "\\N"  # NULL in COPY's text format


def typed(position: int, value: str):
    """A row string as the Python value the model holds (dates, integers, None)."""
    if value == N and position in NULLABLE:
        return None
    if position in DATES:
        return datetime.date.fromisoformat(value)
    if position in INTEGERS:
        return int(value)
    return value


@dataclass(frozen=True)
class Header:
    """Where the file has each column."""

    width: int  # fields a record has
    present: list[str]  # the columns the file has, in COLUMNS order
    fields: itemgetter  # record (with a "" appended for absent columns) -> values in COLUMNS order
    unnamed: list[int]  # positions of columns without a name (their values are refused)
    design_positions: list[int | None]  # each DESIGN column's position (None: absent)
    other_positions: list[int]  # the extra and unnamed columns, which the short cut needs empty
    version_position: int | None


def header_problems(names: list[str]) -> list[tuple[str, str]]:
    """(column, why) of each problem with a header of lower-cased, stripped names."""
    problems = []
    for position, name in enumerate(names):
        if not name:
            continue  # spreadsheets add empty trailing columns; values under them are refused
        if name not in COLUMNS:
            problems.append((name, f"unknown column; the columns are: {', '.join(COLUMNS)}"))
        elif name in names[:position]:
            problems.append((name, "this column appears twice"))
    for name in REQUIRED_COLUMNS:
        if name not in names:
            problems.append((name, f"required column missing (required: {', '.join(REQUIRED_COLUMNS)})"))
    return problems


def read_header(line: int, header: list[str], result: ImportResult) -> Header:
    """The header record as a Header; a bad one raises FileError (its other problems listed)."""
    names = [name.strip().lower() for name in header]
    if not any(names):
        raise FileError(
            RowError(
                line, "", "", "a blank line where the header belongs: the first line must name the columns"
            )
        )
    problems = header_problems(names)
    if problems:
        for name, reason in problems[:-1]:
            result.add_error(line, name, "", reason)
        raise FileError(RowError(line, problems[-1][0], "", problems[-1][1]))
    unnamed = [position for position, name in enumerate(names) if not name]
    present = [name for name in COLUMNS if name in names]
    result.columns = present  # the order of the preview's values
    return Header(
        width=len(names),
        present=present,
        fields=itemgetter(*[names.index(name) if name in names else -1 for name in COLUMNS]),
        unnamed=unnamed,
        design_positions=[names.index(name) if name in names else None for name in DESIGN_COLUMNS],
        other_positions=[names.index(name) for name in EXTRA_COLUMNS if name in names] + unnamed,
        version_position=names.index(VERSION_COLUMN) if VERSION_COLUMN in names else None,
    )
