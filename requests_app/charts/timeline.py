"""The register's timeline: a row per jurisdiction, a bar per pause decision."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .common import fmt


@dataclass(frozen=True)
class TimelineBar:
    jurisdiction: str  # the row's name
    start: datetime.date
    end: datetime.date  # the decision's end, or today while it is in force
    open_ended: bool
    status: str  # a PauseDecision.Status value: its colour
    label: str  # the bar's text for a reader: status, dates and duration
    url: str


TIMELINE_W, TIMELINE_ROW, TIMELINE_LABEL_W = 760, 26, 150


def pause_timeline(bars: list[TimelineBar], *, title: str, legend: list[tuple[str, str]]) -> SafeString:
    """One row per jurisdiction, a bar per decision from its start to its end (or today),
    coloured by status, years along the top; ``legend`` is (status, label) for each colour."""
    if not bars:
        return mark_safe("")
    rows = list(dict.fromkeys(bar.jurisdiction for bar in bars))
    first = datetime.date(min(bar.start for bar in bars).year, 1, 1)
    last = datetime.date(max(bar.end for bar in bars).year + 1, 1, 1)
    span = (last - first).days
    plot_w = TIMELINE_W - TIMELINE_LABEL_W - 24  # room for the last year's label

    def x(day: datetime.date) -> str:
        return fmt(TIMELINE_LABEL_W + plot_w * (day - first).days / span)

    top = 40
    height = top + TIMELINE_ROW * len(rows) + 10
    parts = []
    for year in range(first.year, last.year + 1):
        day = datetime.date(year, 1, 1)
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                x(day), x(day), top - 6, height - 10, x(day), top - 10, year,
            )
        )
    for index, name in enumerate(rows):
        parts.append(
            format_html(
                '<text class="row-label" x="{}" y="{}" text-anchor="end">{}</text>',
                TIMELINE_LABEL_W - 8, top + TIMELINE_ROW * index + 17, name,
            )
        )
    for bar in bars:
        y = top + TIMELINE_ROW * rows.index(bar.jurisdiction) + 5
        parts.append(
            format_html(
                '<a href="{}" aria-label="{}"><rect class="timeline-bar status-{}{}" x="{}" y="{}" '
                'width="{}" height="16" rx="2"><title>{}</title></rect></a>',
                bar.url, bar.label, bar.status, " open-ended" if bar.open_ended else "",
                x(bar.start), y, fmt(max(float(x(bar.end)) - float(x(bar.start)), 2)), bar.label,
            )
        )
    keys = [
        format_html(
            '<rect class="timeline-bar status-{}" x="{}" y="4" width="14" height="12"/>'
            '<text x="{}" y="14">{}</text>',
            status, TIMELINE_LABEL_W + index * 130, TIMELINE_LABEL_W + index * 130 + 18, label,
        )
        for index, (status, label) in enumerate(legend)
    ]
    return format_html(
        '<svg class="chart timeline" viewBox="0 0 {} {}" role="group" aria-labelledby="timeline-title">'
        '<title id="timeline-title">{}</title><g class="legend">{}</g>{}</svg>',
        TIMELINE_W, height, title, mark_safe("".join(keys)), mark_safe("".join(parts)),
    )
