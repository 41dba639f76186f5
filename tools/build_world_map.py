"""Build requests_app/data/world_map.json from world-atlas' countries-50m.json (TopoJSON).

Run once when the map changes (the result is committed; the server does no GIS work):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/build_world_map.py package/countries-50m.json

Source: world-atlas 2.0.2 (ISC licence, Mike Bostock), made from Natural Earth 1:50m admin-0
countries (public domain). Output: for each ISO 3166-1 alpha-2 code, an SVG path in an
equirectangular projection (viewBox 0 0 1000 470, Antarctica dropped) and a label point, so the
report draws its map on the server and tiny territories (Hong Kong, Macao, Singapore) get a dot.

- Natural Earth gives some codes several geometries (Australia and "Ashmore and Cartier Is." are
  both 036): their polygons are merged, not overwritten by the last one.
- "area" is the projected area (map px²) of the code's largest polygon before simplification; a
  ring of at least MIN_RING_AREA px² always keeps a path, however coarse the simplification.
- x, y is a point inside the largest polygon; for the territories drawn as dots (area below
  maps.SMALL_AREA) the dots are then pushed apart until none overlaps another (Macao and Hong Kong
  are 1.5 px apart), so that each one can be seen and clicked.
- check() fails the build if a code with a non-trivial area has no path, a label point lies
  outside its country's bounding box, or two dots overlap.
"""

import json
import math
import sys
from pathlib import Path

from django_countries import countries

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from requests_app.charts.maps import DOT_RADIUS, SMALL_AREA  # noqa: E402

WIDTH = 1000.0
LAT_TOP, LAT_BOTTOM = 84.0, -57.0
HEIGHT = round(WIDTH * (LAT_TOP - LAT_BOTTOM) / 360.0)
MIN_STEP = 1.6  # px: points closer than this to the previous kept point are dropped
MIN_RING_AREA = 1.0  # px² (~1,600 km² at the equator): a ring this big is always drawn
DOT_GAP = 2 * DOT_RADIUS + 0.5  # px between dot centres (the margin survives rounding to 0.1 px)
TARGET = ROOT / "requests_app" / "data" / "world_map.json"


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
    lat = max(min(lat, LAT_TOP), LAT_BOTTOM)
    return ((lon + 180.0) / 360.0 * WIDTH, (LAT_TOP - lat) / (LAT_TOP - LAT_BOTTOM) * HEIGHT)


def ring_points(ring, arcs):
    points = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def projected_polygon(rings):
    """A polygon's rings in map px. A polygon that crosses the antimeridian (Russia's far east,
    Fiji) would draw a line across the whole map: it continues eastwards past 180 degrees instead
    (all its rings, so holes stay inside); the viewBox clips the overflow."""
    if any(abs(a[0] - b[0]) > 180 for ring in rings for a, b in zip(ring, ring[1:], strict=False)):
        rings = [[(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring] for ring in rings]
    return [[project(lon, lat) for lon, lat in ring] for ring in rings]


def simplify(points, step):
    kept = []
    for x, y in points:
        if kept and abs(x - kept[-1][0]) < step and abs(y - kept[-1][1]) < step:
            continue
        kept.append((x, y))
    # Relative moves on a 0.5 px grid keep the file small: the map is drawn ~1000 px wide.
    grid = []
    for x, y in kept:
        point = (round(x * 2) / 2, round(y * 2) / 2)
        if not grid or point != grid[-1]:
            grid.append(point)
    return grid


def ring_path(points):
    """The SVG path of one ring (map px), or "" for a ring too small to draw."""
    grid = simplify(points, MIN_STEP)
    if (len(grid) < 3 or polygon_area(grid) == 0) and polygon_area(points) >= MIN_RING_AREA:
        # The coarse step collapsed a ring that is big enough to see: keep more of its points.
        grid = simplify(points, MIN_STEP / 4)
    if len(grid) < 3 or polygon_area(grid) == 0:
        return ""
    steps = [f"M{fmt(grid[0][0])} {fmt(grid[0][1])}"]
    steps += [f"l{fmt(x - px)} {fmt(y - py)}" for (px, py), (x, y) in zip(grid, grid[1:], strict=False)]
    return "".join(steps) + "z"


def fmt(value: float) -> str:
    return f"{value:g}"


def polygon_area(pts):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True))) / 2


def edges(ring):
    return zip(ring, ring[1:] + ring[:1], strict=True)


def inside(point, rings):
    """Even-odd rule over all rings: inside the exterior and outside its holes."""
    x, y = point
    result = False
    for ring in rings:
        for (x1, y1), (x2, y2) in edges(ring):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                result = not result
    return result


def label_point(rings):
    """The exterior's centroid if it lies inside the polygon (most shapes), else the middle of the
    widest span across the polygon on one of a few horizontal lines (crescents, thin coasts)."""
    exterior = rings[0]
    signed = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in edges(exterior))
    if abs(signed) > 1e-9:
        cx = sum((x1 + x2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in edges(exterior))
        cy = sum((y1 + y2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in edges(exterior))
        centroid = (cx / (3 * signed), cy / (3 * signed))
        if inside(centroid, rings):
            return centroid
    ys = [y for _, y in exterior]
    best, best_width = (sum(x for x, _ in exterior) / len(exterior), sum(ys) / len(ys)), -1.0
    for i in range(1, 20):
        y = min(ys) + (max(ys) - min(ys)) * i / 20
        crossings = sorted(
            x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            for ring in rings
            for (x1, y1), (x2, y2) in edges(ring)
            if (y1 > y) != (y2 > y)
        )
        for left, right in zip(crossings[::2], crossings[1::2], strict=False):
            if right - left > best_width:
                best, best_width = ((left + right) / 2, y), right - left
    return best


def separate_dots(out):
    """Push apart the dots of small territories until no two overlap; returns the largest shift.

    Deterministic: pairs are visited in code order and each overlapping pair moves apart along the
    line between them (side by side, in code order, if they coincide), half the overlap each."""
    codes = sorted(code for code, shape in out.items() if shape["area"] < SMALL_AREA)
    start = {code: (out[code]["x"], out[code]["y"]) for code in codes}
    pos = {code: list(point) for code, point in start.items()}
    for _ in range(2000):
        moved = False
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                dx, dy = pos[b][0] - pos[a][0], pos[b][1] - pos[a][1]
                dist = math.hypot(dx, dy)
                if dist >= DOT_GAP:
                    continue
                if dist < 1e-9:
                    dx, dy, dist = 1.0, 0.0, 1.0
                push = (DOT_GAP - dist) / 2 + 0.01
                for code, sign in ((a, -1), (b, 1)):
                    x, y = pos[code][0] + sign * push * dx / dist, pos[code][1] + sign * push * dy / dist
                    pos[code] = [clamp(x, WIDTH), clamp(y, HEIGHT)]
                moved = True
        if not moved:
            break
    else:
        raise SystemExit("the dots of small territories could not be separated")
    for code in codes:
        out[code]["x"], out[code]["y"] = round(pos[code][0], 1), round(pos[code][1], 1)
    return max((math.dist(start[c], pos[c]) for c in codes), default=0.0)


def clamp(value, size):
    """Keep a dot wholly on the map."""
    return min(max(value, DOT_RADIUS), size - DOT_RADIUS)


def bounds(polygons):
    xs = [x for rings in polygons for x, _ in rings[0]]
    ys = [y for rings in polygons for _, y in rings[0]]
    return min(xs), min(ys), max(xs), max(ys)


def check(out, boxes, labels):
    """The guarantees the map relies on; the build fails if one does not hold."""
    problems = []
    for code, shape in out.items():
        if shape["area"] >= MIN_RING_AREA and not shape["d"]:
            problems.append(f"{code}: {shape['area']} px² but no path")
        x0, y0, x1, y1 = boxes[code]
        x, y = labels[code]
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            problems.append(f"{code}: label point {x:.1f},{y:.1f} outside its bounding box")
    dots = sorted(code for code, shape in out.items() if shape["area"] < SMALL_AREA)
    for i, a in enumerate(dots):
        for b in dots[i + 1 :]:
            if math.dist((out[a]["x"], out[a]["y"]), (out[b]["x"], out[b]["y"])) < 2 * DOT_RADIUS:
                problems.append(f"the dots of {a} and {b} overlap")
    if problems:
        raise SystemExit("\n".join(problems))


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text())
    arcs = decode_arcs(topology)
    polygons_by_code: dict[str, list] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        code = countries.alpha2(int(numeric)) if numeric and numeric.isdigit() else ""
        if not code or code == "AQ":
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        polygons_by_code.setdefault(code, []).extend(
            projected_polygon([ring_points(ring, arcs) for ring in polygon]) for polygon in polygons
        )
    out, boxes, labels = {}, {}, {}
    for code, polygons in polygons_by_code.items():
        largest = max(polygons, key=lambda rings: polygon_area(rings[0]))
        x, y = label_point(largest)
        out[code] = {
            "d": "".join(ring_path(ring) for rings in polygons for ring in rings),
            "x": round(x, 1),
            "y": round(y, 1),
            "area": round(polygon_area(largest[0]), 1),
        }
        boxes[code], labels[code] = bounds(polygons), (x, y)
    shift = separate_dots(out)
    check(out, boxes, labels)
    TARGET.write_text(json.dumps({"width": WIDTH, "height": HEIGHT, "countries": out}, separators=(",", ":")))
    size = TARGET.stat().st_size
    print(f"{len(out)} countries, dots moved up to {shift:.1f} px, {size:,} bytes -> {TARGET}")


if __name__ == "__main__":
    import django
    from django.conf import settings

    settings.configure()
    django.setup()
    main(sys.argv[1])
