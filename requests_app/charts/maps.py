"""The world map: requests by jurisdiction, shaded in five classes, pauses outlined."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .common import NO_DATA, SHADES, count, shade_classes, shade_for

MAP_FILE = Path(__file__).resolve().parent.parent / "data" / "world_map.json"
# A territory whose largest piece is smaller than this (in map px², before simplification: ~3 px
# square, Qatar, Lebanon, Jamaica) gets a dot so that it can be seen and clicked.
SMALL_AREA = 8.0
# The dot's radius (map px). tools/build_world_map.py places the dots of small territories so that
# no two overlap (Hong Kong and Macao are 1.5 px apart): both constants are read from here.
DOT_RADIUS = 4.5


@cache
def world_geometry() -> dict:
    return json.loads(MAP_FILE.read_text())


def unmapped(entries: list[MapEntry]) -> list[MapEntry]:
    """Entries the map cannot draw (international bodies, Kosovo): listed beside it instead."""
    shapes = world_geometry()["countries"]
    return [entry for entry in entries if entry.code not in shapes]


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
        label = ngettext("%(name)s: %(count)s request", "%(name)s: %(count)s requests", entry.value) % {
            "name": entry.name,
            "count": count(entry.value),
        }
        if entry.pause_label:
            label = _("%(label)s (%(status)s)") % {"label": label, "status": entry.pause_label.lower()}
        css = f"map-country map-paused status-{entry.pause_status}" if entry.pause_label else "map-country"
        body = format_html('<path d="{}" fill="{}" class="{}"/>', shape["d"], fill, css) if shape["d"] else ""
        if shape["area"] < SMALL_AREA:
            body += format_html(
                '<circle cx="{}" cy="{}" r="{}" fill="{}" class="map-dot{}"/>',
                shape["x"],
                shape["y"],
                DOT_RADIUS,
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
                f"{count(lower)}–{count(bound)}" if lower != bound else count(bound),
            )
        )
        lower = bound + 1
    for index, (status, label) in enumerate(statuses):
        x = 10 + (len(bounds) + index) * 120
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="16" height="12" fill="{}" class="map-paused status-{}"/>'
                '<text x="{}" y="{}">{}</text>',
                x,
                height + 12,
                NO_DATA,
                status,
                x + 20,
                height + 22,
                _("%(status)s (outlined)") % {"status": label},
            )
        )
    return format_html('<g class="legend">{}</g>', mark_safe("".join(parts)))
