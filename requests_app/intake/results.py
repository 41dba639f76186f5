"""What an import did: the rows counted, the errors found (listed by line), the summary."""

from __future__ import annotations

import heapq

from ..models import ImportRun


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
        # Rows the short cut passed a column at a time; the others were checked one by one.
        self.rows_checked_by_column = 0

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


class Rollback(Exception):
    """Raised inside the transaction to roll the whole import back."""


class ReadAgain(Rollback):
    """An error while references were left to the unique index: roll back, read the file again."""


class FileError(Exception):
    """A problem with the whole file (encoding, header): reading stops there."""
