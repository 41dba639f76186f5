"""Charts and the world map, drawn on the server as SVG.

No JavaScript and no CDN: the page is readable as delivered, prints well, and every chart sits next
to a table with the same numbers (the text alternative). The inputs are plain values taken from
published snapshots; nothing here reads the database.

- ``maps``: the world map of requests by jurisdiction.
- ``periods``: requests per report period, the % produced and the pause bands.
- ``timeline``: the register's decisions over time.
- ``common``: number formatting, colours and scales.
"""

from .bands import BandRange, band_chart
from .common import nice_max, shade_classes
from .maps import MapEntry, unmapped, world_map
from .periods import PauseBand, PeriodBar, period_chart
from .timeline import TimelineBar, pause_timeline

__all__ = [
    "BandRange",
    "MapEntry",
    "PauseBand",
    "PeriodBar",
    "TimelineBar",
    "band_chart",
    "nice_max",
    "pause_timeline",
    "period_chart",
    "shade_classes",
    "unmapped",
    "world_map",
]
