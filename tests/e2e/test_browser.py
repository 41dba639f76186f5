"""What a journalist does in a real browser: overview, a country, the filters, the register, a
download; axe-core on every public page; every control reachable by keyboard."""

import csv
import io
import re

import pytest
from django.core.management import call_command

from tests.e2e.conftest import AXE, ensure_reference_data, screenshot

# serialized_rollback restores what migrations created (the roles) after each flush.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PUBLIC_PAGES = ["/", "/countries/", "/countries/HK/", "/paused/", "/methodology/", "/data/"]


@pytest.fixture
def demo(live_server):
    ensure_reference_data()  # an earlier browser test's flush may have emptied them
    call_command("seed_demo", scale=0.03)
    return live_server.url


def test_journalist_journey(page, demo):
    page.goto(demo + "/")
    assert page.locator("h1").inner_text() == "Government requests for user data"
    assert page.get_by_role("link", name="Hong Kong", exact=True).first.is_visible()
    screenshot(page, "overview")

    # Hong Kong is a dot on the map: follow it.
    page.locator('svg.world-map a[href^="/countries/HK/"]').click()
    page.wait_for_url(re.compile(r"/countries/HK/"))
    assert "Paused from 2020-07-06" in page.locator("svg.period-chart").inner_html()
    assert page.get_by_role("columnheader", name="Received during a pause").first.is_visible()
    screenshot(page, "country-hk")

    # The countries table: change the period, the URL carries it.
    page.get_by_role("link", name="Countries", exact=True).click()
    page.get_by_label("Period").select_option("2020-H2")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"period=2020-H2"))
    assert "2020-H2" in page.locator("#countries-table caption").inner_text()
    assert page.locator("#countries-table tbody tr").count() >= 40
    screenshot(page, "countries")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download exactly this as CSV").click()
    content = open(download_info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert rows and {row["period"] for row in rows} == {"2020-H2"}

    page.get_by_role("link", name="Paused jurisdictions").click()
    page.wait_for_url(re.compile(r"/paused/"))
    register = page.locator("ul.register").first.inner_text()
    assert "Hong Kong" in register and "Russia" in register
    screenshot(page, "paused")
    page.goto(demo + "/methodology/")
    screenshot(page, "methodology")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def test_no_serious_accessibility_violations(page, demo):
    for path in PUBLIC_PAGES:
        page.goto(demo + path)
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (path, serious)


def test_keyboard_reaches_every_control(page, demo):
    page.goto(demo + "/countries/")
    controls = page.evaluate(
        "() => Array.from(document.querySelectorAll('main input, main select, main button'))"
        ".map(e => e.id || e.textContent.trim())"
    )
    assert len(controls) >= 5
    reached = []
    for _ in range(300):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? (e.id || e.textContent.trim() || e.tagName) : null }"
        )
        reached.append(focused)
        if set(controls) <= set(reached):
            break
    assert reached[0] == "Skip to content"
    assert set(controls) <= set(reached), set(controls) - set(reached)


def requests_column(page) -> list[int]:
    cells = page.locator("#countries-table tbody td:nth-child(2)").all_inner_texts()
    return [int(cell.replace(",", "")) for cell in cells]


def test_sort_links_keep_the_period_and_reverse_on_a_second_click(page, demo):
    page.goto(demo + "/countries/?period=2020-H2")
    page.get_by_role("link", name="Requests", exact=True).click()
    page.wait_for_url(re.compile(r"sort=-requests"))
    assert "period=2020-H2" in page.url and "??" not in page.url
    figures = requests_column(page)
    assert figures == sorted(figures, reverse=True) and len(figures) > 5
    assert page.locator("#countries-table th[aria-sort]").get_attribute("aria-sort") == "descending"
    page.get_by_role("link", name="Requests", exact=True).click()
    page.wait_for_url(re.compile(r"sort=requests"))
    ascending = requests_column(page)
    assert ascending == sorted(ascending) and "period=2020-H2" in page.url
    assert page.locator(".errorlist").count() == 0


def test_no_public_page_scrolls_sideways_on_a_phone(browser, demo):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        for url in PUBLIC_PAGES:
            page.goto(demo + url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
            # Chart text is drawn at 11 px or more; a period label never wraps ("2026-/H1").
            smallest = page.evaluate(
                "Math.min(...[...document.querySelectorAll('svg.chart text')].map(t => {"
                " const svg = t.ownerSVGElement;"
                " const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
                " return parseFloat(getComputedStyle(t).fontSize) * scale; }), 99)"
            )
            assert smallest >= 11, (url, smallest)
            wrapped = page.evaluate(
                "[...document.querySelectorAll('th, td')].filter(c =>"
                " /^\\d{4}-H[12]$/.test(c.innerText.trim()) && c.getBoundingClientRect().height > 40).length"
            )
            assert wrapped == 0, url
            screenshot(page, f"phone{url.replace('/', '-').rstrip('-') or '-home'}")
    finally:
        context.close()


def test_every_jurisdiction_on_the_map_is_its_own_link_and_each_status_has_one_label(page, demo):
    page.goto(demo + "/")
    links = page.locator("svg.world-map a")
    assert links.count() > 40
    # What a click on the middle of each small territory's dot opens: its own page (Macao's dot
    # used to lie under Hong Kong's).
    hits = page.evaluate(
        """() => [...document.querySelectorAll('svg.world-map a circle')].map(c => {
             c.scrollIntoView({block: 'center', inline: 'center'});
             const r = c.getBoundingClientRect();
             const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
             const link = hit && hit.closest('a');
             return [c.closest('a').getAttribute('href'), link && link.getAttribute('href')];
           })"""
    )
    assert hits and all(own == hit for own, hit in hits), hits
    assert any(href.startswith("/countries/MO/") for href, _ in hits)
    assert page.locator('svg.world-map a[href^="/countries/AU/"] path').count() == 1  # an outline
    # One label per status: Russia reads "Redirected" on the overview, the table and its page.
    assert "REDIRECTED" in page.locator(".register").first.inner_text().upper()  # CSS capitalises badges
    page.goto(demo + "/countries/")
    assert page.locator("tr", has_text="Russia").locator(".badge").inner_text().lower() == "redirected"
    page.goto(demo + "/countries/RU/")
    assert page.locator(".pause-story .badge").inner_text().lower() == "redirected"
