"""``import_requests``: one transaction around reading, checking and writing a file, and the
second reading that names every error when the first left duplicates to the unique index."""

from __future__ import annotations

import csv
import datetime
import gc
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.db.models import UniqueConstraint
from django.utils import timezone

from .. import jurisdictions, services
from ..models import DataRequest, ImportRun, LegalProcess, Product
from .authorities import Authorities
from .batches import BatchLoop, first_line_of
from .checks import RowChecker
from .columns import REQUEST_TYPES, read_header
from .fast import KnownValuesCheck
from .memory import Learnt, References
from .reading import CsvReader, HashingReader, position, records_of, size_of
from .results import FileError, ImportResult, ReadAgain, Rollback, RowError
from .updates import Updates
from .writers import Writer, writer_for

MAX_ERRORS = 100  # listed; the rest are counted
BATCH_SIZE = 1_000


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
    options = _Options(
        file_name=file_name,
        update=update,
        dry_run=dry_run,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        origin=origin,
        today=today or timezone.localdate(),  # the same day for both readings
        batch_size=batch_size,
        max_errors=max_errors,
        preview_rows=preview_rows,
        progress=progress,
        bulk_load=bulk_load,
    )
    started = time.monotonic()
    start = position(source)
    # A bulk load into an empty table leaves references repeated in the file to the unique index
    # (keeping a million of them costs ~0.3 s and ~120 MB) unless the file cannot be read again.
    result, read_again = _import_once(source, options, keep_references=start is None)
    if read_again:
        # The first reading left duplicate references to the unique index, which refused one
        # without naming the lines, or stopped at another error before the index was rebuilt:
        # read the file again, keeping every reference, for the full list of problems (and
        # nothing written, as before).
        source.seek(start)
        if reading_again is not None:
            reading_again()
        result, _ = _import_once(source, options, keep_references=True)
        result.read_twice = True
        result.seconds = time.monotonic() - started  # both readings
    return result


@dataclass(frozen=True)
class _Options:
    file_name: str
    update: bool
    dry_run: bool
    actor: object
    origin: str
    today: datetime.date
    batch_size: int
    max_errors: int
    preview_rows: int
    progress: Callable[[int, float], None] | None
    bulk_load: bool | None


@dataclass
class _Context:
    """What the checks need from the database, loaded once before the rows are read."""

    countries: frozenset[str]
    legal_processes: frozenset[str]  # the managed lists' codes
    products: frozenset[str]
    holding: dict[tuple[str, str], str]  # (country, type) -> the pause that holds it
    authorities: Authorities
    users: dict[str, str]

    @classmethod
    def load(cls, result: ImportResult, options: _Options) -> _Context:
        codes = jurisdictions.codes()
        holds = services.ArrivalHolds(on=options.today)  # the rule of request_create
        holding = {
            (code, request_type): str(pause.pk)
            for code in codes
            for request_type in REQUEST_TYPES
            if (pause := holds.pause_for(country=code, request_type=request_type)) is not None
        }
        User = get_user_model()
        users = {
            str(username): str(pk)
            for pk, username in User._default_manager.values_list("pk", User.USERNAME_FIELD)
        }
        return cls(
            codes,
            frozenset(LegalProcess.objects.values_list("code", flat=True)),
            frozenset(Product.objects.values_list("code", flat=True)),
            holding,
            Authorities(result, options.actor, codes),
            users,
        )


def _import_once(source: BinaryIO, options: _Options, *, keep_references: bool) -> tuple[ImportResult, bool]:
    """One reading of import_requests: its result, and whether the file must be read again
    (keeping every reference) for the full list of errors."""
    result = ImportResult(
        file_name=options.file_name,
        dry_run=options.dry_run,
        update=options.update,
        max_errors=options.max_errors,
    )
    started = time.monotonic()
    expected_bytes = size_of(source)
    loop = None
    try:
        with transaction.atomic():
            context = _Context.load(result, options)
            run = services.import_run_start(
                actor=options.actor,
                source=options.origin,
                file_name=options.file_name,
                update_existing=options.update,
            )
            bulk_load = False if options.dry_run else options.bulk_load
            writer = writer_for(run, timezone.now(), bulk_load=bulk_load, expected_bytes=expected_bytes)
            result.strategy = writer.strategy
            hashing = HashingReader(source)
            loop = _read_all(source, hashing, result, writer, context, options, keep_references)
            _finish(run, hashing, result, writer, loop, context, options, started)
    except ReadAgain:
        result.run = None
        return result, True
    except Rollback:
        result.run = None
    except DatabaseError as error:
        # The constraints are the backstop (in a bulk load they are checked as a whole, at the
        # end); nothing was written.
        result.run = None
        if loop is not None and loop.short_cut.left_to_index and _refused_duplicate_reference(error):
            return result, True
        result.add_error(None, "", "", f"the database refused the import: {first_line_of(error)}")
    result.seconds = time.monotonic() - started
    return result, False


def _read_all(source, hashing, result, writer, context, options, keep_references) -> BatchLoop | None:
    """Read and check the file, writing as it goes; raise Rollback (or ReadAgain) if it has errors."""
    reader = CsvReader(source, hashing)
    try:
        loop = _read(reader, result, writer, context, options, keep_references)
        if not result.ok:
            raise ReadAgain if loop is not None and loop.short_cut.left_to_index else Rollback
    except BaseException:
        abort = getattr(writer, "abort", None)
        if abort is not None:
            # Before the rollback: while a COPY is open, psycopg holds the connection's lock,
            # and any other command (the rollback too) would wait on it for ever.
            abort()
        raise
    return loop


def _finish(run, hashing, result, writer, loop, context, options, started) -> None:
    """Rebuild what the writer set aside, apply the updates it deferred, and record the run."""
    writer.finish()
    if loop.deferred_updates:
        loop.updates.apply(loop.deferred_updates)
    if context.authorities.stated_kinds and result.ok:
        context.authorities.apply_stated_kinds()
    if not result.ok or options.dry_run:
        raise Rollback
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


def _read(reader, result, writer: Writer, context: _Context, options: _Options, keep_references: bool):
    """The header, then the rows; a file-level problem is reported, not raised. The loop, or
    None if the rows were never reached."""
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
            raise FileError(RowError(1, "", "", "the file is empty: the first line must name the columns"))
        header = read_header(numbers[0], records[0], result)
        writer.columns_present(header.present)
        loop = _loop(result, writer, header, context, options, keep_references)
        loop.run(itertools.chain([(numbers[1:], records[1:], None)], chunks))
        return loop
    except (UnicodeDecodeError, csv.Error) as error:
        problem = reader.problem(error)
        result.add_error(problem.line, problem.column, problem.value, problem.reason)
    except FileError as error:
        problem = error.args[0]
        result.add_error(problem.line, problem.column, problem.value, problem.reason)
    finally:
        if collecting:
            gc.enable()
    return None


def _loop(result, writer, header, context: _Context, options: _Options, keep_references: bool) -> BatchLoop:
    references, learnt = References(), Learnt(options.today.isoformat())
    checker = RowChecker(
        result,
        header,
        today=options.today,
        update=options.update,
        countries=context.countries,
        legal_processes=context.legal_processes,
        products=context.products,
        holding=context.holding,
        references=references,
        learnt=learnt,
        authorities=context.authorities,
        users=context.users,
        preview_rows=options.preview_rows,
    )
    # Rows the short cut passes go to the bulk loader as COPY text, in the order of the file.
    text_tail = writer.text_tail() if writer.takes_text and not writer.may_exist() else None
    short_cut = KnownValuesCheck(
        header,
        references=references,
        learnt=learnt,
        authorities=context.authorities,
        holding=context.holding,
        text_tail=text_tail,
        # Unless told to keep them all, a bulk load into an empty table keeps only the
        # references of rows checked in full: one repeated in the file stops the rebuild of the
        # unique index at the end, and import_requests then reads the file again.
        trusting=text_tail is not None and not keep_references,
    )
    updates = Updates(
        result, actor=options.actor, present=header.present, file_versions=checker.file_versions
    )
    return BatchLoop(
        result,
        writer,
        checker=checker,
        short_cut=short_cut,
        authorities=context.authorities,
        updates=updates,
        update=options.update,
        dry_run=options.dry_run,
        batch_size=options.batch_size,
        progress=options.progress,
    )
