"""Charts and the world map, drawn on the server as SVG.

No JavaScript and no CDN: the page is readable as delivered, prints well, and every chart sits next
to a table with the same numbers (the text alternative). The inputs are plain values taken from
published snapshots; nothing here reads the database.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .periods import Period

MAP_FILE = Path(__file__).resolve().parent / "data" / "world_map.json"
# Sequential blues (ColorBrewer "Blues", 5 classes): readable in greyscale print too.
SHADES = ["#dbe9f6", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
NO_DATA = "#e6e6e6"
TYPE_COLOURS = {"legal_process": "#3182bd", "emergency": "#e6550d", "preservation": "#9e9ac8"}
# A territory smaller than this (in map px²) gets a dot so that it can be seen and clicked.
SMALL_AREA = 6.0


@cache
def world_geometry() -> dict:
    return json.loads(MAP_FILE.read_text())


def unmapped(entries: list[MapEntry]) -> list[MapEntry]:
    """Entries the map cannot draw (international bodies, Kosovo): listed beside it instead."""
    shapes = world_geometry()["countries"]
    return [entry for entry in entries if entry.code not in shapes]


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def shade_classes(values: list[int]) -> list[int]:
    """Upper bounds of five classes (quantiles of the non-zero values)."""
    positive = sorted(v for v in values if v > 0)
    if not positive:
        return []
    bounds = []
    for i in range(1, 6):
        bounds.append(positive[min(len(positive) - 1, round(i * len(positive) / 5) - 1)])
    return sorted(set(bounds))


def shade_for(value: int, bounds: list[int]) -> str:
    if not value or not bounds:
        return NO_DATA
    for index, bound in enumerate(bounds):
        if value <= bound:
            return SHADES[min(index + (5 - len(bounds)), 4)]
    return SHADES[-1]


@dataclass(frozen=True)
class MapEntry:
    code: str
    name: str
    value: int
    url: str
    pause_label: str = ""  # the status of a decision in force today ("Paused", "Redirected")
    pause_status: str = ""  # its PauseDecision.Status value: the outline's colour


def world_map(entries: list[MapEntry], *, title: str) -> SafeString:
    """A choropleth of ``entries`` (countries without an entry are grey and not linked)."""
    geometry = world_geometry()
    width, height = geometry["width"], geometry["height"]
    by_code = {e.code: e for e in entries}
    bounds = shade_classes([e.value for e in entries])
    shapes, dots = [], []
    for code, shape in geometry["countries"].items():
        entry = by_code.get(code)
        if entry is None:
            if shape["d"]:
                shapes.append(format_html('<path d="{}" fill="{}" class="map-empty"/>', shape["d"], NO_DATA))
            continue
        fill = shade_for(entry.value, bounds)
        label = f"{entry.name}: {entry.value:,} requests"
        if entry.pause_label:
            label += f" ({entry.pause_label.lower()})"
        css = f"map-country map-paused status-{entry.pause_status}" if entry.pause_label else "map-country"
        body = format_html('<path d="{}" fill="{}" class="{}"/>', shape["d"], fill, css) if shape["d"] else ""
        if shape["area"] < SMALL_AREA:
            body += format_html(
                '<circle cx="{}" cy="{}" r="4.5" fill="{}" class="map-dot{}"/>',
                shape["x"],
                shape["y"],
                fill,
                f" map-paused status-{entry.pause_status}" if entry.pause_label else "",
            )
            target = dots
        else:
            target = shapes
        target.append(
            format_html(
                '<a href="{}" aria-label="{}"><title>{}</title>{}</a>',
                entry.url,
                label,
                label,
                mark_safe(body),
            )
        )
    statuses = sorted({(e.pause_status, e.pause_label) for e in entries if e.pause_label})
    legend = _map_legend(bounds, height, statuses)
    return format_html(
        # role=group, not img: the map holds links, and an image cannot contain controls.
        '<svg class="chart world-map" viewBox="0 0 {} {}" role="group" aria-labelledby="map-title">'
        '<title id="map-title">{}</title>{}{}{}</svg>',
        width,
        height + 34,
        title,
        mark_safe("".join(shapes)),
        mark_safe("".join(dots)),
        legend,
    )


def _map_legend(bounds: list[int], height: float, statuses: list[tuple[str, str]]) -> SafeString:
    if not bounds:
        return mark_safe("")
    parts = []
    lower = 1
    offset = 5 - len(bounds)
    for index, bound in enumerate(bounds):
        x = 10 + index * 120
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="16" height="12" fill="{}"/><text x="{}" y="{}">{}</text>',
                x,
                height + 12,
                SHADES[min(index + offset, 4)],
                x + 20,
                height + 22,
                f"{lower:,}–{bound:,}" if lower != bound else f"{bound:,}",
            )
        )
        lower = bound + 1
    for index, (status, label) in enumerate(statuses):
        x = 10 + (len(bounds) + index) * 120
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="16" height="12" fill="{}" class="map-paused status-{}"/>'
                '<text x="{}" y="{}">{} (outlined)</text>',
                x,
                height + 12,
                NO_DATA,
                status,
                x + 20,
                height + 22,
                label,
            )
        )
    return format_html('<g class="legend">{}</g>', mark_safe("".join(parts)))


# --------------------------------------------------------------------------------------------
# Period charts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PauseBand:
    start: datetime.date
    end: datetime.date | None  # None: still in force
    label: str
    status: str = ""  # a PauseDecision.Status value: its colour (class status-<status>)


@dataclass(frozen=True)
class PeriodBar:
    period: str
    stacks: dict[str, int]  # request_type -> requests
    percent_produced: float | None
    # With a pause: the share of the paused request types alone (percent_produced then holds
    # the other types'), so that a policy at 0% reads apart from ordinary decisions.
    paused_percent: float | None = None


CHART_W, CHART_H = 760, 300
PAD_L, PAD_R, PAD_T, PAD_B = 56, 48, 26, 42


def _nice_max(value: int) -> int:
    """The smallest 4 x {1, 2, 2.5, 5} x 10^k at or above ``value``: four whole-number gridlines."""
    quarter = max(value, 1) / 4
    magnitude = 10 ** max(len(str(int(quarter))) - 1, 0)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= quarter and float(step * magnitude).is_integer():
            return int(4 * step * magnitude)
    return int(40 * magnitude)


def _date_x(day: datetime.date, periods: list[str], slot: float) -> float:
    """x of a date: its period's slot plus the fraction of the half-year elapsed."""
    period = Period.containing(day)
    labels = [Period.parse(p) for p in periods]
    if period < labels[0]:
        return PAD_L
    if period > labels[-1]:
        return PAD_L + slot * len(periods)
    index = labels.index(period)
    fraction = (day - period.start).days / ((period.end - period.start).days + 1)
    return PAD_L + slot * (index + fraction)


def period_chart(
    bars: list[PeriodBar],
    *,
    title: str,
    bands: list[PauseBand] = (),
    show_percent: bool = True,
    paused_label: str = "",
) -> SafeString:
    """Stacked bars of requests per period by type, the % produced line, and pause bands; with
    ``paused_label`` (the paused types, e.g. "legal process") a second line for those types."""
    if not bars:
        return mark_safe("")
    periods = [b.period for b in bars]
    slot = (CHART_W - PAD_L - PAD_R) / len(bars)
    plot_h = CHART_H - PAD_T - PAD_B
    top = _nice_max(max(sum(b.stacks.values()) for b in bars))
    parts = []

    for band in bands:
        x1 = _date_x(band.start, periods, slot)
        x2 = _date_x(band.end, periods, slot) if band.end else PAD_L + slot * len(bars)
        if x2 <= x1:
            continue
        parts.append(
            format_html(
                '<g class="pause-band status-{}"><rect x="{}" y="{}" width="{}" height="{}"/>'
                '<text x="{}" y="{}">{}</text></g>',
                band.status,
                _fmt(x1),
                PAD_T,
                _fmt(x2 - x1),
                plot_h,
                _fmt(x1 + 4),
                PAD_T + 12,
                band.label,
            )
        )

    for tick in range(5):
        value = top * tick / 4
        y = PAD_T + plot_h - plot_h * tick / 4
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/><text class="axis" x="{}" y="{}" '
                'text-anchor="end">{}</text>',
                PAD_L,
                CHART_W - PAD_R,
                _fmt(y),
                _fmt(y),
                PAD_L - 6,
                _fmt(y + 4),
                f"{int(value):,}",
            )
        )
        if show_percent:
            parts.append(
                format_html(
                    '<text class="axis axis-percent" x="{}" y="{}">{}%</text>',
                    CHART_W - PAD_R + 6,
                    _fmt(y + 4),
                    tick * 25,
                )
            )

    label_every = max(1, round(len(bars) / 10))
    for index, bar in enumerate(bars):
        x = PAD_L + slot * index + slot * 0.15
        y = PAD_T + plot_h
        for request_type, count in bar.stacks.items():
            h = plot_h * count / top
            y -= h
            parts.append(
                format_html(
                    '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{} {}: {} requests</title></rect>",
                    _fmt(x),
                    _fmt(y),
                    _fmt(slot * 0.7),
                    _fmt(h),
                    TYPE_COLOURS.get(request_type, "#777"),
                    bar.period,
                    request_type.replace("_", " "),
                    f"{count:,}",
                )
            )
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _fmt(PAD_L + slot * (index + 0.5)),
                    CHART_H - PAD_B + 16,
                    bar.period,
                )
            )
    if show_percent:
        other = f"other requests than {paused_label}" if paused_label else ""
        parts.append(_percent_line(bars, slot, plot_h, "percent_produced", "percent-line", other))
        if paused_label:
            css = "percent-line paused-line"
            parts.append(_percent_line(bars, slot, plot_h, "paused_percent", css, paused_label))

    legend = []
    types_present = [t for t in TYPE_COLOURS if any(t in b.stacks for b in bars)]
    for index, request_type in enumerate(types_present):
        x = PAD_L + index * 110
        legend.append(
            format_html(
                '<rect x="{}" y="4" width="12" height="12" fill="{}"/><text x="{}" y="14">{}</text>',
                x,
                TYPE_COLOURS[request_type],
                x + 16,
                request_type.replace("_", " "),
            )
        )
    if show_percent:
        keys = [("percent-line", "% produced" + (", other types" if paused_label else ""))]
        if paused_label:
            keys.append(("percent-line paused-line", f"% produced, {paused_label}"))
        for index, (css, text) in enumerate(keys):
            x = PAD_L + len(types_present) * 110 + index * 170
            legend.append(
                format_html(
                    '<line class="{}" x1="{}" x2="{}" y1="10" y2="10"/><text x="{}" y="14">{}</text>',
                    css,
                    x,
                    x + 14,
                    x + 18,
                    text,
                )
            )
    return format_html(
        '<svg class="chart period-chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        '<title>{}</title><g class="legend">{}</g>{}</svg>',
        CHART_W,
        CHART_H,
        title,
        title,
        mark_safe("".join(legend)),
        mark_safe("".join(parts)),
    )


def _percent_line(bars, slot: float, plot_h: float, attribute: str, css: str, of: str) -> SafeString:
    """A % produced line over the bars' ``attribute``, a dot with its figure per period."""
    points = [
        (PAD_L + slot * (index + 0.5), PAD_T + plot_h - plot_h * value / 100, bar.period, value)
        for index, bar in enumerate(bars)
        if (value := getattr(bar, attribute)) is not None
    ]
    if not points:
        return mark_safe("")
    what = f"% of {of} with data produced" if of else "% with data produced"
    path = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y, _, _ in points)
    dots = [
        format_html(
            '<circle class="percent-dot {}" cx="{}" cy="{}" r="3"><title>{}: {}{}</title></circle>',
            css.replace("percent-line", "").strip(),
            _fmt(x),
            _fmt(y),
            period,
            _fmt(value),
            what,
        )
        for x, y, period, value in points
    ]
    return format_html('<polyline class="{}" points="{}"/>{}', css, path, mark_safe("".join(dots)))


# --------------------------------------------------------------------------------------------
# The register's timeline
# --------------------------------------------------------------------------------------------


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
        return _fmt(TIMELINE_LABEL_W + plot_w * (day - first).days / span)

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
                x(bar.start), y, _fmt(max(float(x(bar.end)) - float(x(bar.start)), 2)), bar.label,
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
