"""National-security bands per half-year: each category's accounts band drawn as a range (a
floating bar from its lower to its upper bound), never as a point, since no count is known."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .common import count, fmt, nice_max

W, H = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 34, 40
CATEGORY_COLOURS = ["#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363"]


@dataclass(frozen=True)
class BandRange:
    period: str
    category: str  # its name
    low: int
    high: int


def band_chart(ranges: list[BandRange], *, categories: list[str], title: str) -> SafeString:
    """An SVG of the accounts bands of ``ranges`` per period (oldest left), one colour per
    category; empty when there is nothing to draw."""
    if not ranges:
        return mark_safe("")
    periods = sorted({r.period for r in ranges})
    top = nice_max(max(r.high for r in ranges) + 1)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / len(periods)
    bar = max(min(slot / (len(categories) + 1), 18), 3)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    parts = []
    for step in range(5):  # four gridlines and the baseline
        value = top * step / 4
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT, W - RIGHT, fmt(y(value)), fmt(y(value)), LEFT - 6, fmt(y(value) + 4), count(int(value)),
            )  # fmt: skip
        )
    every = 1 if slot >= 60 else 2 if slot >= 30 else 4  # labels that do not overlap
    for index, period in enumerate(periods):
        x0 = LEFT + slot * index
        if index % every == 0:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    fmt(x0 + slot / 2), H - BOTTOM + 16, period,
                )  # fmt: skip
            )
        for r in (r for r in ranges if r.period == period):
            offset = categories.index(r.category)
            x = x0 + (slot - bar * len(categories)) / 2 + bar * offset
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                    fmt(x), fmt(y(r.high + 1)), fmt(bar - 1), fmt(max(y(r.low) - y(r.high + 1), 2)),
                    CATEGORY_COLOURS[offset % len(CATEGORY_COLOURS)],
                    _("%(period)s %(category)s: %(low)s–%(high)s accounts")
                    % {"period": period, "category": r.category, "low": count(r.low), "high": count(r.high)},
                )  # fmt: skip
            )
    legend = [
        format_html(
            '<rect x="{}" y="8" width="12" height="12" fill="{}"/><text x="{}" y="18">{}</text>',
            LEFT + 230 * i, CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)], LEFT + 230 * i + 16, name,
        )  # fmt: skip
        for i, name in enumerate(categories)
    ]
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="bands-title">'
        '<title id="bands-title">{}</title><g class="legend">{}</g>{}'
        '<text class="axis" x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">{}</text>'
        "</svg>",
        W, H, title, mark_safe("".join(legend)), mark_safe("".join(parts)), fmt(TOP + plot_h / 2),
        fmt(TOP + plot_h / 2), _("Accounts (band)"),
    )  # fmt: skip
