"""What the charts share: number formatting, colours and scales."""

from __future__ import annotations

from django.utils.formats import number_format

from ..wording import type_in_sentence

# Sequential blues (ColorBrewer "Blues", 5 classes): readable in greyscale print too.
SHADES = ["#dbe9f6", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
NO_DATA = "#e6e6e6"
TYPE_COLOURS = {
    "legal_process": "#3182bd",
    "emergency": "#e6550d",
    "preservation": "#9e9ac8",
    "all": "#969696",  # an imported report that did not split its figures by type
}


def type_name(request_type: str) -> str:
    """How a chart names a request type ("legal process", "all types"), in the reader's language."""
    return type_in_sentence(request_type)


def count(value: int) -> str:
    """A count as the reader's language writes it ("1,234")."""
    return number_format(value, force_grouping=True)


def fmt(value: float) -> str:
    """A coordinate or figure with at most one decimal and no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def shade_classes(values: list[int]) -> list[int]:
    """Upper bounds of up to five classes: quantiles of the non-zero values, rounded up to a
    number a legend can say (1, 2 or 5 times a power of ten: "101–200", not "97–187")."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    bounds = []
    for i in range(1, 6):
        bounds.append(round_up(positive[min(len(positive) - 1, round(i * len(positive) / 5) - 1)]))
    return sorted(set(bounds))


def round_up(value: int) -> int:
    """The smallest 1, 2 or 5 x 10^k at or above ``value`` (values up to 10 stay as they are)."""
    if value <= 10:
        return value
    magnitude = 10 ** (len(str(value)) - 1)
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def shade_for(value: int, bounds: list[int]) -> str:
    if not value or not bounds:
        return NO_DATA
    for index, bound in enumerate(bounds):
        if value <= bound:
            return SHADES[min(index + (5 - len(bounds)), 4)]
    return SHADES[-1]


def nice_max(value: int) -> int:
    """The smallest 4 x {1, 2, 2.5, 5} x 10^k at or above ``value``: four whole-number gridlines."""
    quarter = max(value, 1) / 4
    magnitude = 10 ** max(len(str(int(quarter))) - 1, 0)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= quarter and float(step * magnitude).is_integer():
            return int(4 * step * magnitude)
    return int(40 * magnitude)
