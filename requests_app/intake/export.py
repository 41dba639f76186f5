"""Export in the import format: what ``import_requests`` reads back losslessly."""

from __future__ import annotations

import csv
from collections.abc import Iterator

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
        yield [
            ""
            if value is None
            else value.isoformat()
            if hasattr(value, "isoformat")
            else csv_safe(str(value))
            for value in values
        ]


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
