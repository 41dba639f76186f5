"""Parsing and validation of historical figures files (``import_figures``).

All or nothing: the whole file is checked first and every problem is reported with its line
number, column, value and reason; only a file without any problem reaches the service. The
parser reads (the managed lists' codes come in from the caller, loaded once) and never writes:
codes a file names that the lists do not define yet are either errors or, when the caller will
create them (``--create-missing``), listed in the result.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import jurisdictions, rules
from ..choices import PublishedRequestType
from ..models import LegalProcess, Product, Publication
from ..models.catalog import CODE_PATTERN
from ..periods import Period
from ..services import ImportedFigure

REQUIRED_COLUMNS = ("period", "country", "request_type", "requests")
OPTIONAL_COLUMNS = (
    "legal_process",
    "product",
    "accounts_specified",
    "requests_with_data_produced",
    "percent_with_data_produced",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
WHOLE_NUMBER_RE = re.compile(r"[0-9]+", re.ASCII)
DECIMAL_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", re.ASCII)
CODE_RE = re.compile(CODE_PATTERN, re.ASCII)
CODE_MAX_LENGTH = LegalProcess._meta.get_field("code").max_length
PERCENT_DECIMALS = 3  # FigureRow.percent_as_published keeps three
# What each managed list's entries are called in a message.
MANAGED = {"legal_process": "legal process", "product": "product"}
MANAGED_PLURAL = {"legal_process": "legal processes", "product": "products"}
# The columns that split a period and jurisdiction's figures (rules.FigureGrain).
GRAIN_COLUMNS = ("request_type", "legal_process", "product")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}, value '{self.value}': {self.reason}"


class FiguresFileInvalid(Exception):
    """The file has problems; ``errors`` lists every one of them in file order."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(
            errors, key=lambda e: (e.line, COLUMNS.index(e.column) if e.column in COLUMNS else -1)
        )
        super().__init__(f"{len(self.errors)} problem(s) in the figures file")


@dataclass(frozen=True)
class ManagedCodes:
    """The codes of the managed lists a figures file may name."""

    legal_process: frozenset[str]
    product: frozenset[str]

    @classmethod
    def load(cls) -> ManagedCodes:
        """The lists' codes as the database holds them now (one query each)."""
        return cls(
            legal_process=frozenset(LegalProcess.objects.values_list("code", flat=True)),
            product=frozenset(Product.objects.values_list("code", flat=True)),
        )


@dataclass(frozen=True)
class FiguresFile:
    """A checked figures file: its figures in file order, and the codes it names that the managed
    lists do not define yet (only with ``create_missing``; the caller creates them), sorted."""

    figures: list[ImportedFigure]
    new_legal_processes: list[str] = field(default_factory=list)
    new_products: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 (a spreadsheet's byte-order mark is fine); a bad byte is reported with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FiguresFileInvalid(
            [
                RowError(
                    line, "(file)", repr(data[error.start : error.end])[2:-1], "the file is not UTF-8 text"
                )
            ]
        ) from error


def parse_figures(text: str, *, known: ManagedCodes, create_missing: bool = False, today=None) -> FiguresFile:
    """Every row of ``text`` as an ImportedFigure, or FiguresFileInvalid listing every problem.

    ``known``: the managed lists' codes. A code not among them is an error, unless
    ``create_missing``: then it is returned among the new codes for the caller to create."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(next(reader, None))
    check = _FileCheck(known=known, create_missing=create_missing, today=today or timezone.localdate())
    for line, cells in _records(reader):
        check.record(line, header, cells)
    errors = check.errors
    if not check.figures and not errors:
        errors.append(RowError(reader.line_num + 1, "(row)", "", "the file has a header row but no figures"))
    errors.extend(_computed_periods(check.figures))
    if errors:
        raise FiguresFileInvalid(errors)
    return FiguresFile(
        figures=[figure for _, figure in check.figures],
        new_legal_processes=sorted(check.new_codes["legal_process"]),
        new_products=sorted(check.new_codes["product"]),
    )


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on (a quoted cell may span lines)."""
    line = reader.line_num
    for cells in reader:
        start_line, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start_line, cells


def _header(header: list[str] | None) -> list[str]:
    """The header's column names, or FiguresFileInvalid naming each missing, unknown or repeated one."""
    if not header or not any(cell.strip() for cell in header):
        expected = f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}"
        raise FiguresFileInvalid([RowError(1, "(header)", "", f"the file is empty; expected {expected}")])
    header = [cell.strip() for cell in header]
    errors = [
        RowError(1, column, "", "required column missing from the header row")
        for column in REQUIRED_COLUMNS
        if column not in header
    ]
    for index, column in enumerate(header):
        if column not in COLUMNS:
            errors.append(RowError(1, column or f"(column {index + 1})", column, "unknown column"))
        elif header.index(column) != index:
            errors.append(RowError(1, column, column, "column appears twice in the header row"))
    if errors:
        raise FiguresFileInvalid(errors)
    return header


# --- one value ---------------------------------------------------------------------------------


class _Bad(ValueError):
    """A value that cannot be read; its message is the reason."""


def _whole_number(value: str) -> int:
    if not WHOLE_NUMBER_RE.fullmatch(value):
        raise _Bad("not a whole number (digits only, no separators or decimals)")
    return int(value)


def _percent(value: str) -> Decimal:
    """A percentage exactly as the report published it: 0 to 100, at most three decimals."""
    if not DECIMAL_RE.fullmatch(value):
        raise _Bad("not a number: write a percentage as digits with a decimal point, e.g. 5 or 4.75")
    number = Decimal(value)
    if not 0 <= number <= 100:
        raise _Bad("outside 0–100: a percentage of the row's requests")
    if -number.as_tuple().exponent > PERCENT_DECIMALS:
        raise _Bad(f"more than {PERCENT_DECIMALS} decimals: the report keeps at most {PERCENT_DECIMALS}")
    return number + 0  # "-0" and "+5" as 0 and 5


def _country(value: str) -> str:
    code = value.upper()
    if not jurisdictions.is_code(code):
        raise _Bad("not a jurisdiction code (two letters, e.g. HK, DE, XK, UN or a body's)")
    return code


def _request_type(value: str) -> str:
    if value not in PublishedRequestType.values:
        raise _Bad(f"not a request type: use one of {', '.join(PublishedRequestType.values)}")
    return value


def _optional(read: Callable[[str], object]) -> Callable[[str], object]:
    """A column whose blank means "not reported" or "not broken down": None, never 0."""
    return lambda value: None if value == "" else read(value)


# --- one file ----------------------------------------------------------------------------------


class _FileCheck:
    """The rows of one file, checked one by one and against each other."""

    def __init__(self, *, known: ManagedCodes, create_missing: bool, today):
        self.known, self.create_missing, self.today = known, create_missing, today
        self.errors: list[RowError] = []
        self.figures: list[tuple[int, ImportedFigure]] = []
        self.new_codes: dict[str, set[str]] = {"legal_process": set(), "product": set()}
        # (period, country) -> the grains seen so far, with their lines
        self.grains: dict[tuple[Period, str], list[tuple[int, rules.FigureGrain]]] = {}
        self.readers: dict[str, Callable[[str], object]] = {
            "period": self._period,
            "country": _country,
            "request_type": _request_type,
            "requests": _whole_number,
            "legal_process": _optional(lambda value: self._code("legal_process", value)),
            "product": _optional(lambda value: self._code("product", value)),
            "accounts_specified": _optional(_whole_number),
            "requests_with_data_produced": _optional(_whole_number),
            "percent_with_data_produced": _optional(_percent),
        }

    def record(self, line: int, header: list[str], cells: list[str]) -> None:
        if len(cells) != len(header):
            reason = f"{len(cells)} cells, the header has {len(header)}"
            self.errors.append(RowError(line, "(row)", ",".join(cells), reason))
            return
        row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        values, problems = self._values(row)
        problems += _row_problems(values) + self._overlap(line, values)
        if problems:
            self.errors.extend(RowError(line, column, row.get(column, ""), why) for column, why in problems)
        else:
            self.figures.append((line, ImportedFigure(**values)))

    def _values(self, row: dict[str, str]) -> tuple[dict, list[tuple[str, str]]]:
        """Each column's value read on its own, and the columns that cannot be read."""
        values, problems = {}, []
        for column, read in self.readers.items():
            try:
                values[column] = read(row.get(column, ""))
            except _Bad as bad:
                problems.append((column, str(bad)))
        return values, problems

    def _period(self, value: str) -> Period:
        try:
            period = Period.parse(value)
        except ValidationError as error:
            raise _Bad(error.messages[0]) from error
        if not period.has_ended(self.today):
            raise _Bad(f"{period.label} has not ended yet (it ends on {period.end.isoformat()})")
        return period

    def _code(self, column: str, value: str) -> str:
        """A code of a managed list (another case is accepted); one not defined yet is an error,
        or, with ``create_missing``, a new code to create."""
        code = value.lower()
        known = getattr(self.known, column)
        if code in known:
            return code
        if not self.create_missing:
            codes = ", ".join(sorted(known)) or "none yet"
            raise _Bad(
                f"unknown {MANAGED[column]}; use one of: {codes} (a Publisher adds "
                f"{MANAGED_PLURAL[column]} in the admin, or import with --create-missing to create it)"
            )
        if not CODE_RE.fullmatch(code) or len(code) > CODE_MAX_LENGTH:
            raise _Bad(
                f"not a valid code for a new {MANAGED[column]}: lower-case letters, digits and underscores, "
                f"starting with a letter or digit, at most {CODE_MAX_LENGTH} characters"
            )
        self.new_codes[column].add(code)
        return code

    def _overlap(self, line: int, values: dict) -> list[tuple[str, str]]:
        """A row repeating an earlier one, or counting some of the same requests (a whole beside
        its parts), is an error naming the earlier line. Only rows whose grain could be read."""
        if any(column not in values for column in ("period", "country", *GRAIN_COLUMNS)):
            return []
        grain = tuple(values[column] for column in GRAIN_COLUMNS)
        where = f"{values['period'].label} {values['country']}"
        seen = self.grains.setdefault((values["period"], values["country"]), [])
        for other_line, other in seen:
            if other == grain:
                return [("country", f"{_describe(where, grain)} already appears on line {other_line}")]
            if rules.figure_grains_overlap(grain, other):
                column = next(c for c, x, y in zip(GRAIN_COLUMNS, grain, other, strict=True) if x != y)
                reason = (
                    f"{_describe(where, grain)} overlaps line {other_line} ({_describe(where, other)}): "
                    "summed, the two rows would count the same requests twice; give either the whole or "
                    "its parts"
                )
                return [(column, reason)]
        seen.append((line, grain))
        return []


def _row_problems(values: dict) -> list[tuple[str, str]]:
    """The rules across the columns of one row, between the values that could be read."""
    problems = []
    produced, requests = values.get("requests_with_data_produced"), values.get("requests")
    if produced is not None and requests is not None and produced > requests:
        problems.append(("requests_with_data_produced", f"more than the {requests} requests of the row"))
    if "request_type" in values and "legal_process" in values:
        problem = rules.legal_process_problem(values["request_type"], values["legal_process"])
        if problem:
            problems.append(("legal_process", problem))
    return problems


def _describe(where: str, grain: rules.FigureGrain) -> str:
    """``2014-H1 US legal_process search_warrant``; a product is named as such."""
    request_type, legal_process, product = grain
    words = [where, request_type]
    if legal_process:
        words.append(legal_process)
    if product:
        words.append(f"product {product}")
    return " ".join(words)


def _computed_periods(figures: list[tuple[int, ImportedFigure]]) -> list[RowError]:
    """Imported figures are for periods before this system: not one it already published."""
    computed = set(
        Publication.objects.filter(
            period__in={figure.period.label for _, figure in figures}, source=Publication.Source.COMPUTED
        ).values_list("period", flat=True)
    )
    return [
        RowError(
            line,
            "period",
            figure.period.label,
            "already published from request records; imported figures are for periods before this "
            "system (re-publish the period instead)",
        )
        for line, figure in figures
        if figure.period.label in computed
    ]
