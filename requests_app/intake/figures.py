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

from ..jurisdictions import CODES as COUNTRY_CODES
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
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise FiguresFileInvalid(
            [RowError(1, "(header)", "", f"the file is empty; expected {', '.join(COLUMNS)}")]
        )
    header = [cell.strip() for cell in header]
    errors: list[RowError] = []
    for column in COLUMNS:
        if column not in header:
            errors.append(RowError(1, column, "", "required column missing from the header row"))
    for index, column in enumerate(header):
        if column not in COLUMNS:
            errors.append(RowError(1, column or f"(column {index + 1})", column, "unknown column"))
        elif header.index(column) != index:
            errors.append(RowError(1, column, column, "column appears twice in the header row"))
    if errors:
        raise FiguresFileInvalid(errors)

    figures: list[tuple[int, ImportedFigure]] = []
    first_line: dict[tuple, int] = {}
    line = reader.line_num
    for cells in reader:
        start_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) != len(header):
            errors.append(
                RowError(
                    start_line, "(row)", ",".join(cells), f"{len(cells)} cells, the header has {len(header)}"
                )
            )
            continue
        row = {column: cell.strip() for column, cell in zip(header, cells, strict=True)}
        row_errors: list[RowError] = []

        def bad(column: str, reason: str, *, _line=start_line, _row=row, _errors=row_errors) -> None:
            _errors.append(RowError(_line, column, _row[column], reason))

        period = None
        try:
            period = Period.parse(row["period"])
        except ValidationError as error:
            bad("period", error.messages[0])
        else:
            if not period.has_ended(today):
                bad("period", f"{period.label} has not ended yet (it ends on {period.end.isoformat()})")
        country = row["country"].upper()
        if len(country) != 2 or country not in COUNTRY_CODES:
            bad("country", "not an ISO 3166-1 alpha-2 country code (two letters, e.g. HK or DE)")
        if row["request_type"] not in DataRequest.RequestType.values:
            bad("request_type", f"not a request type: use one of {', '.join(DataRequest.RequestType.values)}")
        numbers: dict[str, int] = {}
        for column in ("requests", "accounts_specified", "requests_with_data_produced"):
            if WHOLE_NUMBER_RE.match(row[column]):
                numbers[column] = int(row[column])
            else:
                bad(column, "not a whole number (digits only, no separators or decimals)")
        if (
            "requests" in numbers
            and "requests_with_data_produced" in numbers
            and numbers["requests_with_data_produced"] > numbers["requests"]
        ):
            bad("requests_with_data_produced", f"more than the {numbers['requests']} requests of the row")
        if period and not row_errors:
            key = (period, country, row["request_type"])
            if key in first_line:
                bad(
                    "country",
                    f"{period.label} {country} {row['request_type']} already appears on line "
                    f"{first_line[key]}",
                )
            else:
                first_line[key] = start_line
        if row_errors:
            errors.extend(row_errors)
            continue
        figures.append(
            (
                start_line,
                ImportedFigure(
                    period=period,
                    country=country,
                    request_type=row["request_type"],
                    requests=numbers["requests"],
                    accounts_specified=numbers["accounts_specified"],
                    requests_with_data_produced=numbers["requests_with_data_produced"],
                ),
            )
        )

    if not figures and not errors:
        errors.append(RowError(line + 1, "(row)", "", "the file has a header row but no figures"))
    computed = set(
        Publication.objects.filter(
            period__in={figure.period.label for _, figure in figures}, source=Publication.Source.COMPUTED
        ).values_list("period", flat=True)
    )
    for start_line, figure in figures:
        if figure.period.label in computed:
            errors.append(
                RowError(
                    start_line,
                    "period",
                    figure.period.label,
                    "already published from request records; imported figures are for periods before this "
                    "system (re-publish the period instead)",
                )
            )
    if errors:
        raise FiguresFileInvalid(errors)
    return [figure for _, figure in figures]
