"""Requests per report period: stacked bars by request type, the % produced, the pause bands."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..periods import Period
from .common import TYPE_COLOURS, count, fmt, nice_max, type_name


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
PLOT_H = CHART_H - PAD_T - PAD_B


@dataclass(frozen=True)
class Plot:
    """Where a period chart draws: one slot per period, ``top`` requests at the top gridline."""

    periods: list[str]
    slot: float
    top: int

    @classmethod
    def of(cls, bars: list[PeriodBar]) -> Plot:
        return cls(
            periods=[b.period for b in bars],
            slot=(CHART_W - PAD_L - PAD_R) / len(bars),
            top=nice_max(max(sum(b.stacks.values()) for b in bars)),
        )

    @property
    def right(self) -> float:
        """x of the end of the last period."""
        return PAD_L + self.slot * len(self.periods)

    def date_x(self, day: datetime.date) -> float:
        """x of a date: its period's slot plus the fraction of the half-year elapsed."""
        period = Period.containing(day)
        labels = [Period.parse(p) for p in self.periods]
        if period < labels[0]:
            return PAD_L
        if period > labels[-1]:
            return self.right
        index = labels.index(period)
        fraction = (day - period.start).days / ((period.end - period.start).days + 1)
        return PAD_L + self.slot * (index + fraction)


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
    plot = Plot.of(bars)
    parts = [
        *_pause_bands(bands, plot),
        *_grid(plot, show_percent=show_percent),
        *_axis_titles(show_percent=show_percent),
        *_bars(bars, plot),
    ]
    if show_percent:
        parts += _percent_lines(bars, plot, paused_label)
    legend = _legend(bars, show_percent=show_percent, paused_label=paused_label)
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


def _pause_bands(bands: list[PauseBand], plot: Plot) -> list[SafeString]:
    """A shaded band with its label from each decision's start to its end (or the last period)."""
    parts = []
    for band in bands:
        x1 = plot.date_x(band.start)
        x2 = plot.date_x(band.end) if band.end else plot.right
        if x2 <= x1:
            continue
        parts.append(
            format_html(
                '<g class="pause-band status-{}"><rect x="{}" y="{}" width="{}" height="{}"/>'
                '<text x="{}" y="{}">{}</text></g>',
                band.status,
                fmt(x1),
                PAD_T,
                fmt(x2 - x1),
                PLOT_H,
                fmt(x1 + 4),
                PAD_T + 12,
                band.label,
            )
        )
    return parts


def _grid(plot: Plot, *, show_percent: bool) -> list[SafeString]:
    """Five gridlines with the requests axis on the left and, with the % line, 0-100% on the right."""
    parts = []
    for tick in range(5):
        value = plot.top * tick / 4
        y = PAD_T + PLOT_H - PLOT_H * tick / 4
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/><text class="axis" x="{}" y="{}" '
                'text-anchor="end">{}</text>',
                PAD_L,
                CHART_W - PAD_R,
                fmt(y),
                fmt(y),
                PAD_L - 6,
                fmt(y + 4),
                count(int(value)),
            )
        )
        if show_percent:
            parts.append(
                format_html(
                    '<text class="axis axis-percent" x="{}" y="{}">{}%</text>',
                    CHART_W - PAD_R + 6,
                    fmt(y + 4),
                    tick * 25,
                )
            )
    return parts


def _axis_titles(*, show_percent: bool) -> list[SafeString]:
    """What each axis counts, with its unit: requests on the left, the % line's own 0-100% scale
    on the right, half-years along the bottom."""
    middle = PAD_T + PLOT_H / 2
    titles = [
        format_html(
            '<text class="axis-title" transform="translate(12 {}) rotate(-90)" '
            'text-anchor="middle">{}</text>',
            fmt(middle),
            _("Requests (bars)"),
        ),
        format_html(
            '<text class="axis-title" x="{}" y="{}" text-anchor="middle">{}</text>',
            fmt(PAD_L + (CHART_W - PAD_L - PAD_R) / 2),
            CHART_H - 6,
            _("Half-year received"),
        ),
    ]
    if show_percent:
        titles.append(
            format_html(
                '<text class="axis-title axis-percent" transform="translate({} {}) rotate(90)" '
                'text-anchor="middle">{}</text>',
                CHART_W - 16,
                fmt(middle),
                _("% with data produced (line)"),
            )
        )
    return titles


def _bars(bars: list[PeriodBar], plot: Plot) -> list[SafeString]:
    """Each period's stack of requests by type; its label under it (every n-th, at most ~10)."""
    parts = []
    label_every = max(1, round(len(bars) / 10))
    for index, bar in enumerate(bars):
        parts += _stack(bar, plot, x=PAD_L + plot.slot * index + plot.slot * 0.15)
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    fmt(PAD_L + plot.slot * (index + 0.5)),
                    CHART_H - PAD_B + 16,
                    bar.period,
                )
            )
    return parts


def _stack(bar: PeriodBar, plot: Plot, *, x: float) -> list[SafeString]:
    """One period's requests, a rectangle per request type from the bottom up."""
    parts = []
    y = PAD_T + PLOT_H
    for request_type, requests in bar.stacks.items():
        h = PLOT_H * requests / plot.top
        y -= h
        parts.append(
            format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
                fmt(x),
                fmt(y),
                fmt(plot.slot * 0.7),
                fmt(h),
                TYPE_COLOURS.get(request_type, "#777"),
                ngettext(
                    "%(period)s %(type)s: %(count)s request",
                    "%(period)s %(type)s: %(count)s requests",
                    requests,
                )
                % {"period": bar.period, "type": type_name(request_type), "count": count(requests)},
            )
        )
    return parts


def _percent_lines(bars: list[PeriodBar], plot: Plot, paused_label: str) -> list[SafeString]:
    """The % produced line; with ``paused_label``, that of the other types and that of the paused."""
    other = _("other requests than %(types)s") % {"types": paused_label} if paused_label else ""
    lines = [_percent_line(bars, plot, "percent_produced", "percent-line", other)]
    if paused_label:
        lines.append(_percent_line(bars, plot, "paused_percent", "percent-line paused-line", paused_label))
    return lines


def _percent_line(bars: list[PeriodBar], plot: Plot, attribute: str, css: str, of: str) -> SafeString:
    """A % produced line over the bars' ``attribute``, a dot with its figure per period."""
    points = [
        (PAD_L + plot.slot * (index + 0.5), PAD_T + PLOT_H - PLOT_H * value / 100, bar.period, value)
        for index, bar in enumerate(bars)
        if (value := getattr(bar, attribute)) is not None
    ]
    if not points:
        return mark_safe("")
    path = " ".join(f"{fmt(x)},{fmt(y)}" for x, y, _period, _value in points)
    dots = [
        format_html(
            '<circle class="percent-dot {}" cx="{}" cy="{}" r="3"><title>{}</title></circle>',
            css.replace("percent-line", "").strip(),
            fmt(x),
            fmt(y),
            _percent_title(period, value, of),
        )
        for x, y, period, value in points
    ]
    return format_html('<polyline class="{}" points="{}"/>{}', css, path, mark_safe("".join(dots)))


def _percent_title(period: str, value: float, of: str) -> str:
    """A % dot's text: "2020-H2: 3.3% of legal process with data produced"."""
    values = {"period": period, "percent": fmt(value), "what": of}
    if of:
        return _("%(period)s: %(percent)s%% of %(what)s with data produced") % values
    return _("%(period)s: %(percent)s%% with data produced") % values


def _legend(bars: list[PeriodBar], *, show_percent: bool, paused_label: str) -> list[SafeString]:
    """A colour key per request type drawn, then a key per % line."""
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
                type_name(request_type),
            )
        )
    if not show_percent:
        return legend
    keys = [("percent-line", _("% produced, other types") if paused_label else _("% produced"))]
    if paused_label:
        keys.append(("percent-line paused-line", _("%% produced, %(types)s") % {"types": paused_label}))
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
    return legend
