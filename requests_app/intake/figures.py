"""Parsing and validation of historical figures files (``import_figures``).

All or nothing: the whole file is checked first and every problem is reported with its line
number, column, value and reason; only a file without any problem reaches the service.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import jurisdictions
from ..models import DataRequest, Publication
from ..periods import Period
from ..services import ImportedFigure

COLUMNS = (
    "period",
    "country",
    "request_type",
    "requests",
    "accounts_specified",
    "requests_with_data_produced",
)
WHOLE_NUMBER_RE = re.compile(r"^[0-9]+$")


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


def parse_figures(text: str, *, today=None) -> list[ImportedFigure]:
    """Every row of ``text`` as an ImportedFigure, or FiguresFileInvalid listing every problem."""
    today = today or timezone.localdate()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(next(reader, None))
    errors: list[RowError] = []
    figures: list[tuple[int, ImportedFigure]] = []
    first_line: dict[tuple, int] = {}
    codes = jurisdictions.codes()
    line = reader.line_num
    for cells in reader:
        start_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(header):
            reason = f"{len(cells)} cells, the header has {len(header)}"
            errors.append(RowError(start_line, "(row)", ",".join(cells), reason))
            continue
        row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        figure, row_errors = _figure(start_line, row, today, codes)
        if figure is not None:
            row_errors = _repeated(start_line, figure, first_line)
        errors.extend(row_errors)
        if figure is not None and not row_errors:
            figures.append((start_line, figure))
    if not figures and not errors:
        errors.append(RowError(line + 1, "(row)", "", "the file has a header row but no figures"))
    errors.extend(_computed_periods(figures))
    if errors:
        raise FiguresFileInvalid(errors)
    return [figure for _, figure in figures]


def _header(header: list[str] | None) -> list[str]:
    """The header's column names, or FiguresFileInvalid naming each missing, unknown or repeated one."""
    if not header or not any(cell.strip() for cell in header):
        raise FiguresFileInvalid(
            [RowError(1, "(header)", "", f"the file is empty; expected {', '.join(COLUMNS)}")]
        )
    header = [cell.strip() for cell in header]
    errors = [
        RowError(1, column, "", "required column missing from the header row")
        for column in COLUMNS
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


def _period(row: dict, today) -> tuple[Period | None, str]:
    try:
        period = Period.parse(row["period"])
    except ValidationError as error:
        return None, error.messages[0]
    if not period.has_ended(today):
        return None, f"{period.label} has not ended yet (it ends on {period.end.isoformat()})"
    return period, ""


def _figure(
    line: int, row: dict, today, codes: frozenset[str]
) -> tuple[ImportedFigure | None, list[RowError]]:
    """The row as a figure, or None and every problem of its values."""
    problems: list[tuple[str, str]] = []
    period, problem = _period(row, today)
    if problem:
        problems.append(("period", problem))
    country = row["country"].upper()
    if country not in codes:
        problems.append(("country", "not a jurisdiction code (two letters, e.g. HK, DE, XK, UN or a body's)"))
    if row["request_type"] not in DataRequest.RequestType.values:
        problems.append(
            ("request_type", f"not a request type: use one of {', '.join(DataRequest.RequestType.values)}")
        )
    numbers = {}
    for column in ("requests", "accounts_specified", "requests_with_data_produced"):
        if WHOLE_NUMBER_RE.match(row[column]):
            numbers[column] = int(row[column])
        else:
            problems.append((column, "not a whole number (digits only, no separators or decimals)"))
    if numbers.get("requests_with_data_produced", 0) > numbers.get("requests", float("inf")):
        reason = f"more than the {numbers['requests']} requests of the row"
        problems.append(("requests_with_data_produced", reason))
    if problems:
        return None, [RowError(line, column, row[column], reason) for column, reason in problems]
    return ImportedFigure(period=period, country=country, request_type=row["request_type"], **numbers), []


def _repeated(line: int, figure: ImportedFigure, first_line: dict[tuple, int]) -> list[RowError]:
    """A second row for the same period, country and request type is an error naming the first."""
    key = (figure.period, figure.country, figure.request_type)
    if key not in first_line:
        first_line[key] = line
        return []
    what = f"{figure.period.label} {figure.country} {figure.request_type}"
    reason = f"{what} already appears on line {first_line[key]}"
    return [RowError(line, "country", figure.country, reason)]


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
