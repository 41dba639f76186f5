"""The row loop: each chunk through the short cut or the full check, good rows gathered in batches,
each batch checked against the table and written."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import DatabaseError

from .authorities import Authorities, is_placeholder
from .checks import RowChecker
from .columns import N, R
from .fast import KnownValuesCheck, Passed
from .reading import Chunk, records_of
from .results import ImportResult, ReadAgain
from .updates import Updates
from .writers import Writer, stored_references

ALREADY_THERE = "already in the database (import with --update to update existing requests)"
_SAVED_MEANWHILE = "saved in the database by someone else while this file was being imported"


def first_line_of(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class BatchLoop:
    def __init__(
        self,
        result: ImportResult,
        writer: Writer,
        *,
        checker: RowChecker,
        short_cut: KnownValuesCheck,
        authorities: Authorities,
        updates: Updates,
        update: bool,
        dry_run: bool,
        batch_size: int,
        progress,
    ):
        self.result, self.writer, self.checker, self.short_cut = result, writer, checker, short_cut
        self.authorities, self.updates = authorities, updates
        # A dry run checks everything, the database included, but writes no new rows (updates
        # go through the services to be checked, and are rolled back with the rest).
        self.update, self.dry_run, self.batch_size, self.progress = update, dry_run, batch_size, progress
        self.holding = bool(checker.holding)
        self.started = time.monotonic()
        self.batch: list[tuple] = []  # (line, row, status in the file)
        self.rejected: list[tuple[int, str]] = []  # (line, reference) of rows with errors
        self.deferred_updates: list[tuple] = []

    def run(self, chunks: Iterable[Chunk]) -> None:
        """Every chunk: the rows the short cut passes, the rest checked in full, in file order."""
        for lines, records, plain in chunks:
            passed = None if self.checker.preview_left else self.short_cut.check(lines, records, plain)
            if passed is None:
                self._check(lines, records_of(plain) if records is None else records)
            else:
                self._split(passed, lines, records, plain)
        self._flush()

    def _split(self, passed: Passed, lines, records, plain) -> None:
        start = 0
        for miss in [*passed.misses, len(lines)]:
            if start < miss:
                self._take(passed, slice(start, miss))
            if miss < len(lines):
                part = slice(miss, miss + 1)
                self._check(lines[part], records_of(plain[part]) if records is None else records[part])
            start = miss + 1

    def _stop_if_reading_again(self) -> None:
        if self.short_cut.left_to_index and not self.result.ok:
            raise ReadAgain  # the second reading lists every error, duplicates included

    def _check(self, lines, records) -> None:
        self._stop_if_reading_again()
        check = self.checker.check
        for line, record in zip(lines, records, strict=True):
            check(line, record, self.batch, self.rejected)
            if len(self.batch) + len(self.rejected) >= self.batch_size:
                self._flush()

    def _take(self, passed: Passed, part: slice) -> None:
        self._stop_if_reading_again()
        result = self.result
        result.rows_checked_by_column += part.stop - part.start
        if not passed.as_text:
            rows = passed.take(part)
            result.rows += len(rows)
            self.batch += rows  # (it may outgrow batch_size by a chunk: one flush takes it all)
            if len(self.batch) + len(self.rejected) >= self.batch_size:
                self._flush()
            return
        if self.batch or self.rejected:
            self._flush()
        copy = passed.take(part)
        result.rows += copy.rows
        if result.ok:
            if not self.dry_run:
                self.writer.write_text(copy.text)
            result.created += copy.rows
            result.held += copy.held
        self._report_progress()

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(self.result.rows, time.monotonic() - self.started)

    def _flush(self) -> None:
        """Check the batch against the table, then write its new rows and apply its updates."""
        batch, rejected, self.batch, self.rejected = self.batch, self.rejected, [], []
        if self.authorities.new:
            self._create_authorities(batch)
        writer = self.writer
        references = [row[0] for _, row, _ in batch] + [reference for _, reference in rejected]
        existing = writer.existing(references) if writer.may_exist() else set()
        if not self.update:
            for line, reference in rejected:
                if reference in existing:
                    self.result.add_error(line, "reference", reference, ALREADY_THERE)
        if not existing and not self.checker.unheld_on_hold:  # the common case, a million times over
            to_create, to_update = [row for _, row, _ in batch], []
        else:
            to_create, to_update = self._sort(batch, existing)
        if to_update:
            if writer.defers_updates:
                self.deferred_updates.extend(to_update)
            else:
                self.updates.apply(to_update)
        if to_create and self.result.ok:
            self._write(batch, to_create)
        self.checker.unheld_on_hold.clear()
        self._report_progress()

    def _create_authorities(self, batch: list[tuple]) -> None:
        """Create the authorities first met in this batch, and put their ids in its rows."""
        self.writer.pause()
        ids = self.authorities.create()
        known = self.short_cut.learnt.known_authorities
        for key, authority_id in known.items():
            if is_placeholder(authority_id):
                known[key] = ids[authority_id]
        position = R["authority_id"]
        for i, (line, row, file_status) in enumerate(batch):
            if is_placeholder(row[position]):
                batch[i] = (line, (*row[:position], ids[row[position]], *row[position + 1 :]), file_status)

    def _sort(self, batch: list[tuple], existing: set[str]) -> tuple[list[tuple], list[tuple]]:
        """(rows to create, (line, row, file status) to update); the other rows are errors."""
        to_create, to_update = [], []
        unheld = self.checker.unheld_on_hold
        for line, row, file_status in batch:
            reference = row[0]
            if reference in existing:
                if self.update:
                    to_update.append((line, row, file_status))
                else:
                    self.result.add_error(line, "reference", reference, ALREADY_THERE)
            elif line in unheld:
                self.result.add_error(
                    line,
                    "status",
                    file_status,
                    f"no pause decision in force on {self.checker.today} holds {row[1]} {row[3]} requests; "
                    f"import it as received or in_review",
                )
            else:
                to_create.append(row)
        return to_create, to_update

    def _write(self, batch: list[tuple], to_create: list[tuple]) -> None:
        try:
            if not self.dry_run:
                self.writer.write(to_create)
        except DatabaseError as error:
            if self.writer.defers_updates:
                raise
            self._report_refused_write(batch, to_create, error)
        else:
            self.result.created += len(to_create)
            if self.holding:
                self.result.held += sum(1 for row in to_create if row[R["held_by_id"]] is not N)

    def _report_refused_write(self, batch: list[tuple], rows: list[tuple], error: DatabaseError) -> None:
        """The database refused rows the checks had passed (its constraints are the backstop):
        references someone saved while the file was read, named by line, or else a rule these
        checks missed, for the lines of the batch."""
        lines = {row[0]: line for line, row, _ in batch}
        taken = stored_references([row[0] for row in rows])
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
                f"{first_line_of(error)}",
            )
