"""A Hong Kong reader in a real browser: the language switcher keeps her on the same page, and
every public page passes axe-core in both languages."""

import re

import pytest
from django.core.management import call_command

from tests.e2e.conftest import AXE, ensure_reference_data, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PUBLIC_PAGES = ["/", "/countries/", "/countries/HK/", "/paused/", "/methodology/", "/data/"]


@pytest.fixture
def demo(live_server):
    ensure_reference_data()
    call_command("seed_demo", scale=0.03)
    return live_server.url


def test_switching_language_on_the_hong_kong_page_stays_on_it(page, demo):
    page.goto(demo + "/countries/HK/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Hong Kong")
    screenshot(page, "country-hk-en")

    page.get_by_role("link", name="繁體中文").click()
    page.wait_for_url(re.compile(r"/zh-hant/countries/HK/$"))
    assert page.locator("html").get_attribute("lang") == "zh-Hant-HK"
    assert page.locator("h1").inner_text().startswith("香港")
    assert "2020-07-06起暫停處理" in page.locator("svg.period-chart").inner_html()
    assert page.get_by_role("columnheader", name="暫停處理期間收到").first.is_visible()
    screenshot(page, "country-hk-zh-hant")

    # Within the Chinese site, links stay Chinese; the switcher goes back to the same page.
    page.get_by_role("link", name="國家／地區", exact=True).first.click()
    page.wait_for_url(re.compile(r"/zh-hant/countries/$"))
    page.locator("#id_period").select_option("2020-H2")  # its label, 期間, is also in a sort option
    page.get_by_role("button", name="顯示").click()
    page.wait_for_url(re.compile(r"/zh-hant/countries/\?.*period=2020-H2"))
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/countries/\?.*period=2020-H2"))
    assert "/zh-hant/" not in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def test_no_serious_accessibility_violations_in_either_language(page, demo):
    for prefix in ("", "/zh-hant"):
        for path in PUBLIC_PAGES:
            page.goto(demo + prefix + path)
            page.add_script_tag(path=str(AXE))
            results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            serious = [
                f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                for v in results["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert serious == [], (prefix + path, serious)
