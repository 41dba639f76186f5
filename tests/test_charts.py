import datetime
import re

from requests_app.charts import MapEntry, PauseBand, PeriodBar, nice_max, period_chart, world_map


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
