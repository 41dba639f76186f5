"""How the report rounds: one decimal, half up, everywhere a share or a median is published."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


def one_decimal(value: Decimal | float | int | None) -> Decimal | None:
    """``value`` rounded half up to one decimal; None stays None.

    A float goes through its shortest repr, so 2.25 (a median of days) rounds to 2.3 as
    written, not as its binary approximation would."""
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    return Decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal half up; None when ``whole`` is 0."""
    if not whole:
        return None
    return one_decimal(Decimal(100 * part) / Decimal(whole))
