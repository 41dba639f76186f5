"""Export in the import format: what ``import_requests`` reads back losslessly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from ..exports import csv_safe
from .columns import COLUMNS

_EXPORT_LOOKUPS = [
    {
        "authority": "authority__name",
        "authority_kind": "authority__kind",
        "assignee": "assignee__username",
    }.get(column, column)
    for column in COLUMNS
]


def export_rows(queryset) -> Iterator[list[str]]:
    """The header, then one row per request in ``COLUMNS`` order: what ``import_requests`` reads.

    Text is protected against formula injection (``exports.csv_safe``: a reviewer opens this in a
    spreadsheet); the import undoes it (``csv_unescape``), so the round trip stays lossless."""
    yield list(COLUMNS)
    for values in queryset.order_by("pk").values_list(*_EXPORT_LOOKUPS).iterator(chunk_size=2000):
        yield [_cell(value) for value in values]


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return csv_safe(str(value))


def records_csv(records: Iterable[dict]) -> bytes:
    """Requests given as dicts of file columns (absent ones blank) as a file ``import_requests``
    reads: how a program hands the importer data it made (the demo does)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in records:
        unknown = set(record) - set(COLUMNS)
        if unknown:
            raise ValueError(f"not columns of the import format: {sorted(unknown)}")
        writer.writerow([_cell(record.get(column)) for column in COLUMNS])
    return out.getvalue().encode()


def export_csv(queryset, out) -> int:
    """Write ``queryset`` as CSV to the text stream ``out``; returns the number of requests."""
    writer = csv.writer(out, lineterminator="\n")
    rows = export_rows(queryset)
    writer.writerow(next(rows))
    written = 0
    for row in rows:
        writer.writerow(row)
        written += 1
    return written
