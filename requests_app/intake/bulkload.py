"""The PostgreSQL bulk load: a large file into a smaller table, the way pg_restore loads data."""

from __future__ import annotations

import os
from operator import itemgetter

from django.db import OperationalError, connection, transaction

from ..models import DataRequest
from .columns import ATTRIBUTE, BULK_FIELDS, EXTRA_COLUMNS, NULLABLE, ROW_FIELDS, N, R
from .results import Rollback
from .writers import CopyWriter, copy_lines


class BulkLoadWriter(CopyWriter):
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
        """Note what the table is made of, then drop what finish() rebuilds."""
        with connection.cursor() as cursor:
            self._inspect(cursor)
            self._drop(cursor)
        self._defaults(self.shared)
        self.cursor = self.copying = self.copy = None

    def _inspect(self, cursor) -> None:
        get = DataRequest._meta.get_field
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
            [self.table, [*self.shared, *(get(ATTRIBUTE[name]).column for name in EXTRA_COLUMNS)]],
        )
        self.defaults = cursor.fetchall()  # as they were, put back by finish()

    def _drop(self, cursor) -> None:
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

    def may_exist(self):
        return bool(self.references)

    def existing(self, references):
        return self.references.intersection(references)

    def columns_present(self, columns):
        fields = [ATTRIBUTE[name] for name in EXTRA_COLUMNS if name in columns]
        absent = [ATTRIBUTE[name] for name in EXTRA_COLUMNS if name not in columns]
        self.order = itemgetter(*(R[name] for name in BULK_FIELDS + tuple(fields)))
        get = DataRequest._meta.get_field
        self.copy_sql = (
            f"COPY {self.table} ({', '.join(get(name).column for name in BULK_FIELDS + tuple(fields))}) "
            "FROM STDIN"
        )
        # What rows of text_tail() end with: the values of the extra columns when they are empty.
        self.extra_tail = "".join("\t" + (N if R[name] in NULLABLE else "") for name in fields)
        # The absent columns' values ("" or NULL, as the row loop makes them) become defaults.
        defaults = {get(name).column: "''" for name in absent if R[name] not in NULLABLE}
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
        self.write_text(copy_lines(rows, self.tail, self.order))

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
                copying.__exit__(Rollback, Rollback("import abandoned"), None)
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
            workers = index_build_workers()
            if workers is not None:
                cursor.execute(
                    "SELECT set_config('max_parallel_maintenance_workers', "
                    "LEAST(%s, current_setting('max_parallel_maintenance_workers')::int)::text, true)",
                    [workers],
                )
            # The primary key and unique constraints first: a duplicate reference that the
            # import left to the unique index (see fast.KnownValuesCheck) stops the rebuild at once.
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


def index_build_workers() -> int | None:
    """Parallel workers for each index build when PostgreSQL runs on this machine, else None
    (the server's setting stands). The leader sorts too and the importer waits meanwhile, so
    one process per core; PostgreSQL's default of two workers assumes a third core, and on two
    the three processes take turns (measured: ~15% slower)."""
    host = connection.settings_dict.get("HOST") or ""
    if host not in ("", "localhost", "127.0.0.1", "::1") and not host.startswith("/"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(cores - 1, 0)
