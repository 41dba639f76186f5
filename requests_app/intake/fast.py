"""The short cut: rows made only of values that full checks already passed, checked a column at a
time.

A million rows run through an import, and most repeat what earlier rows said: the same country,
type, status... spelled the same way, a date or count already seen, a known authority. For such
a row the outcome of every check is known (``memory.Learnt``) and only the reference is new.
``KnownValuesCheck`` finds those rows of a chunk with set and map operations over each column
instead of a Python loop over rows (about twice as fast); every other row, and any row with a
problem, is left to ``checks.RowChecker``, so every error and its message come from one place.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from operator import and_, is_not, itemgetter, lt, not_, or_

from .authorities import Authorities, is_placeholder
from .columns import COPY_SPECIAL, MAX_REFERENCE, Header, N
from .memory import Learnt, References

# False leaves every row to the full check: slower, with the same outcome (tests compare both).
SHORT_CUT = True

_UNKNOWN = (None,) * 8  # a verdict not learnt yet
_NULL_IF_BLANK = {"": N}  # .get(value, value): an optional date as COPY reads it

_CODE, _HELD, _FILE_STATUS, _BULK_MIDDLE = itemgetter(0), itemgetter(5), itemgetter(6), itemgetter(7)
_TYPE, _PROCESS, _STATUS, _OUTCOME = itemgetter(1), itemgetter(2), itemgetter(3), itemgetter(4)


@dataclass
class CopyText:
    """Rows the short cut passed, as lines of COPY text for ``writer.write_text()``."""

    text: str
    rows: int
    held: int


class Passed:
    """The rows of a chunk the short cut passed; ``misses``: positions left to the full check."""

    def __init__(self, misses: list[int], take, as_text: bool):
        self.misses, self.take, self.as_text = misses, take, as_text


class KnownValuesCheck:
    """Passes the rows of a chunk whose every value a full check passed before.

    Any doubt about the chunk (a record with too few or too many fields, a reference seen before
    or not as stored) leaves the whole chunk to the full check, and so does a chunk with more
    than a quarter of such records (the file is still being learnt). Only the references of the
    rows passed are marked as seen (none while ``trusting``: a reference repeated then is left to
    the unique index, and ``left_to_index`` says so).
    """

    def __init__(
        self,
        header: Header,
        *,
        references: References,
        learnt: Learnt,
        authorities: Authorities,
        holding: dict,
        text_tail: str | None,
        trusting: bool,
    ):
        self.header, self.references, self.learnt, self.authorities = header, references, learnt, authorities
        self.holding = holding
        self.text_tail = text_tail  # rows become COPY text ending so; None: row tuples
        self.trusting = trusting
        self.left_to_index = False

    def check(self, lines: Sequence[int], records: list[list[str]] | None, plain: list[str] | None):
        """A Passed for the chunk (its plain lines, or the records csv.reader read), or None
        to leave it all to the full check."""
        count = len(plain if records is None else records)
        split = _fields(records, plain, count, self.header.width) if SHORT_CUT and count else None
        if split is None:
            return None
        fields, stride = split
        blank = [""] * count
        columns = [blank if at is None else fields[at::stride] for at in self.header.design_positions]
        references, received, decided = columns[0], columns[2], columns[11]
        unique = set(references)
        if not self._references_ok(references, unique, count):
            return None
        # A decision is not before receipt: decided < received holds exactly where decided is "".
        undecided = list(map(not_, decided))
        if list(map(lt, decided, received)) != undecided:
            return None
        known = self._known_values(columns, undecided)
        good = self._good(known, fields, stride, count, received, decided, undecided)
        if good is None:
            misses = []
        else:
            misses = list(itertools.compress(itertools.count(), map(not_, good)))
            if len(misses) > count // 4:
                # Still learning: the full check takes the chunk in whole batches, so that new
                # authorities are created (pausing the COPY) a batch at a time, not a few rows.
                return None
        self._mark_seen(references, unique, lines, good)
        if self.text_tail is not None:
            return Passed(misses, self._text_of(known, references, received, decided), True)
        return Passed(misses, _rows_of(lines, known, references, received, decided), False)

    def _references_ok(self, references: list[str], unique: set[str], count: int) -> bool:
        """Not seen before (unless trusting), unique in the chunk, and as the full check would
        store them (not empty, not too long, no surrounding spaces, no NUL, no "'" of a protected
        formula), and for COPY text with nothing to escape."""
        joined = "".join(references)
        return not (
            len(unique) != count
            or (not self.trusting and not self.references.seen.isdisjoint(unique))
            or "" in unique
            or max(map(len, references)) > MAX_REFERENCE
            or "'" in joined
            or "\x00" in joined
            or references != list(map(str.strip, references))
            or (self.text_tail is not None and COPY_SPECIAL.search(joined))
        )

    def _known_values(self, columns: list[list[str]], undecided: list[bool]) -> tuple:
        """(verdicts, codes, counts, authority ids, products): None where not learnt."""
        (_, country, _, request_type, accounts, authority, authority_kind, legal_process, product,
         status, outcome, _) = columns  # fmt: skip
        learnt = self.learnt
        verdicts = list(
            map(
                learnt.verdicts.get,
                zip(country, request_type, legal_process, status, outcome, undecided, strict=True),
                itertools.repeat(_UNKNOWN),
            )
        )
        codes = list(map(_CODE, verdicts))
        counts = list(map(learnt.good_counts.get, accounts))
        authority_ids = list(
            map(learnt.known_authorities.get, zip(authority, authority_kind, codes, strict=True))
        )
        if self.authorities.new:
            # Placeholders of authorities the next flush creates: that flush may come between
            # these rows (after a line left to the full check), so such rows are left to it too.
            authority_ids = [None if id_ and is_placeholder(id_) else id_ for id_ in authority_ids]
        products = list(map(learnt.known_products.get, product))
        return verdicts, codes, counts, authority_ids, products

    def _plain_others(self, fields: list[str], stride: int, count: int) -> list[bool]:
        """Rows with nothing in the other columns (extra, unnamed) but a version learnt."""
        others = [fields[position::stride] for position in self.header.other_positions]
        plain = list(map(not_, map(any, zip(*others, strict=True)))) if others else [True] * count
        if self.header.version_position is not None:
            versions = fields[self.header.version_position :: stride]
            good_versions = self.learnt.good_versions
            if not good_versions.issuperset(filter(None, versions)):
                plain = list(
                    map(and_, plain, map(or_, map(not_, versions), map(good_versions.__contains__, versions)))
                )
        return plain

    def _good(self, known, fields, stride, count, received, decided, undecided) -> list[bool] | None:
        """Which rows the short cut passes; None: all of them."""
        _, codes, counts, authority_ids, products = known
        plain_others = self._plain_others(fields, stride, count)
        good_dates = self.learnt.good_dates
        if not (
            None in codes  # an unknown verdict
            or None in counts
            or None in authority_ids
            or None in products
            or not good_dates.issuperset(received)
            or not good_dates.issuperset(filter(None, decided))
            or False in plain_others
        ):
            return None
        good_date = good_dates.__contains__
        return list(
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

    def _mark_seen(self, references, unique, lines, good) -> None:
        if self.trusting:
            self.left_to_index = True  # (not kept: see run.import_requests)
        elif good is not None:
            self.references.add_many(itertools.compress(references, good), itertools.compress(lines, good))
        else:
            self.references.add_many(references, lines)

    def _text_of(self, known, references, received, decided):
        """part -> CopyText of lines of BULK_FIELDS: the reference, what the verdict decided, the rest."""
        verdicts, _, counts, authority_ids, products = known
        columns = (
            references,
            list(map(_BULK_MIDDLE, verdicts)),
            authority_ids,
            products,
            counts,
            received,
            list(map(_NULL_IF_BLANK.get, decided, decided)),
        )
        holding, tail = bool(self.holding), self.text_tail

        def take(part: slice) -> CopyText:
            parts = [column[part] for column in columns]
            rows = len(parts[0])
            held = rows - list(map(_HELD, verdicts[part])).count(N) if holding else 0
            return CopyText(tail.join(map("\t".join, zip(*parts, strict=True))) + tail, rows, held)

        return take


def _fields(records, plain, count: int, width: int) -> tuple[list[str], int] | None:
    """Every field of the chunk in one list, and the stride of a record in it; None unless each
    record has exactly ``width`` fields (a blank, short or long one takes the full check)."""
    if records is not None:
        if set(map(len, records)) != {width}:
            return None
        return list(itertools.chain.from_iterable(records)), width
    # Split all lines at once, each followed by a field "\n" (no line holds a newline). Those
    # newlines are where every record's field `width` would be only if each line has exactly
    # width - 1 commas: one split, no count of commas line by line.
    fields, stride = (",\n,".join(plain) + ",\n").split(","), width + 1
    if len(fields) != count * stride or fields[width::stride].count("\n") != count:
        return None
    return fields, stride


def _rows_of(lines, known, references, received, decided):
    """part -> the batch entries (line, row, status in the file) of the rows passed."""
    verdicts, codes, counts, authority_ids, products = known
    constant = itertools.repeat
    rows = list(
        zip(
            lines,
            zip(
                references,
                codes,
                authority_ids,
                map(_TYPE, verdicts),
                map(_PROCESS, verdicts),
                products,
                counts,
                received,
                constant(N),  # acknowledged_on
                map(_STATUS, verdicts),
                map(_OUTCOME, verdicts),
                constant(""),  # disclosure
                constant(""),  # outcome_reason
                constant(""),  # pause_exception
                constant(""),  # user_notification
                constant(N),  # notification_delayed_until
                map(_NULL_IF_BLANK.get, decided, decided),  # decided_on
                constant(N),  # assignee_id
                map(_HELD, verdicts),  # held_by_id
                constant(""),  # internal_notes
                strict=False,  # (the constants repeat without end)
            ),
            map(_FILE_STATUS, verdicts),
            strict=True,
        )
    )
    return rows.__getitem__
