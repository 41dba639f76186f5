"""Bulk intake of request records from CSV, shared by ``manage.py import_requests`` and the admin.

A platform adopting Transparency arrives with years of requests in spreadsheets and exports of its
old case tool. ``import_requests`` reads such a file in one streaming pass (a file with errors
may take two: see there), checks every row with dedicated code that enforces the model's rules
(``DataRequest.clean()``, the named constraints and the hold rule of ``services.request_create``)
and writes the rows inside **one transaction**: any error, an exception or a killed process
leaves the database exactly as it was.

The format (``COLUMNS``) is DESIGN.md's list followed by the other importable fields, so that
``export_rows`` -> ``import_requests`` round-trips a request losslessly, and the version it was
exported at, so that ``--update`` refuses to overwrite a later edit. Header names are matched
case-insensitively, ignoring surrounding spaces; only ``REQUIRED_COLUMNS`` must be present.

Why not ``full_clean()`` per row: at a million rows it costs minutes. The checks here are the
same rules, written for speed: each distinct date, count, authority and user is checked once and
cached, and a row is kept as the strings PostgreSQL's COPY reads. The database constraints stay
the backstop. How rows reach the table is the writer's business (``_writer_for``): COPY on
PostgreSQL, ``bulk_create`` elsewhere.
"""

from __future__ import annotations

import csv
import datetime
import gc
import hashlib
import heapq
import io
import itertools
import os
import re
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from operator import and_, is_not, itemgetter, lt, not_, or_
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import UniqueConstraint
from django.utils import timezone
from django_countries import countries

from . import services
from .exports import csv_safe, csv_unescape
from .models import Authority, DataRequest, ImportRun

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

MAX_ERRORS = 100  # listed; the rest are counted
FIELD_LIMIT = 16 * 1024 * 1024  # characters a value may have (csv's default is 128 KiB)
BATCH_SIZE = 1_000
# A file this large, going into a table with fewer rows than the file, is bulk-loaded (see
# _BulkLoadWriter): rebuilding the indexes once is then cheaper than updating them row by row.
BULK_LOAD_MIN_BYTES = 20 * 1024 * 1024
BULK_LOAD_BYTES_PER_ROW = 100  # to estimate a file's rows from its size (a generous guess)

S = DataRequest.Status
_STATUSES = frozenset(S.values)
_REQUEST_TYPES = frozenset(DataRequest.RequestType.values)
_LEGAL_PROCESSES = frozenset(DataRequest.LegalProcess.values)
_OUTCOMES = frozenset(DataRequest.Outcome.values)
_DISCLOSURES = frozenset(DataRequest.Disclosure.values)
_OUTCOME_REASONS = frozenset(DataRequest.OutcomeReason.values)
_PAUSE_EXCEPTIONS = frozenset(DataRequest.PauseException.values)
_USER_NOTIFICATIONS = frozenset(DataRequest.UserNotification.values)
_AUTHORITY_KINDS = frozenset(Authority.Kind.values)
_HOLDABLE = frozenset(services.HOLDABLE_ON_ARRIVAL)
# The file may also say on_hold: such a row is held by the same rule, or refused if nothing holds it.
_HOLD_CANDIDATES = _HOLDABLE | {S.ON_HOLD.value}
_PRODUCED = frozenset(DataRequest.PRODUCED_OUTCOMES)
_COMPLETED = S.COMPLETED.value
_ON_HOLD = S.ON_HOLD.value
_RECEIVED = S.RECEIVED.value
_LEGAL = DataRequest.RequestType.LEGAL_PROCESS.value
_DELAYED = DataRequest.UserNotification.DELAYED.value

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_COUNT = re.compile(r"\d+|\d{1,3}(?:,\d{3})+", re.ASCII)  # "1024" or "1,024"
_MAX_COUNT = 2_147_483_647  # PositiveIntegerField on PostgreSQL
_SHORT_CUT_ENTRIES = 100_000  # what _Importer._learn remembers, at most
_COPY_SPECIAL = re.compile(r"[\\\t\n\r\x00]")
_LINE_END = re.compile(rb"\r\n|\r|\n")

_MAX_REFERENCE = DataRequest._meta.get_field("reference").max_length
_MAX_PRODUCT = DataRequest._meta.get_field("product").max_length
_MAX_AUTHORITY = Authority._meta.get_field("name").max_length

# A checked row is a tuple of strings in this order, as COPY's text format reads them (NULL is
# N, "\\N"; free text is escaped only when written).
ROW_FIELDS = (
    "reference",
    "country",
    "authority_id",
    "request_type",
    "legal_process",
    "product",
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
# The bulk loader's COPY takes DESIGN_COLUMNS' fields in this order (the fields a verdict of
# _Importer._learn decides are together), then the extra columns the file has; the fields of
# extra columns the file lacks are left to temporary column defaults.
BULK_FIELDS = (
    "reference",
    "country",
    "request_type",
    "legal_process",
    "status",
    "outcome",
    "held_by_id",
    "authority_id",
    "product",
    "accounts_specified",
    "received_on",
    "decided_on",
)
_R = {name: i for i, name in enumerate(ROW_FIELDS)}
_NULLABLE = frozenset(
    _R[name]
    for name in (
        "authority_id",
        "acknowledged_on",
        "notification_delayed_until",
        "decided_on",
        "assignee_id",
        "held_by_id",
    )
)
_DATES = frozenset(
    _R[name] for name in ("received_on", "acknowledged_on", "notification_delayed_until", "decided_on")
)
_INTEGERS = frozenset(
    _R[name] for name in ("authority_id", "accounts_specified", "assignee_id", "held_by_id")
)
_TEXTS = (_R["reference"], _R["product"], _R["internal_notes"])
# File column -> the DataRequest attribute it sets (authority_kind belongs to the authority).
_ATTRIBUTE = {column: column for column in COLUMNS} | {"authority": "authority_id", "assignee": "assignee_id"}
_NEW = "new:"  # placeholder id of an authority created with the batch (real ids are digits)
_OTHER_KIND = Authority.Kind.OTHER.value
_ALREADY_THERE = "already in the database (import with --update to update existing requests)"
_SAVED_MEANWHILE = "saved in the database by someone else while this file was being imported"


N = "\\N"  # NULL in COPY's text format
_NULL_IF_BLANK = {"": N}  # .get(value, value): an optional date as COPY reads it
_UNKNOWN = (None,) * 8  # a verdict not learnt yet, in _Importer._fast_rows


def country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries)


def typed(position: int, value: str):
    """A row string as the Python value the model holds (dates, integers, None)."""
    if value == N and position in _NULLABLE:
        return None
    if position in _DATES:
        return datetime.date.fromisoformat(value)
    if position in _INTEGERS:
        return int(value)
    return value


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class RowError:
    """Why one value (or the file) cannot be imported: line, column, value, reason."""

    __slots__ = ("line", "column", "value", "reason")

    def __init__(self, line: int | None, column: str, value: str, reason: str):
        self.line, self.column, self.value, self.reason = line, column, value, reason

    def __str__(self) -> str:
        where = [f"line {self.line}" if self.line else "file"]
        if self.column:
            where.append(f"column {self.column}")
        if self.value:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            where.append(f"value {shown!r}")
        return f"{', '.join(where)}: {self.reason}"

    def __repr__(self) -> str:
        return f"RowError({self})"


class ImportResult:
    """What an import did (or, with errors or as a dry run, would have done)."""

    def __init__(self, *, file_name: str, dry_run: bool, update: bool, max_errors: int):
        self.file_name, self.dry_run, self.update, self.max_errors = file_name, dry_run, update, max_errors
        self.rows = self.created = self.updated = self.unchanged = self.held = self.blank_lines = 0
        # The max_errors errors of the lowest lines, as a heap whose top is the one to give up
        # first: (-line, -order of finding, error).
        self._listed: list[tuple[int, int, RowError]] = []
        self.error_count = 0
        self.seconds = 0.0
        self.strategy = ""
        self.columns: list[str] = []
        self.preview: list[tuple[int, list[str]]] = []
        self.run: ImportRun | None = None
        self.read_twice = False  # this is the second reading's result (see import_requests)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    @property
    def errors(self) -> list[RowError]:
        """The listed errors, by line (errors of one line in the order they were found)."""
        return [error for _, _, error in sorted(self._listed, reverse=True)]

    @property
    def errors_not_listed(self) -> int:
        return self.error_count - len(self._listed)

    def add_error(self, line: int | None, column: str, value: str, reason: str) -> None:
        """Count the error; list it if it is among the max_errors of the lowest lines so far.

        Errors are not found in line order (the checks against the database run per batch,
        after the rows' own; the fast path hands rows to the full check out of turn), so the
        listed ones are chosen by line: those a user fixes first, whichever way the file went.
        """
        self.error_count += 1
        entry = (-(line or 0), -self.error_count, RowError(line, column, value, reason))
        if len(self._listed) < self.max_errors:
            heapq.heappush(self._listed, entry)
        elif self._listed and entry[:2] > self._listed[0][:2]:
            heapq.heapreplace(self._listed, entry)

    def error_lines(self) -> list[str]:
        lines = [str(error) for error in self.errors]
        if self.errors_not_listed:
            lines.append(f"... and {self.errors_not_listed:,} more error(s) not listed.")
        return lines

    def counts(self) -> str:
        rate = f" ({self.rows / self.seconds:,.0f} rows/s)" if self.seconds else ""
        return (
            f"created {self.created:,} ({self.held:,} on hold by a pause), updated {self.updated:,}, "
            f"skipped {self.unchanged + self.blank_lines:,} ({self.unchanged:,} unchanged, "
            f"{self.blank_lines:,} blank lines); {self.rows:,} rows in {self.seconds:.1f} s{rate}"
            + (f", written by {self.strategy}" if self.strategy and not self.dry_run else "")
        )

    def summary(self) -> str:
        if not self.ok:
            return f"Nothing was imported: {self.error_count:,} error(s) in {self.file_name}."
        if self.dry_run:
            return f"Dry run, nothing written. {self.file_name} would be imported: {self.counts()}."
        return f"Imported {self.file_name}: {self.counts()}."


class _Rollback(Exception):
    """Raised inside the transaction to roll the whole import back."""


class _ReadAgain(_Rollback):
    """An error while references were left to the unique index: roll back, read the file again."""


class _FileError(Exception):
    """A problem with the whole file (encoding, header): reading stops there."""


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Counts and hashes the bytes as they stream past, for the audit record."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.sha256.update(data)
        self.size += size
        return size


def _first_undecodable_line(source: BinaryIO, start: int | None) -> tuple[int, str] | None:
    """Find the line that is not UTF-8 (a second look, only once decoding failed): its number,
    counted as the reader counts lines (CRLF, LF or a CR alone end one), and the first bad byte.
    ``start``: where the file began in the stream (None: it cannot be read again)."""
    if start is None:
        return None
    try:
        source.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    line, carry, after_cr = 1, b"", False
    while True:
        chunk = source.read(1 << 16)
        data = carry + chunk
        if not data:
            return None
        bad = None
        try:
            data.decode("utf-8")
            good = len(data)
        except UnicodeDecodeError as error:
            good = error.start
            # A character the chunk cut in two is read whole with the next one.
            if not (chunk and error.reason == "unexpected end of data"):
                bad = error.start
        text = data[:good]
        if after_cr and text[:1] == b"\n":
            text = text[1:]  # the LF of a CRLF the chunks split
        line += len(_LINE_END.findall(text))
        if text:
            after_cr = text[-1:] == b"\r"
        if bad is not None:
            return line, f"0x{data[bad]:02x}"
        carry = data[good:]


# (line numbers, records or None, plain lines or None): see _CsvReader.chunks.
Chunk = tuple[Sequence[int], list[list[str]] | None, list[str] | None]


def records_of(lines: list[str]) -> list[list[str]]:
    """Plain lines (no quotes, CR or NUL) as csv.reader would read them."""
    return [line.split(",") if line else [] for line in lines]


class _CsvReader:
    """The CSV records of a byte stream: UTF-8 with or without BOM, CRLF, LF or CR line ends.

    ``chunks()`` yields them in chunks of (line numbers, records, lines), the number of the
    physical line on which each record starts. Most files are plain text: no quotes, no CR, no
    NUL. Such a chunk comes as its lines (records is None): split on commas they are its records,
    which is all ``csv.reader`` would make of them, only several times faster. From the first
    chunk that is not plain on, ``csv.reader`` reads the rest (quoted values may span lines), and
    chunks come as records (lines is None).
    """

    CHUNK = 1 << 16  # characters read at a time
    # Records per chunk once csv.reader reads: about as many as a plain chunk's lines, so that
    # _Importer._fast_rows learns new spellings as soon.
    CSV_RECORDS = 500
    _LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")  # a line and its end, as TextIOWrapper splits them

    def __init__(self, source: BinaryIO, hashing: _HashingReader):
        self.source = source
        self.start = _position(source)
        self.text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 16), encoding="utf-8-sig", newline="")
        self.lines_before_csv = 0  # physical lines split here before csv.reader took over
        self.records = None  # that csv.reader

    @property
    def line_num(self) -> int:
        """Physical lines read so far."""
        return self.lines_before_csv + (self.records.line_num if self.records is not None else 0)

    def chunks(self) -> Iterator[Chunk]:
        # A request's notes may be long (a memo pasted in): csv's default cap of 128 KiB a field
        # would refuse what export_csv wrote. The cap is process-wide; it is only ever raised.
        if csv.field_size_limit() < FIELD_LIMIT:
            csv.field_size_limit(FIELD_LIMIT)
        read, limit = self.text.read, csv.field_size_limit()
        pending = ""  # the start of a line whose end is not read yet
        while True:
            data = read(self.CHUNK)
            text = pending + data
            if data:
                end = text.rfind("\n") + 1
                if not end:
                    pending = text
                    continue
            elif text:
                end = len(text)  # the last line has no newline
            else:
                return
            body, pending = text[:end], text[end:]
            plain = '"' not in body and "\x00" not in body
            if plain and "\r" in body:
                # CRLF line ends (spreadsheets write them) are plain too; a CR alone is not.
                plain = body.count("\r") == body.count("\r\n")
                if plain:
                    body = body.replace("\r\n", "\n")
            lines = body[:-1].split("\n") if body[-1:] == "\n" else body.split("\n")
            if not plain or (len(body) > limit and max(map(len, lines)) > limit):
                yield from self._csv_chunks(text[:end] + pending)
                return
            first = self.lines_before_csv + 1
            self.lines_before_csv += len(lines)
            yield range(first, first + len(lines)), None, lines
            if not data:
                return

    def _csv_chunks(self, text: str) -> Iterator[Chunk]:
        records = self.records = csv.reader(self._lines(text), strict=True)
        base = self.lines_before_csv
        while True:
            lines, chunk = [], []
            last = records.line_num
            for record in records:
                lines.append(base + last + 1)
                chunk.append(record)
                last = records.line_num
                if len(chunk) == self.CSV_RECORDS:
                    break
            if not chunk:
                return
            yield lines, chunk, None

    def _lines(self, text: str) -> Iterator[str]:
        """``text`` and the rest of the stream, as lines with their ends."""
        match, read = self._LINE.match, self.text.read
        while True:
            data = read(self.CHUNK)
            text += data
            # A final CR may be the first half of a CRLF.
            stop = len(text) - 1 if data and text[-1:] == "\r" else len(text)
            position = 0
            while line := match(text, position, stop):
                yield line.group()
                position = line.end()
            text = text[position:]
            if not data:
                if text:
                    yield text
                return

    def problem(self, error: Exception) -> RowError:
        """What to tell the user about a decoding or CSV error raised while reading."""
        if isinstance(error, UnicodeDecodeError):
            found = _first_undecodable_line(self.source, self.start)
            where = f"byte {found[1]} on line {found[0]}" if found else f"byte {error.start}"
            return RowError(
                found[0] if found else None,
                "",
                "",
                f"the file is not UTF-8: {where} cannot be decoded. Save it as UTF-8 "
                f"(in a spreadsheet: 'CSV UTF-8') and import it again.",
            )
        return RowError(self.line_num, "", "", f"not readable as CSV ({error}); nothing after it was read")


# --------------------------------------------------------------------------------------------
# Checking values (the slow paths; the common case is a cache hit in _Importer._read_rows)
# --------------------------------------------------------------------------------------------


def _date_problem(value: str) -> str:
    """Why ``value`` is not a date ("" if it is one): ISO YYYY-MM-DD only, 03/04/2020 is ambiguous."""
    if not _ISO_DATE.fullmatch(value):
        return "not a date in ISO format YYYY-MM-DD (e.g. 2020-07-06)"
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return "this date does not exist"
    return ""


def _count(value: str) -> tuple[str, str]:
    """(the count as digits, "") or ("", why it is not a count): "1,024" is 1024."""
    if not value:
        return "", "required: the number of accounts the request names"
    if not _COUNT.fullmatch(value):
        if value.startswith("-") and _COUNT.fullmatch(value[1:]):
            return "", "a request names at least 1 account"
        return "", "not a whole number (write 1024 or 1,024)"
    number = int(value.replace(",", ""))
    if number < 1:
        return "", "a request names at least 1 account"
    if number > _MAX_COUNT:
        return "", f"too large (at most {_MAX_COUNT:,})"
    return str(number), ""


# --------------------------------------------------------------------------------------------
# Writers: how checked rows reach the table
# --------------------------------------------------------------------------------------------


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


_TEXT_VALUES = itemgetter(*_TEXTS)


def _copy_lines(rows: list[tuple], tail: str, order: Callable[[tuple], tuple] | None = None) -> str:
    """Rows in COPY's text format: tab-separated (the fields ``order`` picks, or all), then
    ``tail`` (the constant fields, newline)."""
    if not rows:
        return ""
    # Only the free text can hold a character COPY reads specially: look at all of it at once.
    if _COPY_SPECIAL.search("".join(itertools.chain.from_iterable(map(_TEXT_VALUES, rows)))):
        rows = [
            tuple(_escape(value) if position in _TEXTS else value for position, value in enumerate(row))
            for row in rows
        ]
    return tail.join(map("\t".join, map(order, rows) if order else rows)) + tail


class _Writer:
    """Writes new requests with ``bulk_create`` (SQLite and any other database)."""

    strategy = "bulk_create"
    # Updates go through the services as each batch is read; the bulk loader keeps its COPY
    # open across batches, so it applies them at the end instead.
    defers_updates = False

    def __init__(self, run: ImportRun, now: datetime.datetime):
        self.run, self.now = run, now

    def start(self, expected_bytes: int | None) -> None:
        pass

    # Writers that take rows already in COPY's text (see _BulkLoadWriter.write_text).
    takes_text = False

    def columns_present(self, columns: list[str]) -> None:
        """The file's columns, known once its header is read (before any write)."""

    def may_exist(self) -> bool:
        """Whether any reference of the file may already be in the table."""
        return True

    def existing(self, references: list[str]) -> set[str]:
        return _stored_references(references)

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


class _CopyWriter(_Writer):
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
            copy.write(_copy_lines(rows, self.tail))


class _BulkLoadWriter(_CopyWriter):
    """PostgreSQL, a large file into a smaller table: the way pg_restore loads data.

    Updating a dozen indexes and queueing two foreign-key checks per row costs ~25 us a row; a
    sorted index build and one anti-join per foreign key afterwards cost a fraction. So, inside
    the import's transaction: lock the table, drop its secondary indexes, unique and
    foreign-key constraints and (unless another table refers to it) its primary key, keeping
    their exact definitions; stream every row through one COPY, then recreate them, which also
    re-checks uniqueness and every reference. Meanwhile the id sequence hands this session
    blocks of ids (its CACHE), not one id per row, and the fields every new row shares (and
    those of columns the file lacks) are column defaults, not text COPY parses. Partial indexes
    stay: they cover few rows (open or held requests), so keeping them up to date costs less
    than the table scan that rebuilding each would take, and they let a foreign key on their
    column be checked without one. A rollback or a killed process restores the table as it was,
    indexes and defaults included. The price: the requests table is locked for the duration
    (readers wait), hence only for large imports.
    """

    strategy = "bulk load"
    defers_updates = True
    takes_text = True
    LOCK_TIMEOUT = "5s"
    MAINTENANCE_WORK_MEM = "256MB"  # per index build; the default 64MB makes them spill to disk
    # The planner's choices that finish() sets for each foreign-key check.
    PLANS = tuple(
        f"enable_{plan}"
        for plan in ("seqscan", "indexscan", "indexonlyscan", "bitmapscan", "nestloop", "mergejoin")
    )
    ID_BLOCK = 1000

    def __init__(self, run, now):
        super().__init__(run, now)
        # While the table is ours, the values every new row shares are column defaults (set by
        # start(), put back by finish()): COPY reads a third less text, and parses no timestamps.
        fields = DataRequest._meta.get_field
        self.shared = {
            fields("version").column: "1",
            fields("created_at").column: f"'{now.isoformat()}'::timestamptz",
            fields("updated_at").column: f"'{now.isoformat()}'::timestamptz",
            fields("import_run").column: str(int(run.pk)),
        }
        self.copy_sql = (
            f"COPY {self.table} ({', '.join(fields(name).column for name in ROW_FIELDS)}) FROM STDIN"
        )
        self.tail = "\n"
        self.order = None  # ROW_FIELDS order, until columns_present() sets BULK_FIELDS
        self.extra_tail = ""

    def lock(self) -> bool:
        """Take the table for this transaction; False if others hold it (e.g. a long report)."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{self.LOCK_TIMEOUT}'")
                cursor.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                return False
            raise
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
        return True

    def start(self, expected_bytes):
        get = DataRequest._meta.get_field
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT reference FROM {self.table}")
            self.references = {reference for (reference,) in cursor}
            cursor.execute(
                "SELECT s.seqrelid::regclass::text, s.seqcache FROM pg_sequence s "
                "WHERE s.seqrelid = pg_get_serial_sequence(%s, %s)::regclass",
                [self.table, DataRequest._meta.pk.column],
            )
            self.sequence, self.sequence_cache = cursor.fetchone()
            # Rebuilt in this order (see finish): the primary key, the unique constraints, the
            # secondary indexes, the foreign keys (with the column each one checks).
            cursor.execute(
                "SELECT c.conname, pg_get_constraintdef(c.oid), a.attname FROM pg_constraint c "
                "LEFT JOIN pg_attribute a ON c.contype = 'f' AND cardinality(c.conkey) = 1 "
                "AND a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "WHERE c.conrelid = %s::regclass AND (c.contype IN ('u', 'f') OR c.contype = 'p' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.confrelid = c.conrelid)) "
                "ORDER BY c.contype = 'f', c.contype = 'u', c.conname",
                [self.table],
            )
            self.constraints = cursor.fetchall()
            # Columns that a kept partial index covers where they are not NULL: a foreign key on
            # one is checked through that index instead of a scan of the whole table.
            cursor.execute(
                "SELECT a.attname FROM pg_index x JOIN pg_attribute a "
                "ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] "
                "WHERE x.indrelid = %s::regclass AND x.indpred IS NOT NULL "
                "AND pg_get_expr(x.indpred, x.indrelid) = '(' || quote_ident(a.attname) || ' IS NOT NULL)'",
                [self.table],
            )
            self.sparse = {column for (column,) in cursor}
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND x.indpred IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                "ORDER BY i.relname",
                [self.table],
            )
            self.indexes = cursor.fetchall()
            cursor.execute(
                "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)",
                [self.table, [*self.shared, *(get(_ATTRIBUTE[name]).column for name in EXTRA_COLUMNS)]],
            )
            self.defaults = cursor.fetchall()  # as they were, put back by finish()
            # Deferred checks already queued (e.g. of the ImportRun) would block dropping the
            # foreign keys: run them now, then go back to deferring.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name, _, _ in self.constraints:
                cursor.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for name, _ in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            # Ids left in this session's block when it ends are skipped: a gap, as after a rollback.
            cursor.execute(f"ALTER SEQUENCE {self.sequence} CACHE {self.ID_BLOCK}")
        self._defaults(self.shared)
        self.cursor = self.copying = self.copy = None

    def may_exist(self):
        return bool(self.references)

    def existing(self, references):
        return self.references.intersection(references)

    def columns_present(self, columns):
        fields = [_ATTRIBUTE[name] for name in EXTRA_COLUMNS if name in columns]
        absent = [_ATTRIBUTE[name] for name in EXTRA_COLUMNS if name not in columns]
        self.order = itemgetter(*(_R[name] for name in BULK_FIELDS + tuple(fields)))
        get = DataRequest._meta.get_field
        self.copy_sql = (
            f"COPY {self.table} ({', '.join(get(name).column for name in BULK_FIELDS + tuple(fields))}) "
            "FROM STDIN"
        )
        # What rows of text_tail() end with: the values of the extra columns when they are empty.
        self.extra_tail = "".join("\t" + (N if _R[name] in _NULLABLE else "") for name in fields)
        # The absent columns' values ("" or NULL, as the row loop makes them) become defaults.
        defaults = {get(name).column: "''" for name in absent if _R[name] not in _NULLABLE}
        if defaults:
            self._defaults(defaults)

    def text_tail(self) -> str:
        """The end of each line of write_text(): the extra columns' empty values, newline."""
        return self.extra_tail + "\n"

    def _defaults(self, defaults: dict[str, str | None]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {self.table} "
                + ", ".join(
                    f"ALTER COLUMN {column} DROP DEFAULT"
                    if default is None
                    else f"ALTER COLUMN {column} SET DEFAULT {default}"
                    for column, default in defaults.items()
                )
            )

    def write(self, rows):
        self.write_text(_copy_lines(rows, self.tail, self.order))

    def write_text(self, text: str) -> None:
        """Lines in COPY's text format, fields in the order columns_present() chose."""
        # One COPY stays open across batches, so PostgreSQL works while Python checks the next
        # rows; a database error here ends the whole import (no savepoint inside a COPY).
        with connection.wrap_database_errors:
            if self.copy is None:
                self.cursor = connection.cursor()
                self.copying = self.cursor.copy(self.copy_sql)
                self.copy = self.copying.__enter__()
            self.copy.write(text)

    def pause(self):
        if self.copy is not None:
            copying, cursor = self.copying, self.cursor
            self.cursor = self.copying = self.copy = None
            with connection.wrap_database_errors:
                copying.__exit__(None, None, None)
            cursor.close()

    def abort(self) -> None:
        """Cancel an open COPY so that the transaction can be rolled back."""
        if self.copy is not None:
            copying, cursor = self.copying, self.cursor
            self.cursor = self.copying = self.copy = None
            try:
                copying.__exit__(_Rollback, _Rollback("import abandoned"), None)
            except Exception:  # noqa: BLE001 - abandoned with the transaction anyway
                pass
            cursor.close()

    def finish(self):
        self.pause()
        self._defaults(dict(self.defaults))
        # Settings for the rebuild only: put back afterwards, for the rest of an enclosing
        # transaction (an admin request is one).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                [["maintenance_work_mem", "max_parallel_maintenance_workers", *self.PLANS]],
            )
            before = dict(cursor.fetchall())
            cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [self.MAINTENANCE_WORK_MEM])
            workers = _index_build_workers()
            if workers is not None:
                cursor.execute(
                    "SELECT set_config('max_parallel_maintenance_workers', "
                    "LEAST(%s, current_setting('max_parallel_maintenance_workers')::int)::text, true)",
                    [workers],
                )
            # The primary key and unique constraints first: a duplicate reference that the
            # import left to the unique index (see _Importer.trusting) stops the rebuild at once.
            foreign_keys = []
            for name, definition, column in self.constraints:
                if definition.startswith("FOREIGN KEY"):
                    foreign_keys.append((name, definition, column))
                else:
                    cursor.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')
            for _, definition in self.indexes:
                cursor.execute(definition)
            for name, definition, column in foreign_keys:
                # Checking a foreign key is one query, planned with statistics of the table before
                # the load (none, or of other rows: after the table was emptied, a walk of a new
                # index took 1 s, a nested loop 6 s). So its plan is set: on a sparse column, the
                # partial index; otherwise one scan of the table against a hash of the keys.
                off = {"enable_seqscan"} if column in self.sparse else set(self.PLANS) - {"enable_seqscan"}
                _set_locally(cursor, {plan: "off" if plan in off else before[plan] for plan in self.PLANS})
                cursor.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')
            _set_locally(cursor, before)
            cursor.execute(f"ALTER SEQUENCE {self.sequence} CACHE {self.sequence_cache}")


def _set_locally(cursor, settings: dict[str, str]) -> None:
    """SET LOCAL each setting, in one round trip."""
    cursor.execute(
        "SELECT set_config(name, value, true) FROM unnest(%s::text[], %s::text[]) AS s(name, value)",
        [list(settings), list(settings.values())],
    )


def _index_build_workers() -> int | None:
    """Parallel workers for each index build when PostgreSQL runs on this machine, else None
    (the server's setting stands). The leader sorts too and the importer waits meanwhile, so
    one process per core; PostgreSQL's default of two workers assumes a third core, and on two
    the three processes take turns (measured: ~15% slower)."""
    host = connection.settings_dict.get("HOST") or ""
    if host not in ("", "localhost", "127.0.0.1", "::1") and not host.startswith("/"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(cores - 1, 0)


def _writer_for(run, now, *, bulk_load: bool | None, expected_bytes: int | None) -> _Writer:
    if connection.vendor != "postgresql":
        return _Writer(run, now)
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
        return _CopyWriter(run, now)
    writer = _BulkLoadWriter(run, now)
    if not writer.lock():
        return _CopyWriter(run, now)  # the ordinary way, next to the other users of the table
    writer.start(expected_bytes)
    return writer


# --------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------


class _Importer:
    def __init__(
        self,
        result: ImportResult,
        *,
        update,
        dry_run,
        actor,
        today,
        batch_size,
        preview_rows,
        progress,
        keep_references=True,
    ):
        self.result = result
        self.update = update
        # A dry run checks everything, the database included, but writes no new rows (updates
        # go through the services to be checked, and are rolled back with the rest).
        self.dry_run = dry_run
        self.actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        self.today = today
        self.batch_size = batch_size
        self.preview_rows = preview_rows
        self.progress = progress
        self.started = time.monotonic()
        self.countries = country_codes()
        # The rule of request_create, loaded once: (country, type) -> the pause that holds it.
        holds = services.ArrivalHolds(on=today)
        self.holding = {
            (code, request_type): str(pause.pk)
            for code in self.countries
            for request_type in _REQUEST_TYPES
            if (pause := holds.pause_for(country=code, request_type=request_type)) is not None
        }
        # The references read so far, for duplicates within the file. A set costs half what a
        # dict of first lines would at a million rows; the rare duplicate finds its first line
        # in the order they came (see _first_line).
        self.seen: set[str] = set()
        # Unless told to keep them all, a bulk load into an empty table keeps only those of the
        # row loop (``trusting``): a reference repeated in the file, once at least in a row
        # checked a column at a time, stops the rebuild of the unique index at the end, and
        # import_requests then reads the file again, keeping them all, to name each duplicate.
        # So does any other error (the first reading stops there). A million references held
        # cost ~0.3 s and ~120 MB.
        self.keep_references = keep_references
        self.trusting = False  # leaving duplicates to the unique index (see read_rows)
        self.left_to_index = False  # ... and did so for some rows
        self.seen_order: list[str] = []
        self.seen_lines = array("q")
        self.first_lines: dict[str, int] = {}
        self.first_lines_upto = 0  # seen_order[:first_lines_upto] is in first_lines
        self.good_dates: set[str] = set()  # valid and not after today: any date column takes them
        self.good_later_dates: set[str] = set()  # after today: only a notification delay may be
        self.today_iso = today.isoformat()
        self.good_counts: dict[str, str] = {}
        self.good_versions: set[str] = set()
        self.authorities: dict[tuple[str, str], tuple[str, str]] = {
            (name, country): (str(pk), kind)
            for pk, name, country, kind in Authority.objects.values_list("pk", "name", "country", "kind")
        }
        User = get_user_model()
        self.users: dict[str, str] = {
            str(username): str(pk)
            for pk, username in User._default_manager.values_list("pk", User.USERNAME_FIELD)
        }
        self.deferred_updates: list[tuple] = []
        self.file_versions: dict[int, int] = {}  # line -> the version the file gives (--update only)
        self.unheld_on_hold: set[int] = set()  # lines of this batch saying on_hold that nothing holds
        self.new_authorities: dict[str, tuple[str, str, str]] = {}  # placeholder -> (name, country, kind)
        # Authorities this import created before a row stated their kind: id -> that kind.
        self.stated_kinds: dict[str, str] = {}
        # What full checks concluded, keyed by values as the file spells them (see _learn).
        self.verdicts: dict[tuple, tuple] = {}
        self.known_authorities: dict[tuple[str, str, str], str] = {}  # (name, kind, country) -> id
        self.known_products: dict[str, str] = {}
        self.preview_left = preview_rows

    # --- header -----------------------------------------------------------------------------

    def read_header(self, line: int, header: list[str]) -> None:
        names = [name.strip().lower() for name in header]
        if not any(names):
            raise _FileError(
                RowError(
                    line,
                    "",
                    "",
                    "a blank line where the header belongs: the first line must name the columns",
                )
            )
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
        if problems:
            for name, reason in problems[:-1]:
                self.result.add_error(line, name, "", reason)
            raise _FileError(RowError(line, problems[-1][0], "", problems[-1][1]))
        self.width = len(names)
        self.present = [name for name in COLUMNS if name in names]
        # Absent columns read the "" that _read_rows appends to every record.
        self.fields = itemgetter(*[names.index(name) if name in names else -1 for name in COLUMNS])
        self.unnamed = [position for position, name in enumerate(names) if not name]
        self.result.columns = self.present  # the order of the preview's values
        # What _fast_rows reads: where each DESIGN column is in a line (None: absent), and the
        # other columns (the extra ones and any unnamed), which its rows must leave empty.
        others = [names.index(name) for name in EXTRA_COLUMNS if name in names] + self.unnamed
        # An exported file's versions: checked a column at a time too (see _version).
        self.version_position = names.index(VERSION_COLUMN) if VERSION_COLUMN in names else None
        self.design_positions = [names.index(name) if name in names else None for name in DESIGN_COLUMNS]
        self.other_positions = others

    # --- rows -------------------------------------------------------------------------------

    def read_rows(self, chunks: Iterator[Chunk], writer: _Writer) -> None:
        """The hot loop: check each record, batch the good rows, write each batch.

        A million rows run through it, so the common row takes a short cut (``_fast_rows``,
        a chunk and a column at a time): when each of its raw values is one that an earlier row,
        checked in full by ``_check_record``, got through unchanged (the same country, type,
        status... spelled the same way, a date or count already seen, a known authority), the
        outcome of those checks is known and only the reference is new. Any other row, and any
        row with a problem, is checked in full, so every error and its message come from one
        place.
        """
        result = self.result
        batch: list[tuple] = []  # (line, row, status in the file)
        rejected: list[tuple[int, str]] = []  # (line, reference) of rows with errors

        def flush() -> None:
            nonlocal batch, rejected
            self._flush(batch, rejected, writer)
            batch, rejected = [], []

        text_tail = writer.text_tail() if writer.takes_text and not writer.may_exist() else None
        self.trusting = text_tail is not None and not self.keep_references
        for lines, records, fast in self._pieces(chunks, text_tail):
            if self.left_to_index and not result.ok:
                raise _ReadAgain  # the second reading lists every error, duplicates included
            if lines is None:  # lines of text for write_text(), in the order of the file
                if batch or rejected:
                    flush()
                self._write_text(writer, *fast)
            elif fast is not None:
                result.rows += len(fast)
                batch += fast  # (it may outgrow batch_size by a chunk: one flush takes it all)
                if len(batch) + len(rejected) >= self.batch_size:
                    flush()
            else:
                for line, record in zip(lines, records, strict=True):
                    self._check_record(line, record, batch, rejected)
                    if len(batch) + len(rejected) >= self.batch_size:
                        flush()
        flush()

    def _write_text(self, writer: _Writer, text: str, count: int, held: int) -> None:
        """Rows _fast_rows checked, as COPY text: written unless an error stopped the writing."""
        result = self.result
        result.rows += count
        if result.ok:
            if not self.dry_run:
                writer.write_text(text)
            result.created += count
            result.held += held
        if self.progress is not None:
            self.progress(result.rows, time.monotonic() - self.started)

    def _pieces(self, chunks: Iterator[Chunk], text_tail: str | None) -> Iterator[tuple]:
        """The chunks, in the order of the file, as pieces for read_rows: (line numbers, records,
        None) for the row loop, or rows checked by ``_fast_rows``: ((), (), rows), or with a
        ``text_tail``, (None, None, (text, rows, held rows)) of lines for writer.write_text()."""
        for lines, records, plain in chunks:
            checked = self._fast_rows(lines, records, plain, text_tail)
            if checked is None:
                yield lines, records_of(plain) if records is None else records, None
                continue
            render, misses = checked
            start = 0
            for miss in [*misses, len(lines)]:
                if start < miss:
                    yield render(slice(start, miss))
                if miss < len(lines):
                    part = slice(miss, miss + 1)
                    yield lines[part], records_of(plain[part]) if records is None else records[part], None
                start = miss + 1

    def _fast_rows(
        self,
        lines: Sequence[int],
        records: list[list[str]] | None,
        plain: list[str] | None,
        text_tail: str | None,
    ) -> tuple[Callable[[slice], tuple], list[int]] | None:
        """A chunk (its plain lines, or the records csv.reader read) checked a column at a time:
        what gives the pieces of its good rows (see _pieces), and the positions of the records
        left to the row loop; None leaves it all to the row loop.

        The short cut of ``read_rows``, applied with set and map operations over each column
        instead of a Python loop over rows (about twice as fast).
        A record with a value not met before is left to the row loop, which checks it in full
        and learns its spellings. Any doubt about the chunk (a record with too few or too many
        fields, a reference seen before or not as stored) leaves the whole chunk to it, and so
        does a chunk with more than a quarter of such records (the file is still being learnt).
        Only the references of the rows returned are marked as seen (none while ``trusting``:
        a reference repeated then is left to the unique index).
        """
        count = len(plain if records is None else records)
        width = self.width
        if self.preview_left or not count:
            return None
        # Each record has exactly `width` fields (a blank, short or long one takes the row loop).
        if records is not None:
            if set(map(len, records)) != {width}:
                return None
            fields, stride = list(itertools.chain.from_iterable(records)), width
        else:
            # Split all lines at once, each followed by a field "\n" (no line holds a newline).
            # Those count newlines are where every record's field `width` would be only if each
            # line has exactly width - 1 commas: one split, no count of commas line by line.
            fields, stride = (",\n,".join(plain) + ",\n").split(","), width + 1
            if len(fields) != count * stride or fields[width::stride].count("\n") != count:
                return None
        blank = [""] * count

        def column(position: int | None) -> list[str]:
            return blank if position is None else fields[position::stride]

        (
            references,
            country,
            received,
            request_type,
            accounts,
            authority,
            authority_kind,
            legal_process,
            product,
            status,
            outcome,
            decided,
        ) = map(column, self.design_positions)
        # References: not seen before (unless trusting), unique in the chunk, and as the row loop
        # would store them (not empty, not too long, no surrounding spaces, no NUL, no "'" of a
        # protected formula), and for COPY text with nothing to escape.
        unique = set(references)
        joined = "".join(references)
        if (
            len(unique) != count
            or (not self.trusting and not self.seen.isdisjoint(unique))
            or "" in unique
            or max(map(len, references)) > _MAX_REFERENCE
            or "'" in joined
            or "\x00" in joined
            or references != list(map(str.strip, references))
            or (text_tail is not None and _COPY_SPECIAL.search(joined))
        ):
            return None
        # A decision is not before receipt: decided < received holds exactly where decided is "".
        undecided = list(map(not_, decided))
        if list(map(lt, decided, received)) != undecided:
            return None
        # Values met before: a verdict, count, authority, product and dates a full check passed.
        good_date = self.good_dates.__contains__
        verdicts = list(
            map(
                self.verdicts.get,
                zip(country, request_type, legal_process, status, outcome, undecided, strict=True),
                itertools.repeat(_UNKNOWN),
            )
        )
        codes = list(map(itemgetter(0), verdicts))
        counts = list(map(self.good_counts.get, accounts))
        authority_ids = list(
            map(self.known_authorities.get, zip(authority, authority_kind, codes, strict=True))
        )
        if self.new_authorities:
            # Placeholders of authorities the next flush creates: that flush may come between
            # these rows (after a line left to the row loop), so such rows are left to it too.
            authority_ids = [None if id_ and id_[:4] == _NEW else id_ for id_ in authority_ids]
        products = list(map(self.known_products.get, product))
        # Values in the other columns (the extra ones, unnamed ones) need the row loop.
        others = [fields[position::stride] for position in self.other_positions]
        plain_others = list(map(not_, map(any, zip(*others, strict=True)))) if others else [True] * count
        if self.version_position is not None:
            versions = fields[self.version_position :: stride]
            if not self.good_versions.issuperset(filter(None, versions)):
                good_version = self.good_versions.__contains__
                plain_others = list(
                    map(and_, plain_others, map(or_, map(not_, versions), map(good_version, versions)))
                )
        good_dates = self.good_dates
        if (
            None in codes  # an unknown verdict
            or None in counts
            or None in authority_ids
            or None in products
            or not good_dates.issuperset(received)
            or not good_dates.issuperset(filter(None, decided))
            or False in plain_others
        ):
            good = list(
                map(
                    all,
                    zip(
                        codes,
                        counts,
                        authority_ids,
                        map(is_not, products, itertools.repeat(None)),
                        map(good_date, received),
                        map(or_, undecided, map(good_date, decided)),
                        plain_others,
                        strict=True,
                    ),
                )
            )
            misses = list(itertools.compress(itertools.count(), map(not_, good)))
            if len(misses) > count // 4:
                # Still learning: the row loop takes the chunk in whole batches, so that new
                # authorities are created (pausing the COPY) a batch at a time, not a few rows.
                return None
        else:
            misses = []
        if self.trusting:
            self.left_to_index = True  # (not kept: see __init__)
        elif misses:
            self.seen.update(itertools.compress(references, good))
            self.seen_order += itertools.compress(references, good)
            self.seen_lines.extend(itertools.compress(lines, good))
        else:
            self.seen |= unique
            self.seen_order += references
            self.seen_lines.extend(lines)
        if text_tail is not None:
            # Lines of BULK_FIELDS: the reference, what the verdict decided, then the rest.
            columns = (
                references,
                list(map(itemgetter(7), verdicts)),
                authority_ids,
                products,
                counts,
                received,
                list(map(_NULL_IF_BLANK.get, decided, decided)),
            )
            holding = bool(self.holding)

            def text(part: slice) -> tuple:
                parts = [column[part] for column in columns]
                rows = len(parts[0])
                held = rows - list(map(itemgetter(5), verdicts[part])).count(N) if holding else 0
                lines = text_tail.join(map("\t".join, zip(*parts, strict=True))) + text_tail
                return None, None, (lines, rows, held)

            return text, misses
        constant = itertools.repeat
        rows = list(
            zip(
                lines,
                zip(
                    references,
                    codes,
                    authority_ids,
                    map(itemgetter(1), verdicts),  # request_type
                    map(itemgetter(2), verdicts),  # legal_process
                    products,
                    counts,
                    received,
                    constant(N),  # acknowledged_on
                    map(itemgetter(3), verdicts),  # status
                    map(itemgetter(4), verdicts),  # outcome
                    constant(""),  # disclosure
                    constant(""),  # outcome_reason
                    constant(""),  # pause_exception
                    constant(""),  # user_notification
                    constant(N),  # notification_delayed_until
                    map(_NULL_IF_BLANK.get, decided, decided),  # decided_on
                    constant(N),  # assignee_id
                    map(itemgetter(5), verdicts),  # held_by_id
                    constant(""),  # internal_notes
                    strict=False,  # (the constants repeat without end)
                ),
                map(itemgetter(6), verdicts),  # the status the file gives
                strict=True,
            )
        )
        return (lambda part: ((), (), rows[part])), misses

    def _check_record(self, line: int, record: list[str], batch: list[tuple], rejected: list[tuple]) -> None:
        """Check one record in full: report each problem, or add the row to the batch.

        A row that passes teaches ``_fast_rows`` its short cut: the verdict on its combination of
        country, type, legal process, status and outcome, its authority and its product, keyed
        by the values as the file spells them."""
        result = self.result
        add = result.add_error
        if len(record) != self.width:
            self._odd_record(line, record)
            return
        record.append("")  # what the absent columns read
        raw = self.fields(record)
        (
            reference,
            country,
            received,
            request_type,
            accounts,
            authority,
            authority_kind,
            legal_process,
            product,
            status,
            outcome,
            decided,
            acknowledged,
            disclosure,
            outcome_reason,
            pause_exception,
            user_notification,
            delayed_until,
            assignee,
            internal_notes,
            version,
        ) = map(str.strip, raw)
        if not reference and self._blank(record):
            return
        # Free text that our own export protected from formula injection ("'=...", see
        # exports.csv_safe) is stored as it was; the other columns never start with "'".
        if "'" in (reference[:1], authority[:1], product[:1], assignee[:1], internal_notes[:1]):
            reference, authority, product, assignee, internal_notes = (
                csv_unescape(text).strip()
                for text in (reference, authority, product, assignee, internal_notes)
            )
        result.rows += 1
        errors_before = result.error_count
        seen, good_dates, countries_ = self.seen, self.good_dates, self.countries
        statuses, types, outcomes, processes = _STATUSES, _REQUEST_TYPES, _OUTCOMES, _LEGAL_PROCESSES

        if not reference or len(reference) > _MAX_REFERENCE or "\x00" in reference:
            self._bad_reference(line, reference)
        elif reference in seen:
            first = self._first_line(reference)
            add(line, "reference", reference, f"duplicate reference: already on line {first} of this file")
        else:
            seen.add(reference)
            self.seen_order.append(reference)
            self.seen_lines.append(line)
        code = country if country in countries_ else country.upper()
        if code not in countries_:
            self._bad_country(line, country)
        if received not in good_dates:
            self._date(line, "received_on", received, required=True)
        if request_type not in types:
            request_type = self._choice(line, "request_type", request_type, types, "request type")
        count = self.good_counts.get(accounts) or self._count(line, accounts)
        if not status:
            status = _RECEIVED
        elif status not in statuses:
            status = self._choice(line, "status", status, statuses, "status")
        if outcome and outcome not in outcomes:
            outcome = self._choice(line, "outcome", outcome, outcomes, "outcome")
        if decided:
            if decided not in good_dates:
                self._date(line, "decided_on", decided)
            if decided < received and decided in good_dates and received in good_dates:
                add(line, "decided_on", decided, f"a decision before receipt (received on {received})")
        else:
            decided = N
        if status == _COMPLETED:
            if not outcome or decided is N:
                self._incomplete(line, outcome, decided)
        elif outcome and status in statuses:
            add(line, "outcome", outcome, f"an outcome without completion: the status is {status!r}")
        if legal_process:
            if legal_process not in processes or request_type != _LEGAL:
                legal_process = self._legal_process(line, legal_process, request_type)
        if product and (len(product) > _MAX_PRODUCT or "\x00" in product):
            add(line, "product", product, f"longer than {_MAX_PRODUCT} characters or contains NUL")
        if acknowledged:
            self._acknowledged(line, acknowledged, received)
        else:
            acknowledged = N
        if disclosure or outcome_reason or pause_exception or user_notification or delayed_until:
            disclosure, outcome_reason, pause_exception, user_notification = self._decision_details(
                line,
                outcome,
                disclosure,
                outcome_reason,
                pause_exception,
                user_notification,
                delayed_until,
            )
        if not delayed_until:
            delayed_until = N
        if internal_notes and "\x00" in internal_notes:
            add(line, "internal_notes", "", "contains a NUL character")
        if version:
            self._version(line, version)
        if self.unnamed:
            self._unnamed_values(line, record)
        authority_id = N
        if authority:
            known = self.authorities.get((authority, code))
            if known is None or (authority_kind and authority_kind != known[1]):
                known = self._authority(line, authority, code, authority_kind)
            if known is not None:
                authority_id = known[0]
        elif authority_kind:
            add(line, "authority_kind", authority_kind, "an authority kind without an authority name")
        assignee_id = N
        if assignee:
            assignee_id = self.users.get(assignee) or self._unknown_user(line, assignee)

        if result.error_count == errors_before:
            file_status = status
            held_by_id = N
            if status in _HOLD_CANDIDATES:
                held_by_id = self.holding.get((code, request_type), N)
                if held_by_id is not N:
                    status = _ON_HOLD
                elif status == _ON_HOLD:
                    self.unheld_on_hold.add(line)
            row = (
                reference,
                code,
                authority_id,
                request_type,
                legal_process,
                product,
                count,
                received,
                acknowledged,
                status,
                outcome,
                disclosure,
                outcome_reason,
                pause_exception,
                user_notification,
                delayed_until,
                decided,
                assignee_id,
                held_by_id,
                internal_notes,
            )
            batch.append((line, row, file_status))
            if line not in self.unheld_on_hold:
                self._learn(raw, code, row, file_status)
        elif reference and self.seen_lines and self.seen_lines[-1] == line:
            # Checked against the database too, so that one pass reports every problem.
            rejected.append((line, reference))
        if self.preview_left:
            self.preview_left -= 1
            self._preview(line, record, batch[-1][1] if batch and batch[-1][0] == line else None)

    def _first_line(self, reference: str) -> int:
        """The line on which ``reference`` first appeared (it has been seen)."""
        first_lines = self.first_lines
        if reference not in first_lines:
            # Index the references seen since the last duplicate (a file without any pays nothing).
            start = self.first_lines_upto
            for seen, line in zip(self.seen_order[start:], self.seen_lines[start:], strict=True):
                first_lines.setdefault(seen, line)
            self.first_lines_upto = len(self.seen_order)
        return first_lines[reference]

    def _learn(self, raw: tuple, code: str, row: tuple, file_status: str) -> None:
        """Remember what the full check of a good row concluded, for _fast_rows's short cut."""
        if len(self.verdicts) + len(self.known_authorities) + len(self.known_products) >= _SHORT_CUT_ENTRIES:
            return  # a file of endless spellings: the short cut stops learning, nothing else changes
        country, request_type, legal_process, status, outcome, decided = itemgetter(1, 3, 7, 9, 10, 11)(raw)
        if (not decided) != (row[_R["decided_on"]] is N):
            return  # a blank of spaces: left to the full check
        decided_fields = (
            code,
            row[_R["request_type"]],
            row[_R["legal_process"]],
            row[_R["status"]],
            row[_R["outcome"]],
            row[_R["held_by_id"]],
        )
        # ... and the same as the middle of a line of BULK_FIELDS (these values need no escaping).
        self.verdicts[(country, request_type, legal_process, status, outcome, not decided)] = (
            *decided_fields,
            file_status,
            "\t".join(decided_fields),
        )
        self.known_authorities[(raw[5], raw[6], code)] = row[_R["authority_id"]]
        product = row[_R["product"]]
        if not _COPY_SPECIAL.search(product):  # (write_text takes it as it is)
            self.known_products[raw[8]] = product

    # --- the uncommon paths of one row ------------------------------------------------------

    def _odd_record(self, line: int, record: list[str]) -> None:
        if any(value.strip() for value in record):
            self.result.rows += 1
            self.result.add_error(
                line, "", "", f"{len(record)} fields, but the header names {self.width} columns"
            )
        else:
            self.result.blank_lines += 1

    def _blank(self, record: list[str]) -> bool:
        """A row of empty cells (spreadsheets leave them) is skipped like an empty line."""
        if any(value.strip() for value in record):
            return False
        self.result.blank_lines += 1
        return True

    def _bad_country(self, line: int, country: str) -> None:
        reason = "unknown country; use its ISO 3166-1 alpha-2 code, e.g. HK" if country else "required"
        self.result.add_error(line, "country", country, reason)

    def _legal_process(self, line: int, legal_process: str, request_type: str) -> str:
        if legal_process not in _LEGAL_PROCESSES:
            legal_process = self._choice(
                line, "legal_process", legal_process, _LEGAL_PROCESSES, "legal process"
            )
        if request_type != _LEGAL and request_type in _REQUEST_TYPES:
            self.result.add_error(
                line, "legal_process", legal_process, "only a legal_process request has a legal process"
            )
        return legal_process

    def _unknown_user(self, line: int, username: str) -> str:
        self.result.add_error(line, "assignee", username, "no user with this username")
        return N

    def _bad_reference(self, line: int, reference: str) -> None:
        if not reference:
            reason = "required: every request needs its case reference"
        elif "\x00" in reference:
            reason = "contains a NUL character"
        else:
            reason = f"longer than {_MAX_REFERENCE} characters"
        self.result.add_error(line, "reference", reference, reason)

    def _date(
        self, line: int, column: str, value: str, *, required: bool = False, later_ok: bool = False
    ) -> None:
        """Check a date not seen before; good ones are remembered. Only a notification delay
        may lie after today: a request cannot be received, acknowledged or decided tomorrow."""
        if not value:
            if required:
                self.result.add_error(line, column, "", "required: the date the request was received")
            return
        problem = _date_problem(value)
        if problem:
            self.result.add_error(line, column, value, problem)
        elif value <= self.today_iso:
            self.good_dates.add(value)
        elif later_ok:
            self.good_later_dates.add(value)
        else:
            self.result.add_error(line, column, value, f"in the future: today is {self.today_iso}")

    def _count(self, line: int, value: str) -> str:
        count, problem = _count(value)
        if problem:
            self.result.add_error(line, "accounts_specified", value, problem)
        else:
            self.good_counts[value] = count
        return count

    def _choice(self, line: int, column: str, value: str, allowed: frozenset[str], kind: str) -> str:
        """A choice written in another case is accepted; anything else is an error."""
        if value.lower() in allowed:
            return value.lower()
        if not value:
            self.result.add_error(line, column, "", f"required: the {kind}")
        else:
            self.result.add_error(
                line, column, value, f"unknown {kind}; use one of: {', '.join(sorted(allowed))}"
            )
        return value

    def _incomplete(self, line: int, outcome: str, decided: str) -> None:
        if not outcome:
            self.result.add_error(line, "outcome", "", "a completed request needs an outcome")
        if decided is N:
            self.result.add_error(line, "decided_on", "", "a completed request needs a decision date")

    def _acknowledged(self, line: int, acknowledged: str, received: str) -> None:
        if acknowledged not in self.good_dates:
            self._date(line, "acknowledged_on", acknowledged)
        good = self.good_dates
        if acknowledged in good and received in good and acknowledged < received:
            self.result.add_error(
                line, "acknowledged_on", acknowledged, f"acknowledged before receipt (received on {received})"
            )

    def _decision_details(self, line, outcome, disclosure, reason, exception, notification, delayed_until):
        add = self.result.add_error
        if disclosure and disclosure not in _DISCLOSURES:
            disclosure = self._choice(line, "disclosure", disclosure, _DISCLOSURES, "disclosure")
        if reason and reason not in _OUTCOME_REASONS:
            reason = self._choice(line, "outcome_reason", reason, _OUTCOME_REASONS, "outcome reason")
        if exception:
            if exception not in _PAUSE_EXCEPTIONS:
                exception = self._choice(
                    line, "pause_exception", exception, _PAUSE_EXCEPTIONS, "pause exception"
                )
            if outcome not in _PRODUCED:
                add(
                    line,
                    "pause_exception",
                    exception,
                    "a pause exception is only recorded for a completed request that produced data",
                )
        if notification and notification not in _USER_NOTIFICATIONS:
            notification = self._choice(
                line, "user_notification", notification, _USER_NOTIFICATIONS, "user notification"
            )
        if delayed_until and not (delayed_until in self.good_dates or delayed_until in self.good_later_dates):
            self._date(line, "notification_delayed_until", delayed_until, later_ok=True)
        if notification == _DELAYED and not delayed_until:
            add(line, "notification_delayed_until", "", "give the date until which notification is delayed")
        return disclosure, reason, exception, notification

    def _version(self, line: int, version: str) -> None:
        if not (version.isascii() and version.isdigit()) or not 1 <= int(version) <= _MAX_COUNT:
            self.result.add_error(
                line,
                VERSION_COLUMN,
                version,
                "not a version of a request (a whole number from 1, as exported)",
            )
        elif self.update:
            # Compared with its request's when the update is applied. Never learnt: so
            # _fast_rows leaves every row with a version to this loop, which notes it here.
            self.file_versions[line] = int(version)
        elif len(self.good_versions) < _SHORT_CUT_ENTRIES:
            self.good_versions.add(version)

    def _unnamed_values(self, line: int, record: list[str]) -> None:
        for position in self.unnamed:
            if record[position].strip():
                self.result.add_error(
                    line, "", record[position].strip(), f"a value in column {position + 1}, which has no name"
                )

    def _authority(self, line: int, name: str, country: str, kind: str) -> tuple[str, str] | None:
        """Find the authority by (name, country), or plan its creation with the batch.

        A new authority gets a placeholder id, replaced in its rows when the batch creates the
        authorities it met (``_create_authorities``). It takes the first kind the file states for
        it, wherever that row is ("other" if none does); a kind contradicting a known one is an
        error. (Known as kind "" meanwhile: one this import creates, whose kind is not stated yet.)
        """
        add = self.result.add_error
        if len(name) > _MAX_AUTHORITY or "\x00" in name:
            add(line, "authority", name, f"longer than {_MAX_AUTHORITY} characters or contains NUL")
            return None
        if kind and kind not in _AUTHORITY_KINDS:
            if kind.lower() not in _AUTHORITY_KINDS:
                self._choice(line, "authority_kind", kind, _AUTHORITY_KINDS, "authority kind")
                return None
            kind = kind.lower()
        if country not in self.countries:
            return None
        known = self.authorities.get((name, country))
        if known is None:
            placeholder = f"{_NEW}{len(self.new_authorities)}"
            self.new_authorities[placeholder] = (name, country, kind or _OTHER_KIND)
            known = self.authorities[(name, country)] = (placeholder, kind)
        elif kind and not known[1]:
            if known[0][:4] == _NEW:
                self.new_authorities[known[0]] = (name, country, kind)
            elif kind != _OTHER_KIND:  # created by an earlier batch as "other"; set at the end
                self.stated_kinds[known[0]] = kind
            known = self.authorities[(name, country)] = (known[0], kind)
        if kind and kind != known[1]:
            add(line, "authority_kind", kind, f"{name} ({country}) is recorded as '{known[1]}', not '{kind}'")
            return None
        return known

    def apply_stated_kinds(self) -> None:
        """The kinds stated after their authority was created (as "other"), with history."""
        for authority in Authority.objects.filter(pk__in=list(self.stated_kinds)):
            authority.kind = self.stated_kinds[str(authority.pk)]
            authority._change_reason = "kind stated later in the same import"
            authority._history_user = self.actor
            authority.save(update_fields=["kind"])

    def _create_authorities(self, writer: _Writer) -> dict[str, str]:
        """Create the authorities first met in this batch; placeholder -> real id."""
        planned, self.new_authorities = self.new_authorities, {}
        writer.pause()
        found, created = services.authorities_create_bulk(
            authorities=[(name, country, kind) for name, country, kind in planned.values()], actor=self.actor
        )
        ids = {}
        for placeholder, (name, country, _) in planned.items():
            authority = found[(name, country)]
            ids[placeholder] = str(authority.pk)
            # Its kind stays open ("") while the file has not stated one, if this import created
            # it; one someone else created meanwhile has theirs.
            stated = self.authorities[(name, country)][1] or (name, country) not in created
            self.authorities[(name, country)] = (str(authority.pk), authority.kind if stated else "")
        for key, authority_id in self.known_authorities.items():
            if authority_id[:4] == _NEW:
                self.known_authorities[key] = ids[authority_id]
        return ids

    def _preview(self, line: int, record: list[str], row: tuple | None) -> None:
        """The row as it will be stored (or, if it has errors, as the file has it)."""
        shown = dict(zip(COLUMNS, map(str.strip, self.fields(record)), strict=True))
        if row is not None:
            for column in (
                "country",
                "request_type",
                "accounts_specified",
                "legal_process",
                "status",
                "outcome",
            ):
                shown[column] = row[_R[column]]
        self.result.preview.append((line, [shown[name] for name in self.present]))

    def _flush(self, batch: list[tuple], rejected: list[tuple[int, str]], writer: _Writer) -> None:
        result = self.result
        checked = batch
        if self.new_authorities:
            ids = self._create_authorities(writer)
            position = _R["authority_id"]
            for i, (line, row, file_status) in enumerate(batch):
                if row[position][:4] == _NEW:
                    batch[i] = (
                        line,
                        (*row[:position], ids[row[position]], *row[position + 1 :]),
                        file_status,
                    )
        existing = (
            writer.existing([row[0] for _, row, _ in batch] + [reference for _, reference in rejected])
            if writer.may_exist()
            else set()
        )
        if not self.update:
            for line, reference in rejected:
                if reference in existing:
                    result.add_error(line, "reference", reference, _ALREADY_THERE)
        to_update = []
        if not existing and not self.unheld_on_hold:  # the common case, a million times over
            to_create = [row for _, row, _ in batch]
            batch = []
        else:
            to_create = []
        for line, row, file_status in batch:
            reference = row[0]
            if reference in existing:
                if self.update:
                    to_update.append((line, row, file_status))
                else:
                    result.add_error(line, "reference", reference, _ALREADY_THERE)
            elif line in self.unheld_on_hold:
                result.add_error(
                    line,
                    "status",
                    file_status,
                    f"no pause decision in force on {self.today} holds {row[1]} {row[3]} requests; "
                    f"import it as received or in_review",
                )
            else:
                to_create.append(row)
        if to_update:
            if writer.defers_updates:
                self.deferred_updates.extend(to_update)
            else:
                self.apply_updates(to_update)
        if to_create and result.ok:
            try:
                if not self.dry_run:
                    writer.write(to_create)
            except DatabaseError as error:
                if writer.defers_updates:
                    raise
                self._report_refused_write(checked, to_create, error)
            else:
                result.created += len(to_create)
                result.held += (
                    sum(1 for row in to_create if row[_R["held_by_id"]] is not N) if self.holding else 0
                )
        self.unheld_on_hold.clear()
        if self.progress is not None:
            self.progress(result.rows, time.monotonic() - self.started)

    def _report_refused_write(self, batch: list[tuple], rows: list[tuple], error: DatabaseError) -> None:
        """The database refused rows the checks had passed (its constraints are the backstop):
        references someone saved while the file was read, named by line, or else a rule this
        module missed, for the lines of the batch."""
        lines = {row[0]: line for line, row, _ in batch}
        taken = _stored_references([row[0] for row in rows])
        for reference in sorted(taken, key=lines.__getitem__):
            self.result.add_error(
                lines[reference],
                "reference",
                reference,
                f"{_SAVED_MEANWHILE} ({'import the file again' if self.update else 'import with --update'} "
                "to update it)",
            )
        if not taken:
            self.result.add_error(
                None,
                "",
                "",
                f"the database refused lines {min(lines.values())}-{max(lines.values())}: "
                f"{_first_line(error)}",
            )

    # --- updates (--update) -----------------------------------------------------------------

    def apply_updates(self, rows: list[tuple]) -> None:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            by_reference = DataRequest.objects.select_related("held_by").in_bulk(
                [row[0] for _, row, _ in chunk], field_name="reference"
            )
            for line, row, file_status in chunk:
                try:
                    changed = self._update_one(
                        by_reference[row[0]], row, file_status, self.file_versions.get(line)
                    )
                except ValidationError as error:
                    self._report_refusal(line, row[0], error)
                    continue
                if changed:
                    self.result.updated += 1
                else:
                    self.result.unchanged += 1

    def _update_one(self, request: DataRequest, row: tuple, file_status: str, version: int | None) -> bool:
        """Apply the file's values to an existing request through the workflow services.

        A file that gives the version it was exported at changes only a request still at that
        version: a colleague's later edit is refused, never overwritten by the older values."""
        wanted = {}
        for column in self.present:
            if column not in ("authority_kind", VERSION_COLUMN):
                position = _R[_ATTRIBUTE[column]]
                wanted[column] = typed(position, row[position])
        if "status" in wanted:
            wanted["status"] = file_status
        if all(_current(request, column) == value for column, value in wanted.items()):
            return False
        if version is not None and version != request.version:
            raise ValidationError(
                {
                    VERSION_COLUMN: (
                        "changed in the database after this file was "
                        f"exported (the file has version {version}, the database {request.version}); "
                        f"export it again and make the changes there"
                    )
                },
                code="stale",
            )
        actor = self.actor
        status = wanted.pop("status", request.status)
        if status != request.status:
            if status == _COMPLETED:
                if request.status == S.RECEIVED:
                    # The workflow decides only reviewed requests: take the same two steps.
                    request = services.request_start_review(request=request, actor=actor)
                decision = {
                    name: wanted.pop(name, _current(request, name))
                    for name in ("outcome", "decided_on", "outcome_reason", "disclosure", "pause_exception")
                }
                request = services.request_complete(request=request, actor=actor, **decision)
            elif status == S.IN_REVIEW:
                request = services.request_start_review(request=request, actor=actor)
            elif status == S.WITHDRAWN:
                request = services.request_withdraw(request=request, actor=actor)
            else:
                services.request_transition_check(request=request, status=status)
        # Compared again after the move: starting a review fills in acknowledged_on and the
        # assignee when they are empty, and the file has the last word on both.
        changes = {
            _ATTRIBUTE[column]: value
            for column, value in wanted.items()
            if _current(request, column) != value
        }
        final = sorted({"outcome", "decided_on", "pause_exception"} & changes.keys())
        if final:
            raise ValidationError(
                f"{request.reference} is '{request.get_status_display()}' in the database and the file "
                f"changes its {', '.join(final)}: a decision is final and import does not rewrite it.",
                code="decision_final",
            )
        if changes:
            services.request_update(request=request, actor=actor, **changes)
        return True

    def _report_refusal(self, line: int, reference: str, error: ValidationError) -> None:
        columns = {attribute: column for column, attribute in _ATTRIBUTE.items()}
        if hasattr(error, "error_dict"):
            for attribute, messages in error.message_dict.items():
                for message in messages:
                    self.result.add_error(
                        line, columns.get(attribute, attribute), "", f"{reference}: {message}"
                    )
        else:
            for message in error.messages:
                self.result.add_error(line, "", reference, message)


def _current(request: DataRequest, column: str):
    if column == "country":
        return request.country.code
    return getattr(request, _ATTRIBUTE[column])


def _stored_references(references: list[str]) -> set[str]:
    """Which of ``references`` are in the table (asked 500 at a time)."""
    found: set[str] = set()
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        found.update(DataRequest.objects.filter(reference__in=chunk).values_list("reference", flat=True))
    return found


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _size_of(source: BinaryIO) -> int | None:
    """Bytes from where the stream is to its end, if it can be rewound (see _position)."""
    position = _position(source)
    if position is None:
        return None
    try:
        size = source.seek(0, io.SEEK_END)
        source.seek(position)
        return size - position
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


def import_requests(
    source: BinaryIO,
    *,
    file_name: str = "",
    update: bool = False,
    dry_run: bool = False,
    actor=None,
    origin: str = ImportRun.Source.COMMAND,
    today: datetime.date | None = None,
    batch_size: int = BATCH_SIZE,
    max_errors: int = MAX_ERRORS,
    preview_rows: int = 0,
    progress: Callable[[int, float], None] | None = None,
    bulk_load: bool | None = None,
    reading_again: Callable[[], None] | None = None,
) -> ImportResult:
    """Import every row of a CSV file (a binary stream) in one transaction, or nothing if one is wrong.

    Rows are read, checked and written in batches; an error stops the writing but not the
    checking, so every problem is reported in one run. An existing reference is an error unless
    ``update``, which changes that request through the workflow services (with history).
    ``dry_run`` does everything, then rolls back. New requests are held by the pause decisions
    in force on ``today``, by the rule ``request_create`` applies. ``bulk_load`` forces (or, with
    False, forbids) the PostgreSQL bulk-load strategy; by default large files use it.
    ``progress(rows, seconds)`` is called as rows are read. A file with errors may be read a
    second time (see below): ``reading_again()`` is called first, and the rows count from 0.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    # The audit record needs a name: the stream's own (an open file's), or a stand-in.
    name = getattr(source, "name", None)
    file_name = file_name or (os.path.basename(name) if isinstance(name, str) else "") or "(unnamed stream)"
    options = dict(
        file_name=file_name,
        update=update,
        dry_run=dry_run,
        actor=actor,
        origin=origin,
        today=today or timezone.localdate(),  # the same day for both readings
        batch_size=batch_size,
        max_errors=max_errors,
        preview_rows=preview_rows,
        progress=progress,
        bulk_load=bulk_load,
    )
    started = time.monotonic()
    start = _position(source)
    result, read_again = _import_once(source, keep_references=start is None, **options)
    if read_again:
        # The first reading left duplicate references to the unique index, which refused one
        # without naming the lines, or stopped at another error before the index was rebuilt:
        # read the file again, keeping every reference, for the full list of problems (and
        # nothing written, as before).
        source.seek(start)
        if reading_again is not None:
            reading_again()
        result, _ = _import_once(source, keep_references=True, **options)
        result.read_twice = True
        result.seconds = time.monotonic() - started  # both readings
    return result


def _position(source: BinaryIO) -> int | None:
    """Where the stream is, if it can be read again from there (a file), else None."""
    try:
        return source.tell() if source.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _import_once(
    source: BinaryIO,
    *,
    keep_references: bool,
    file_name: str,
    update: bool,
    dry_run: bool,
    actor,
    origin: str,
    today: datetime.date,
    batch_size: int,
    max_errors: int,
    preview_rows: int,
    progress: Callable[[int, float], None] | None,
    bulk_load: bool | None,
) -> tuple[ImportResult, bool]:
    """One reading of import_requests: its result, and whether the file must be read again
    (keeping every reference) for the full list of errors."""
    result = ImportResult(file_name=file_name, dry_run=dry_run, update=update, max_errors=max_errors)
    started = time.monotonic()
    expected_bytes = _size_of(source)
    importer = None
    try:
        with transaction.atomic():
            importer = _Importer(
                result,
                update=update,
                dry_run=dry_run,
                actor=actor,
                today=today,
                batch_size=batch_size,
                preview_rows=preview_rows,
                progress=progress,
                keep_references=keep_references,
            )
            run = services.import_run_start(
                actor=importer.actor, source=origin, file_name=file_name, update_existing=update
            )
            writer = _writer_for(
                run, timezone.now(), bulk_load=False if dry_run else bulk_load, expected_bytes=expected_bytes
            )
            result.strategy = writer.strategy
            hashing = _HashingReader(source)
            try:
                _read(importer, writer, _CsvReader(source, hashing))
                if not result.ok:
                    raise _ReadAgain if importer.left_to_index else _Rollback
            except BaseException:
                if isinstance(writer, _BulkLoadWriter):
                    # Before the rollback: while a COPY is open, psycopg holds the connection's
                    # lock, and any other command (the rollback too) would wait on it for ever.
                    writer.abort()
                raise
            writer.finish()
            if importer.deferred_updates:
                importer.apply_updates(importer.deferred_updates)
            if importer.stated_kinds and result.ok:
                importer.apply_stated_kinds()
            if not result.ok or dry_run:
                raise _Rollback
            result.seconds = time.monotonic() - started
            result.run = services.import_run_finish(
                run=run,
                file_sha256=hashing.sha256.hexdigest(),
                file_size=hashing.size,
                rows=result.rows,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                held=result.held,
                blank_lines=result.blank_lines,
            )
    except _ReadAgain:
        result.run = None
        return result, True
    except _Rollback:
        result.run = None
    except DatabaseError as error:
        # The constraints are the backstop (in a bulk load they are checked as a whole, at the
        # end); nothing was written.
        result.run = None
        if importer is not None and importer.left_to_index and _refused_duplicate_reference(error):
            return result, True
        result.add_error(None, "", "", f"the database refused the import: {_first_line(error)}")
    result.seconds = time.monotonic() - started
    return result, False


def _refused_duplicate_reference(error: DatabaseError) -> bool:
    """Whether it was the unique constraint on the reference that refused the rows."""
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == "23505" and getattr(
        getattr(cause, "diag", None), "constraint_name", None
    ) in {
        constraint.name
        for constraint in DataRequest._meta.constraints
        if isinstance(constraint, UniqueConstraint) and tuple(constraint.fields) == ("reference",)
    }


def _read(importer: _Importer, writer: _Writer, reader: _CsvReader) -> None:
    # The reading loop makes no reference cycles, but its millions of short-lived tuples make
    # the cycle collector run thousands of times (~15% of the time): pause it meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        chunks = reader.chunks()
        numbers, records, lines = next(chunks, ((), [], None))
        if records is None:
            records = records_of(lines)
        if not records:
            raise _FileError(RowError(1, "", "", "the file is empty: the first line must name the columns"))
        importer.read_header(numbers[0], records[0])
        writer.columns_present(importer.present)
        importer.read_rows(itertools.chain([(numbers[1:], records[1:], None)], chunks), writer)
    except (UnicodeDecodeError, csv.Error) as error:
        problem = reader.problem(error)
        importer.result.add_error(problem.line, problem.column, problem.value, problem.reason)
    except _FileError as error:
        problem = error.args[0]
        importer.result.add_error(problem.line, problem.column, problem.value, problem.reason)
    finally:
        if collecting:
            gc.enable()


# --------------------------------------------------------------------------------------------
# Export in the same format
# --------------------------------------------------------------------------------------------

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
