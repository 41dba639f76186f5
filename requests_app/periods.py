"""Report periods: half-years written ``2020-H2`` (1 Jul - 31 Dec 2020).

A request belongs to the period in which it was received. Labels are the public identifiers
used in URLs, CSV files and commands, so parsing is strict.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .wording import duration

PERIOD_LABEL_RE = re.compile(r"^(?P<year>\d{4})-H(?P<half>[12])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    half: int

    def __post_init__(self):
        if self.half not in (1, 2):
            raise ValidationError(f"A half-year is H1 or H2, not H{self.half}.", code="invalid_period")
        if not 1900 <= self.year <= 9998:
            raise ValidationError(f"{self.year} is not a plausible year.", code="invalid_period")

    @classmethod
    def parse(cls, label: str) -> Period:
        """Parse ``YYYY-H1``/``YYYY-H2``; anything else raises ValidationError naming the value."""
        match = PERIOD_LABEL_RE.match(label.strip()) if isinstance(label, str) else None
        if not match:
            raise ValidationError(
                f"'{label}' is not a period: write a half-year as YYYY-H1 or YYYY-H2, e.g. 2020-H2.",
                code="invalid_period",
            )
        return cls(int(match["year"]), int(match["half"]))

    @classmethod
    def containing(cls, day: datetime.date) -> Period:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @property
    def label(self) -> str:
        return f"{self.year}-H{self.half}"

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> datetime.date:
        """Last day of the period (inclusive)."""
        return datetime.date(self.year, 6, 30) if self.half == 1 else datetime.date(self.year, 12, 31)

    def next(self) -> Period:
        return Period(self.year, 2) if self.half == 1 else Period(self.year + 1, 1)

    def previous(self) -> Period:
        return Period(self.year - 1, 2) if self.half == 1 else Period(self.year, 1)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def has_ended(self, today: datetime.date) -> bool:
        return today > self.end

    def __str__(self) -> str:
        return self.label


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last`` inclusive, in order."""
    out = []
    current = first
    while current <= last:
        out.append(current)
        current = current.next()
    return out


def validate_period_label(value: str) -> None:
    """Model/form field validator."""
    Period.parse(value)


def human_duration(start: datetime.date, end: datetime.date) -> str:
    """How long from ``start`` to ``end`` as a reader says it: "4 years 5 months", "1 year",
    "3 months", "12 days" (whole months counted; days only under a month), in the active language."""
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    if months <= 0:
        return duration(0, 0, max((end - start).days, 0))
    years, months = divmod(months, 12)
    return duration(years, months, 0)
