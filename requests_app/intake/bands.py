"""Parsing of banded national-security history (``import_figures`` with a ``category`` column).

Bands are kept exactly as they were published (old reports used 1–499 or 2–499); only what
cannot be a band is refused. All or nothing, every problem named by line, as for figures.
"""

from __future__ import annotations

import csv
import io
import re

from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import jurisdictions
from ..bands import Band, band_problem
from ..periods import Period
from ..services.national_security import ImportedBand
from .figures import FiguresFileInvalid, RowError

BAND_COLUMNS = (
    "period",
    "country",
    "category",
    "requests_min",
    "requests_max",
    "accounts_min",
    "accounts_max",
)
_WHOLE = re.compile(r"[0-9]+")


def is_banded(header_line: str) -> bool:
    """Whether a figures file is banded national-security history (its header names a category)."""
    return "category" in {name.strip().lower() for name in next(csv.reader([header_line]), [])}


def parse_bands(text: str, *, categories: frozenset[str], today=None) -> list[ImportedBand]:
    """Every row of ``text`` as an ImportedBand, or FiguresFileInvalid listing every problem."""
    today = today or timezone.localdate()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    if sorted(header) != sorted(BAND_COLUMNS):
        expected = ", ".join(BAND_COLUMNS)
        raise FiguresFileInvalid(
            [RowError(1, "(header)", ",".join(header), f"expected the columns {expected}")]
        )
    errors, bands, seen = [], [], {}
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                RowError(start, "(row)", ",".join(cells), f"{len(cells)} cells, the header has {len(header)}")
            )
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        band, problems = _band(row, categories, today)
        errors += [RowError(start, column, row.get(column, ""), reason) for column, reason in problems]
        if band is not None:
            key = (band.period, band.country, band.category)
            if key in seen:
                errors.append(
                    RowError(start, "category", band.category, f"already given on line {seen[key]}")
                )
            else:
                seen[key] = start
                bands.append(band)
    if not bands and not errors:
        errors.append(RowError(line + 1, "(row)", "", "the file has a header row but no bands"))
    if errors:
        raise FiguresFileInvalid(errors)
    return bands


def _band(row: dict, categories: frozenset[str], today) -> tuple[ImportedBand | None, list[tuple[str, str]]]:
    problems = []
    try:
        period = Period.parse(row["period"])
        if not period.has_ended(today):
            problems.append(("period", f"{period.label} has not ended yet"))
    except ValidationError as error:
        period = None
        problems.append(("period", error.messages[0]))
    country = row["country"].upper()
    if not jurisdictions.is_code(country):
        problems.append(("country", "not a jurisdiction code (two letters, e.g. US)"))
    category = row["category"].lower()
    if category not in categories:
        known = ", ".join(sorted(categories))
        problems.append(("category", f"not a national-security category; use one of {known}"))
    bounds = {}
    for column in BAND_COLUMNS[3:]:
        if _WHOLE.fullmatch(row[column]):
            bounds[column] = int(row[column])
        else:
            reason = (
                "a band's bounds are never negative" if row[column].startswith("-") else "not a whole number"
            )
            problems.append((column, reason))
    for kind in ("requests", "accounts"):
        low, high = bounds.get(f"{kind}_min"), bounds.get(f"{kind}_max")
        if low is not None and high is not None and (problem := band_problem(low, high)):
            problems.append((f"{kind}_max" if "at most" in problem else f"{kind}_min", problem))
    if problems:
        return None, problems
    return (
        ImportedBand(
            period=period,
            country=country,
            category=category,
            requests=Band(bounds["requests_min"], bounds["requests_max"]),
            accounts=Band(bounds["accounts_min"], bounds["accounts_max"]),
        ),
        [],
    )
