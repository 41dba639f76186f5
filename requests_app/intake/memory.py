"""What an import remembers between rows: the references read so far, and what full checks of
good rows concluded (which the short cut of ``fast.py`` reuses)."""

from __future__ import annotations

from array import array
from operator import itemgetter

from .columns import N, R

SHORT_CUT_ENTRIES = 100_000  # verdicts, authorities and products remembered, at most
_RAW_VERDICT = itemgetter(1, 3, 7, 9, 10, 11)  # country, type, process, status, outcome, decided


class References:
    """The references read so far, for duplicates within the file.

    A set costs half what a dict of first lines would at a million rows; the rare duplicate
    finds its first line in the order they came (see first_line)."""

    def __init__(self):
        self.seen: set[str] = set()
        self.order: list[str] = []
        self.lines = array("q")
        self.first_lines: dict[str, int] = {}
        self.first_lines_upto = 0  # order[:first_lines_upto] is in first_lines

    def add(self, reference: str, line: int) -> None:
        self.seen.add(reference)
        self.order.append(reference)
        self.lines.append(line)

    def add_many(self, references, lines) -> None:
        """References (and their lines) of rows the short cut passed, unique among themselves."""
        references = list(references)
        self.seen.update(references)
        self.order += references
        self.lines.extend(lines)

    def last_line(self) -> int | None:
        return self.lines[-1] if self.lines else None

    def first_line(self, reference: str) -> int:
        """The line on which ``reference`` first appeared (it has been seen)."""
        first_lines = self.first_lines
        if reference not in first_lines:
            # Index the references seen since the last duplicate (a file without any pays nothing).
            start = self.first_lines_upto
            for seen, line in zip(self.order[start:], self.lines[start:], strict=True):
                first_lines.setdefault(seen, line)
            self.first_lines_upto = len(self.order)
        return first_lines[reference]


class Learnt:
    """Values full checks passed, keyed as the file spells them."""

    def __init__(self, today_iso: str):
        self.today_iso = today_iso
        self.good_dates: set[str] = set()  # valid and not after today: any date column takes them
        self.good_later_dates: set[str] = set()  # after today: only a notification delay may be
        self.good_counts: dict[str, str] = {}
        self.good_versions: set[str] = set()
        # (country, type, legal process, status, outcome, undecided) -> the fields they decide
        self.verdicts: dict[tuple, tuple] = {}
        self.known_authorities: dict[tuple[str, str, str], str] = {}  # (name, kind, country) -> id
        self.known_products: dict[str, str] = {}

    def full(self) -> bool:
        return (
            len(self.verdicts) + len(self.known_authorities) + len(self.known_products) >= SHORT_CUT_ENTRIES
        )

    def learn(self, raw: tuple, code: str, row: tuple, file_status: str) -> None:
        """Remember what the full check of a good row concluded, for the short cut."""
        if self.full():
            return  # a file of endless spellings: the short cut stops learning, nothing else changes
        country, request_type, legal_process, status, outcome, decided = _RAW_VERDICT(raw)
        if (not decided) != (row[R["decided_on"]] is N):
            return  # a blank of spaces: left to the full check
        decided_fields = (
            code,
            row[R["request_type"]],
            row[R["legal_process_id"]],
            row[R["status"]],
            row[R["outcome"]],
            row[R["held_by_id"]],
        )
        # ... and the same as the middle of a line of BULK_FIELDS (these values need no escaping).
        self.verdicts[(country, request_type, legal_process, status, outcome, not decided)] = (
            *decided_fields,
            file_status,
            "\t".join(decided_fields),
        )
        self.known_authorities[(raw[5], raw[6], code)] = row[R["authority_id"]]
        self.known_products[raw[8]] = row[R["product_id"]]  # a managed code or N: COPY takes it as it is

    def learn_version(self, version: str) -> None:
        if len(self.good_versions) < SHORT_CUT_ENTRIES:
            self.good_versions.add(version)
