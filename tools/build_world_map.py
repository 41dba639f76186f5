"""Build requests_app/data/world_map.json from world-atlas' countries-50m.json (TopoJSON).

Run once when the map changes (the result is committed; the server does no GIS work):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/build_world_map.py package/countries-50m.json

Source: world-atlas 2.0.2 (ISC licence, Mike Bostock), made from Natural Earth 1:50m admin-0
countries (public domain). Output: for each ISO 3166-1 alpha-2 code, an SVG path in an
equirectangular projection (viewBox 0 0 1000 470, Antarctica dropped) and a label point, so the
report draws its map on the server and tiny territories (Hong Kong, Macao, Singapore) get a dot.
"""

import json
import sys
from pathlib import Path

from django_countries import countries

WIDTH = 1000.0
LAT_TOP, LAT_BOTTOM = 84.0, -57.0
HEIGHT = round(WIDTH * (LAT_TOP - LAT_BOTTOM) / 360.0)
MIN_STEP = 1.6  # px: points closer than this to the previous kept point are dropped


def decode_arcs(topology):
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)
    return arcs


def project(lon, lat):
    return ((lon + 180.0) / 360.0 * WIDTH, (LAT_TOP - lat) / (LAT_TOP - LAT_BOTTOM) * HEIGHT)


def ring_points(ring, arcs):
    points = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def ring_path(points):
    # A ring that crosses the antimeridian (Russia's far east, Fiji) would draw a line across the
    # whole map: continue it eastwards past 180 degrees instead; the viewBox clips the overflow.
    if any(abs(a[0] - b[0]) > 180 for a, b in zip(points, points[1:], strict=False)):
        points = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in points]
    kept = []
    for lon, lat in points:
        x, y = project(lon, max(min(lat, LAT_TOP), LAT_BOTTOM))
        if kept and abs(x - kept[-1][0]) < MIN_STEP and abs(y - kept[-1][1]) < MIN_STEP:
            continue
        kept.append((x, y))
    if len(kept) < 3:
        return "", kept
    # Relative moves on a 0.5 px grid keep the file small: the map is drawn ~1000 px wide.
    grid = [(round(x * 2) / 2, round(y * 2) / 2) for x, y in kept]
    steps = [f"M{fmt(grid[0][0])} {fmt(grid[0][1])}"]
    steps += [f"l{fmt(x - px)} {fmt(y - py)}" for (px, py), (x, y) in zip(grid, grid[1:], strict=False)]
    return "".join(steps) + "z", kept


def fmt(value: float) -> str:
    return f"{value:g}"


def polygon_area(pts):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True))) / 2


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text())
    arcs = decode_arcs(topology)
    out = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        code = countries.alpha2(int(numeric)) if numeric and numeric.isdigit() else ""
        if not code or code == "AQ":
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        parts, biggest, largest_area, all_points = [], [], -1.0, []
        for polygon in polygons:
            for ring_index, ring in enumerate(polygon):
                raw = ring_points(ring, arcs)
                all_points.extend(raw)
                d, kept = ring_path(raw)
                if d:
                    parts.append(d)
                if ring_index == 0:
                    area = polygon_area(kept) if len(kept) >= 3 else 0.0
                    if area > largest_area:
                        largest_area, biggest = area, kept or [project(*p) for p in raw[:1]]
        if not biggest:
            biggest = [project(*p) for p in all_points[:1]]
        cx = sum(x for x, _ in biggest) / len(biggest)
        cy = sum(y for _, y in biggest) / len(biggest)
        out[code] = {
            "d": "".join(parts),
            "x": round(cx, 1),
            "y": round(cy, 1),
            "area": round(largest_area, 1),
        }
    target = Path(__file__).resolve().parent.parent / "requests_app" / "data" / "world_map.json"
    target.write_text(json.dumps({"width": WIDTH, "height": HEIGHT, "countries": out}, separators=(",", ":")))
    print(f"{len(out)} countries, {target.stat().st_size // 1024} KiB -> {target}")


if __name__ == "__main__":
    import django
    from django.conf import settings

    settings.configure()
    django.setup()
    main(sys.argv[1])
