import datetime
import importlib.util
import itertools
import math
import re
from pathlib import Path

from requests_app.charts import MapEntry, PauseBand, PeriodBar, nice_max, period_chart, world_map
from requests_app.charts.maps import DOT_RADIUS, SMALL_AREA, world_geometry


def test_gridlines_are_whole_numbers():
    for value, top in [(0, 4), (3, 4), (7, 8), (34, 40), (50, 80), (99, 100), (901, 1000), (12_345, 20_000)]:
        assert nice_max(value) == top
        assert nice_max(value) % 4 == 0


def test_pause_band_starts_at_the_decision_date_inside_its_half_year():
    bars = [PeriodBar(p, {"legal_process": 10}, 50.0) for p in ["2020-H1", "2020-H2", "2021-H1"]]
    band = PauseBand(datetime.date(2020, 7, 6), None, "Paused", "paused")
    svg = period_chart(bars, title="Hong Kong", bands=[band])
    pattern = r'<g class="pause-band status-paused"><rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"'
    rect = re.search(pattern, svg)
    x, width = float(rect[1]), float(rect[2])
    slot = (760 - 56 - 48) / 3
    assert abs(x - (56 + slot * (1 + 5 / 184))) < 0.2  # 5 days into the 184-day second half
    assert abs(x + width - (56 + slot * 3)) < 0.2  # open-ended: runs to the last period
    assert svg.count('class="bar"') == 3
    assert "Paused" in svg and "50% with data produced" in svg


def test_map_links_countries_shows_small_territories_as_dots_and_escapes_names():
    svg = world_map(
        [
            MapEntry("US", "United States", 900, "/countries/US/"),
            MapEntry("HK", "Hong Kong <script>", 30, "/countries/HK/", pause_label="Paused"),
        ],
        title="Requests",
    )
    assert '<a href="/countries/US/"' in svg
    hk = re.search(r'<a href="/countries/HK/"[^>]*>.*?</a>', svg).group(0)
    assert "<circle" in hk and "map-paused" in hk
    assert "&lt;script&gt;" in svg and "<script>" not in svg
    assert 'href="/countries/FR/"' not in svg  # no figures, no link


# The world map, checked on the committed requests_app/data/world_map.json.

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "build_world_map.py"


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_world_map", _TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _path_points(d):
    """The absolute points of a path made of M (absolute) and l (relative) steps."""
    points, x, y = [], 0.0, 0.0
    for command, dx, dy in re.findall(r"([Ml])(-?[\d.]+) (-?[\d.]+)", d):
        x, y = (float(dx), float(dy)) if command == "M" else (x + float(dx), y + float(dy))
        points.append((x, y))
    return points


def _box(d):
    points = _path_points(d)
    return (
        min(p[0] for p in points),
        min(p[1] for p in points),
        max(p[0] for p in points),
        max(p[1] for p in points),
    )


def _every_code_on_the_map():
    codes = list(world_geometry()["countries"])
    entries = [
        MapEntry(code, f"Name of {code}", 10 + i, f"/countries/{code}/") for i, code in enumerate(codes)
    ]
    return codes, world_map(entries, title="Requests")


def test_map_data_every_sizeable_territory_has_an_outline_and_its_label_point_in_it():
    shapes = world_geometry()["countries"]
    tool = _build_tool()
    for code, shape in shapes.items():
        if shape["area"] >= tool.MIN_RING_AREA:  # measured before simplification
            assert shape["d"], code
        if shape["area"] >= SMALL_AREA:  # drawn as an outline: the label point is the true one
            x0, y0, x1, y1 = _box(shape["d"])
            assert x0 <= shape["x"] <= x1 and y0 <= shape["y"] <= y1, code
    assert {"HK", "MO", "SG"} <= {code for code, shape in shapes.items() if shape["area"] < SMALL_AREA}


def test_map_draws_every_jurisdiction_linked_to_its_own_page_and_no_dot_covers_another():
    codes, svg = _every_code_on_the_map()
    dots = {}
    for code in codes:
        links = re.findall(rf'<a href="/countries/{code}/"[^>]*>.*?</a>', svg)
        assert len(links) == 1, code
        circle = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', links[0])
        assert circle or re.search(r'<path d="M[^"]+"', links[0]), code
        if circle:
            dots[code] = (float(circle[1]), float(circle[2]), float(circle[3]))
    assert len(dots) > 50 and {d[2] for d in dots.values()} == {DOT_RADIUS}
    for a, b in itertools.combinations(sorted(dots), 2):
        assert math.dist(dots[a][:2], dots[b][:2]) >= 2 * DOT_RADIUS, (a, b)
    # Clicking Macao's dot hits Macao: its centre is not under Hong Kong's dot (drawn later).
    assert math.dist(dots["MO"][:2], dots["HK"][:2]) > DOT_RADIUS
    # A dot stays near its territory (pushed apart from its neighbours by a few px at most).
    tool = _build_tool()
    shapes = world_geometry()["countries"]
    for code, (x, y, _) in dots.items():
        if shapes[code]["d"]:
            x0, y0, x1, y1 = _box(shapes[code]["d"])
            assert x0 - 20 <= x <= x1 + 20 and y0 - 20 <= y <= y1 + 20, code
    hk, mo = tool.project(114.17, 22.32), tool.project(113.55, 22.17)
    assert math.dist(dots["HK"][:2], hk) < 3 * DOT_RADIUS and math.dist(dots["MO"][:2], mo) < 3 * DOT_RADIUS
    assert dots["MO"][0] < dots["HK"][0]  # Macao stays west of Hong Kong


def test_map_draws_australia_as_its_outline_not_as_a_dot():
    codes, svg = _every_code_on_the_map()
    australia = re.search(r'<a href="/countries/AU/"[^>]*>.*?</a>', svg).group(0)
    assert "<circle" not in australia
    d = re.search(r'<path d="([^"]+)"', australia)[1]
    tool = _build_tool()
    (west, north), (east, south) = tool.project(113.5, -11.0), tool.project(153.5, -43.5)
    x0, y0, x1, y1 = _box(d)
    assert x0 <= west and x1 >= east and y0 <= north and y1 >= south
    # ... and no further than its islands: nothing of Ashmore Reef's dot south of Java is left.
    (far_west, far_north), (far_east, far_south) = tool.project(112.0, -9.0), tool.project(160.0, -56.0)
    assert x0 >= far_west and x1 <= far_east and y0 >= far_north and y1 <= far_south
    assert len(_path_points(d)) > 150  # the mainland's coast, not a triangle


def test_period_charts_title_their_axes_with_units():
    bars = [PeriodBar(p, {"legal_process": 10}, 50.0) for p in ["2020-H1", "2020-H2"]]
    svg = period_chart(bars, title="Requests")
    assert ">Requests (bars)</text>" in svg and ">% with data produced (line)</text>" in svg
    assert ">Half-year received</text>" in svg
    no_percent = period_chart(bars, title="Requests", show_percent=False)
    assert "% with data produced" not in no_percent and ">Requests (bars)</text>" in no_percent


def test_map_legend_bins_are_round_numbers():
    from requests_app.charts import shade_classes

    bounds = shade_classes([3, 7, 12, 97, 187, 433, 950, 1_234, 9_876])
    assert bounds == sorted(bounds)
    for bound in bounds:
        digits = str(bound).rstrip("0")
        assert bound <= 10 or digits in {"1", "2", "5"}, bound
    entries = [
        MapEntry("US", "United States", 9_876, "/countries/US/"),
        MapEntry("DE", "Germany", 187, "/countries/DE/"),
    ]
    svg = world_map(entries, title="Requests")
    assert ">1–200</text>" in svg and ">201–10,000</text>" in svg
