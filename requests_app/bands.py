"""National-security figures as the law lets them be published: ranges, never counts.

US law (the USA FREEDOM Act, 50 U.S.C. § 1874) lets a provider report FISA orders and National
Security Letters only in bands ("0–499 requests affecting 115,000–115,499 accounts") and FISA
figures only after a delay. A band is computed from the exact count the desk holds; the count
itself never leaves this module's callers' transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .periods import Period


@dataclass(frozen=True, order=True)
class Band:
    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.low:,}–{self.high:,}"


def band_of(count: int, width: int) -> Band:
    """The band of ``width`` that holds ``count``: 0 → 0–(width-1), as the law and every
    platform publish a zero; 499 → 0–499 and 500 → 500–999 for a width of 500."""
    if count < 0:
        raise ValueError(f"a count is never negative ({count})")
    if width < 1:
        raise ValueError(f"a band is at least 1 wide ({width})")
    low = count // width * width
    return Band(low, low + width - 1)


MAX_BOUND = 2_147_483_647  # the bounds' database columns


def band_problem(low: int | None, high: int | None) -> str:
    """Why (low, high) cannot be a published band ("" if it can): bounds as old reports
    published them (1–499, 2–499...) are kept; what is no range at all, or a range of one value
    (that is a count, which the law does not allow; 0–0 aside), is refused."""
    if low is None or high is None:
        return "a band needs both its minimum and its maximum"
    if low < 0 or high < 0:
        return "a band's bounds are never negative"
    if max(low, high) > MAX_BOUND:
        return f"a band's bounds are at most {MAX_BOUND:,}"
    if low > high:
        return f"the minimum ({low}) is above the maximum ({high})"
    if low == high and low != 0:
        return f"a band of one value ({low}) is an exact count, which may not be published"
    return ""


def reportable_from(period: Period, delay_days: int) -> datetime.date:
    """The first day a period's figures of a category with ``delay_days`` may be published:
    ``delay_days`` after the period's last day, and never before the period has ended."""
    return period.end + datetime.timedelta(days=max(delay_days, 1))
