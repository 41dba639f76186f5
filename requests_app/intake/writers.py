"""How checked rows reach the table: the writer interface and its plain implementations.

A writer takes batches of checked rows (``write``) and, if ``takes_text``, lines of COPY text the
short cut made (``write_text``). ``writer_for`` picks one: ``bulk_create`` on SQLite and other
databases, one COPY per batch on PostgreSQL, and for a large file into a smaller table the bulk
loader of ``bulkload.py``.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from operator import itemgetter

from django.db import connection, transaction

from ..models import DataRequest, ImportRun
from .columns import CONSTANT_FIELDS, COPY_SPECIAL, ROW_FIELDS, TEXTS, typed

# A file this large, going into a table with fewer rows than the file, is bulk-loaded (see
# bulkload.BulkLoadWriter): rebuilding the indexes once is then cheaper than updating them row by row.
BULK_LOAD_MIN_BYTES = 20 * 1024 * 1024
BULK_LOAD_BYTES_PER_ROW = 100  # to estimate a file's rows from its size (a generous guess)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_TEXT_VALUES = itemgetter(*TEXTS)


def copy_lines(rows: list[tuple], tail: str, order: Callable[[tuple], tuple] | None = None) -> str:
    """Rows in COPY's text format: tab-separated (the fields ``order`` picks, or all), then
    ``tail`` (the constant fields, newline)."""
    if not rows:
        return ""
    # Only the free text can hold a character COPY reads specially: look at all of it at once.
    if COPY_SPECIAL.search("".join(itertools.chain.from_iterable(map(_TEXT_VALUES, rows)))):
        rows = [
            tuple(_escape(value) if position in TEXTS else value for position, value in enumerate(row))
            for row in rows
        ]
    return tail.join(map("\t".join, map(order, rows) if order else rows)) + tail


class Writer:
    """Writes new requests with ``bulk_create`` (SQLite and any other database)."""

    strategy = "bulk_create"
    # Updates go through the services as each batch is read; the bulk loader keeps its COPY
    # open across batches, so it applies them at the end instead.
    defers_updates = False

    def __init__(self, run: ImportRun, now: datetime.datetime):
        self.run, self.now = run, now

    def start(self, expected_bytes: int | None) -> None:
        pass

    # Writers that take rows already in COPY's text (see bulkload.BulkLoadWriter.write_text).
    takes_text = False

    def columns_present(self, columns: list[str]) -> None:
        """The file's columns, known once its header is read (before any write)."""

    def may_exist(self) -> bool:
        """Whether any reference of the file may already be in the table."""
        return True

    def existing(self, references: list[str]) -> set[str]:
        return stored_references(references)

    def write(self, rows: list[tuple]) -> None:
        """Insert the rows, or raise DatabaseError having written none of them."""
        constants = {"version": 1, "created_at": self.now, "updated_at": self.now, "import_run": self.run}
        requests = [
            DataRequest(
                **{
                    name: typed(i, value) for i, (name, value) in enumerate(zip(ROW_FIELDS, row, strict=True))
                },
                **constants,
            )
            for row in rows
        ]
        with transaction.atomic():
            DataRequest.objects.bulk_create(requests)

    def pause(self) -> None:
        """About to run other queries on the connection."""

    def finish(self) -> None:
        pass


class CopyWriter(Writer):
    """PostgreSQL: each batch is one COPY into DataRequest's table, indexes and constraints live."""

    strategy = "copy"

    def __init__(self, run, now):
        super().__init__(run, now)
        self.table = DataRequest._meta.db_table
        columns = [DataRequest._meta.get_field(name).column for name in ROW_FIELDS + CONSTANT_FIELDS]
        self.copy_sql = f"COPY {self.table} ({', '.join(columns)}) FROM STDIN"
        self.tail = f"\t1\t{now.isoformat()}\t{now.isoformat()}\t{run.pk}\n"

    def existing(self, references):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT reference FROM {self.table} WHERE reference = ANY(%s)", [references])
            return {reference for (reference,) in cursor.fetchall()}

    def write(self, rows):
        # cursor.copy() is psycopg's own: wrapped, its errors are Django's DatabaseError too.
        with (
            connection.wrap_database_errors,
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.copy(self.copy_sql) as copy,
        ):
            copy.write(copy_lines(rows, self.tail))


def stored_references(references: list[str]) -> set[str]:
    """Which of ``references`` are in the table (asked 500 at a time)."""
    found: set[str] = set()
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        found.update(DataRequest.objects.filter(reference__in=chunk).values_list("reference", flat=True))
    return found


def writer_for(run, now, *, bulk_load: bool | None, expected_bytes: int | None) -> Writer:
    """The writer for this import (a bulk loader has locked the table and is started)."""
    from .bulkload import BulkLoadWriter  # (a subclass of CopyWriter)

    if connection.vendor != "postgresql":
        return Writer(run, now)
    if bulk_load is None:
        bulk_load = False
        if expected_bytes and expected_bytes >= BULK_LOAD_MIN_BYTES:
            # Rebuilding pays off when the table holds fewer rows than the file brings (counted
            # up to that number: planner statistics may be missing right after a load).
            file_rows = expected_bytes // BULK_LOAD_BYTES_PER_ROW
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {DataRequest._meta.db_table} LIMIT %s) AS head",
                    [file_rows],
                )
                (table_rows,) = cursor.fetchone()
            bulk_load = table_rows < file_rows
    if not bulk_load:
        return CopyWriter(run, now)
    writer = BulkLoadWriter(run, now)
    if not writer.lock():
        return CopyWriter(run, now)  # the ordinary way, next to the other users of the table
    writer.start(expected_bytes)
    return writer
