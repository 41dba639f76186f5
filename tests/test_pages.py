"""The public report pages: content, filters, bad input, query counts, caching and leakage."""

import csv
import datetime
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app import services
from requests_app.models import DataRequest, PauseDecision
from tests.factories import DataRequestFactory, FigureRowFactory, PauseDecisionFactory, PublicationFactory

pytestmark = pytest.mark.django_db

CANARY_NOTE = "CANARY-internal-note-7d1f"
CANARY_RATIONALE = "CANARY-rationale-5e2a"
CANARY_DRAFT = "CANARY-draft-statement-9b3c"
CANARY_REVIEWER = "Zebulon Canaryman"
UNPUBLISHED_PERIOD = "2021-H1"


def publish_rows(period: str, rows: dict[str, tuple[int, int, int]], version: int = 1, note: str = ""):
    """rows: country -> (legal requests, produced, received during pause)."""
    publication = PublicationFactory(period=period, version=version, note=note)
    for code, (requests, produced, during) in rows.items():
        FigureRowFactory(
            publication=publication,
            country=code,
            request_type="legal_process",
            requests=requests,
            accounts_specified=requests + 1,
            requests_with_data_produced=produced,
            requests_received_during_pause=during,
        )
        FigureRowFactory(
            publication=publication,
            country=code,
            request_type="preservation",
            requests=2,
            accounts_specified=2,
            requests_with_data_produced=2,
            requests_received_during_pause=0,
        )
    return publication


@pytest.fixture
def report():
    publish_rows("2020-H1", {"US": (100, 80, 0), "DE": (40, 20, 0), "HK": (10, 5, 0)})
    publish_rows("2020-H2", {"US": (120, 90, 0), "DE": (50, 30, 0), "HK": (12, 0, 9)})
    hk = PauseDecisionFactory(
        country="HK",
        effective_from=datetime.date(2020, 7, 6),
        public_statement="We paused legal-process requests from Hong Kong.",
        internal_rationale=CANARY_RATIONALE,
        is_published=True,
    )
    PauseDecisionFactory(country="BY", public_statement=CANARY_DRAFT, is_published=False)
    reviewer = __import__("tests.factories", fromlist=["UserFactory"]).UserFactory(
        username="zeb", first_name="Zebulon", last_name="Canaryman"
    )
    # Records of a period that was never published, with internal notes and a named reviewer.
    DataRequestFactory(
        country="FR", received_on=datetime.date(2021, 2, 1), internal_notes=CANARY_NOTE, assignee=reviewer
    )
    return hk


def test_overview_shows_totals_change_trend_map_and_pauses(client, report):
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    assert "2020-H2" in page
    # 170 legal + 6 preservation requests; share over legal process only: 120 / 182.
    assert "188" in page  # 182 legal + 6 preservation
    assert "+20.5% on 2020-H1" in page  # (188 - 156) / 156
    assert "65.9%" in page  # 120 / 182: preservation requests are not in the share
    assert 'class="chart period-chart"' in page and 'class="chart world-map"' in page
    hk_link = re.search(r'<a href="/countries/HK/\?period=2020-H2"[^>]*>.*?</a>', page, re.S).group(0)
    assert "<circle" in hk_link and "map-paused" in hk_link
    assert "Hong Kong" in page and "Belarus" not in page


def test_countries_table_filters_sorts_and_downloads_exactly_what_it_shows(client, report):
    response = client.get("/countries/")
    assert response.status_code == 200
    names = re.findall(r'<th scope="row"><a href="/countries/(\w\w)/">', response.text)
    assert names == ["DE", "HK", "US"]  # by name: Germany, Hong Kong, United States
    assert re.search(r"Hong Kong</a> <span class=\"badge status-paused\">Paused</span>", response.text)

    response = client.get(
        "/countries/", {"period": "2020-H1", "sort": "-requests", "request_type": "legal_process"}
    )
    assert re.findall(r'<th scope="row"><a href="/countries/(\w\w)/">', response.text) == ["US", "DE", "HK"]
    assert "80.0%" in response.text  # US 80 / 100 in 2020-H1

    response = client.get("/countries/", {"period": "2020-H2", "q": "king"})
    assert re.findall(r'<th scope="row"><a href="/countries/(\w\w)/">', response.text) == ["GB"] or (
        "No country matches" in response.text
    )
    response = client.get("/countries/", {"period": "2020-H2", "q": "hong"})
    assert re.findall(r'<th scope="row"><a href="/countries/(\w\w)/">', response.text) == ["HK"]
    download = re.search(r'href="(/data/requests.csv\?[^"]+)"', response.text).group(1).replace("&amp;", "&")
    rows = list(csv.DictReader(io.StringIO(client.get(download).content.decode("utf-8-sig"))))
    assert {r["country_code"] for r in rows} == {"HK"} and {r["period"] for r in rows} == {"2020-H2"}


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"period": "2020-H3"}, "2020-H3"),
        ({"period": "2019-H1"}, "2019-H1"),
        ({"request_type": "telepathy"}, "telepathy"),
        ({"sort": "chaos"}, "chaos"),
    ],
)
def test_countries_bad_parameters_get_400_with_the_reason(client, report, params, reason):
    response = client.get("/countries/", params)
    assert response.status_code == 400
    assert reason in response.text and "cannot be shown" in response.text


def test_country_page_shows_history_pause_band_and_pause_figures(client, report):
    response = client.get("/countries/HK/")
    assert response.status_code == 200
    page = response.text
    assert "Paused from 2020-07-06" in page  # the band on the chart
    assert "Received during a pause" in page and "Produced under a pause exception" in page
    hk_2020_h2 = re.search(r"<th scope=\"row\"[^>]*>2020-H2</th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', hk_2020_h2) == ["14", "15", "0.0%", "9", "0"]
    assert "We paused legal-process requests from Hong Kong." in page
    assert "A 0% here is a policy" in page


def test_country_page_codes(client, report):
    assert client.get("/countries/ZZ/").status_code == 404
    assert client.get("/countries/not-a-country/").status_code == 404
    response = client.get("/countries/hk/")
    assert response.status_code == 301 and response["Location"] == "/countries/HK/"
    response = client.get("/countries/FR/")
    assert response.status_code == 200
    assert "No figures have been published for France." in response.text


def test_pause_register_shows_public_history_only(client, report):
    hk = report
    services.pause_update(pause=hk, public_statement="We paused legal-process requests; review in 2021.")
    services.pause_update(
        pause=PauseDecision.objects.get(pk=hk.pk), internal_rationale=CANARY_RATIONALE + "-2"
    )
    lifted = PauseDecisionFactory(
        country="MM",
        effective_from=datetime.date(2021, 2, 1),
        ended_on=datetime.date(2021, 8, 1),
        status="lifted",
    )
    response = client.get("/paused/")
    page = response.text
    assert response.status_code == 200
    current, past = page.split("<h2>Past decisions</h2>")
    assert "Hong Kong" in current and "Myanmar" in past and lifted.get_status_display() in past
    assert "Public statement: We paused legal-process requests from Hong Kong. → We paused" in page
    assert "2 public versions" in page  # the rationale-only edit is not a public change
    assert CANARY_RATIONALE not in page and CANARY_DRAFT not in page and "Belarus" not in page


def test_internal_edits_add_no_entry_to_the_public_history(client, report):
    """/paused/ and the country page render exactly as before an internal-only edit of a published
    decision (a new history version equal to the last one in every public field)."""
    from django.core.cache import cache

    def pages():
        cache.clear()  # rendered afresh, not replayed
        return [client.get(url).content for url in ("/paused/", "/countries/HK/")]

    hk = report
    services.pause_update(pause=hk, public_statement="We paused legal-process requests; review in 2021.")
    before = pages()
    assert b"2 public versions" in before[0] and b"2 public versions" in before[1]
    edits = [
        {"internal_rationale": CANARY_RATIONALE + "-2"},
        {"next_review_on": datetime.date(2027, 6, 1)},
        {"trigger": "Implementing rules of art. 43."},
        {"decided_by": __import__("tests.factories", fromlist=["UserFactory"]).UserFactory()},
        {"allowed_exceptions": []},
    ]
    for changes in edits:
        services.pause_update(pause=PauseDecision.objects.get(pk=hk.pk), **changes)
        assert pages() == before, changes
    assert PauseDecision.history.filter(id=hk.pk).count() == 2 + len(edits)
    services.pause_update(pause=PauseDecision.objects.get(pk=hk.pk), statement_url="https://example.org/hk")
    after = pages()
    assert b"3 public versions" in after[0] and b"3 public versions" in after[1]
    assert "Statement url: — → https://example.org/hk" in after[0].decode()


def test_methodology(client):
    response = client.get("/methodology/")
    assert response.status_code == 200
    assert "received" in response.text and "preservation" in response.text.lower()


# --- query counts ----------------------------------------------------------------------------


def build_report(countries: list[str], periods: list[str], paused: list[str]):
    for period in periods:
        publish_rows(period, {code: (10, 5, 1) for code in countries})
    for code in paused:
        PauseDecisionFactory(country=code, effective_from=datetime.date(2019, 1, 1))


SMALL = (["US", "DE", "HK"], ["2020-H1", "2020-H2"])
LARGE = (
    [
        "US",
        "DE",
        "HK",
        "FR",
        "GB",
        "IN",
        "BR",
        "JP",
        "IT",
        "ES",
        "AU",
        "CA",
        "MX",
        "AR",
        "TW",
        "KR",
        "TR",
        "RU",
        "PL",
        "NL",
        "BE",
        "SE",
        "NO",
        "FI",
        "DK",
        "IE",
        "PT",
        "GR",
        "CZ",
        "HU",
    ],
    # New periods on both sides, so the latest period (the default view) has all 30 countries.
    ["2018-H1", "2018-H2", "2019-H1", "2019-H2", "2021-H2", "2022-H1"],
)
PAGES = [
    "/",
    "/countries/",
    "/countries/?sort=-requests&request_type=legal_process",
    "/countries/HK/",
    "/paused/",
    "/methodology/",
]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", PAGES)
def test_page_queries_are_bounded_and_do_not_grow(client, url, django_assert_max_num_queries):
    build_report(*SMALL, paused=SMALL[0])
    small = count_queries(client, url)
    from django.core.cache import cache

    cache.clear()
    build_report(LARGE[0], [p for p in LARGE[1] if p not in SMALL[1]], paused=LARGE[0][3:])
    with django_assert_max_num_queries(12):
        large = count_queries(client, url)
    assert large == small


# --- caching ---------------------------------------------------------------------------------


def test_pages_are_cached_until_something_public_changes(client, report):
    first = client.get("/countries/")
    assert first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as captured:
        second = client.get("/countries/")
    assert second["X-Page-Cache"] == "hit" and second.content == first.content
    assert len(captured) == 1  # the public-state token only

    publish_rows("2021-H2", {"NZ": (3, 1, 0)})
    third = client.get("/countries/")
    assert third["X-Page-Cache"] == "miss" and "2021-H2" in third.text

    services.pause_publish(decision=PauseDecision.objects.get(country="BY"))
    assert "Belarus" in client.get("/paused/").text


# --- leakage ---------------------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/") and not href.startswith("/admin"):
            self.links.append(href.replace("&amp;", "&"))


def test_crawl_from_the_overview_finds_no_canary(client, report):
    services.pause_update(pause=report, internal_rationale=CANARY_RATIONALE + "-edited")
    seen, queue, fetched = set(), ["/"], 0
    while queue and fetched < 400:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        fetched += 1
        assert response.status_code in (200, 301, 302), url
        body = response.content.decode("utf-8", "replace")
        for canary in (CANARY_NOTE, CANARY_RATIONALE, CANARY_DRAFT, CANARY_REVIEWER, "Canaryman", "zeb"):
            assert canary not in body, (canary, url)
        assert UNPUBLISHED_PERIOD not in body, url
        assert "Belarus" not in body, url
        if response.get("Content-Type", "").startswith("text/html"):
            parser = Links()
            parser.feed(body)
            queue.extend(link.split("#")[0] for link in parser.links if link.split("#")[0] not in seen)
    assert fetched > 15
    assert {"/countries/HK/", "/paused/", "/methodology/", "/data/"} <= seen


def test_demo_hong_kong_page_shows_the_pause_band_and_figures(client):
    call_command("seed_demo", scale=0.05)
    page = client.get("/countries/HK/").text
    assert "Paused from 2020-07-06" in page
    row = re.search(r"<th scope=\"row\"[^>]*>2021-H1</th>(.*?)</tr>", page, re.S).group(1)
    requests, accounts, percent, during, exception = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert int(during) > 0 and int(exception) >= 0
    assert "Received during a pause" in page and "Produced under a pause exception" in page
    assert DataRequest.objects.filter(country="HK").exists()


@pytest.mark.slow
def test_redis_cache_when_redis_url_is_set(tmp_path):
    """With REDIS_URL the page cache is Redis (shared by every app process)."""
    import os
    import subprocess
    import sys

    code = (
        "from django.core.cache import caches; cache = caches['default']; cache.set('probe', 42); "
        "print(type(cache).__name__, cache.get('probe')); cache.delete('probe')"
    )
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().splitlines()[-1] == "RedisCache 42", result.stderr


def test_one_label_per_pause_status_and_no_database_ids_in_public_html(client, report):
    redirected = PauseDecisionFactory(
        country="US", status=PauseDecision.Status.REDIRECTED, effective_from=datetime.date(2020, 1, 1)
    )
    countries_page = client.get("/countries/").text
    us = 'href="/countries/US/">United States of America</a> <span class="badge status-redirected">Redirected'
    hk = 'href="/countries/HK/">Hong Kong</a> <span class="badge status-paused">Paused'
    assert us in countries_page and hk in countries_page
    # one colour per status: the map outlines and its legend carry the status too
    assert "map-paused status-redirected" in client.get("/").text
    assert "Redirected (outlined)" in client.get("/").text and "Paused (outlined)" in client.get("/").text
    overview = client.get("/").text
    assert "(redirected)" in overview and "(paused)" in overview  # the map's tooltips
    register = client.get("/paused/").text
    assert 'id="pause-US-2020-01-01"' in register and 'id="pause-HK-2020-07-06"' in register
    for page in (countries_page, overview, register):
        assert f"pause-{redirected.pk}\"" not in page and not re.search(r'id="pause-\d+"', page)
    assert 'href="/paused/#pause-US-2020-01-01"' in overview


def test_countries_sort_links_keep_the_filters_and_every_column_sorts_both_ways(client, report):
    response = client.get("/countries/", {"period": "2020-H1", "request_type": "legal_process"})
    links = re.findall(r'<th scope="col"[^>]*><a href="([^"]+)">', response.text)
    assert len(links) == 5 and not any(link.startswith("??") or "??" in link for link in links)
    assert all("period=2020-H1" in link and "request_type=legal_process" in link for link in links)
    assert "sort=-requests" in links[1]
    for sort in ["requests", "-name", "accounts", "percent", "during_pause", "-during_pause"]:
        assert client.get("/countries/", {"sort": sort}).status_code == 200, sort
    ascending = client.get("/countries/", {"period": "2020-H1", "sort": "requests"}).text
    assert re.findall(r'<th scope="row"><a href="/countries/(\w\w)/">', ascending) == ["HK", "DE", "US"]
    again = client.get("/countries/", {"period": "2020-H1", "sort": "-requests"}).text
    assert "sort=requests" in re.findall(r'<th scope="col"[^>]*><a href="([^"]+)">', again)[1]


def test_the_register_opens_with_a_timeline_of_every_published_decision(client, report):
    PauseDecisionFactory(
        country="RU",
        status=PauseDecision.Status.LIFTED,
        effective_from=datetime.date(2021, 1, 1),
        ended_on=datetime.date(2022, 6, 30),
    )
    page = client.get("/paused/").text
    timeline = re.search(r'<svg class="chart timeline".*?</svg>', page, re.S).group(0)
    assert page.index('class="chart timeline"') < page.index("<h2>In force</h2>")
    # one row per jurisdiction, one bar per published decision, coloured by status; no draft
    assert re.findall(r'class="row-label"[^>]*>([^<]+)<', timeline) == ["Hong Kong", "Russia"]
    assert timeline.count('class="timeline-bar status-paused open-ended"') == 1
    assert timeline.count('class="timeline-bar status-lifted"') == 2  # the bar and its legend key
    assert "Belarus" not in timeline
    assert 'href="#pause-RU-2021-01-01"' in timeline
    assert "Russia: Lifted from 1 January 2021 to 30 June 2022 (1 year 5 months)" in timeline
    # the table alternative and the entries give durations as a reader says them
    assert "<td>1 year 5 months</td>" in page
    assert "days)" not in page


def test_a_paused_jurisdiction_page_tells_the_pause_story_first(client, report):
    page = client.get("/countries/HK/").text
    story = page.index('id="pause-story"')
    assert story < page.index("<svg") and story < page.index("History per period")
    assert "Since 6 July 2020: <strong>9</strong> requests received from Hong Kong" in page
    assert "<strong>0</strong> answered under an exception" in page
    assert "We paused legal-process requests from Hong Kong." in page[story : page.index("<svg")]
    # the paused type's share is its own line, at 0% in 2020-H2 (legal process 0 of 12)
    assert "% produced, legal process" in page and "% produced, other types" in page
    assert "2020-H2: 0% of legal process with data produced" in page


def test_a_jurisdiction_never_paused_shows_no_pause_columns_or_caption(client, report):
    page = client.get("/countries/DE/").text
    assert "Received during a pause" not in page and "Produced under a pause exception" not in page
    assert "Shaded bands" not in page and 'id="pause-story"' not in page
    assert "% produced, other types" not in page and "% produced</text>" in page


def test_the_hong_kong_page_shows_outcome_reasons_and_median_days(client):
    call_command("seed_demo", scale=0.05)
    page = client.get("/countries/HK/").text
    reasons = page[page.index('id="outcome-reasons"') : page.index("By request type")]
    assert "Jurisdiction paused" in reasons and "2020-H2" in reasons
    row = re.search(r'<th scope="row"[^>]*>2021-H1</th>(.*?)</tr>', reasons, re.S).group(1)
    assert any(int(n) > 0 for n in re.findall(r'<td class="num">(\d+)</td>', row))
    assert "Median days to decision" in page
    by_type = page[page.index("Figures per period and request type") :]
    assert re.search(r'<td class="num">\d+\.\d</td>', by_type)  # a published median, one decimal


def test_a_decision_not_in_force_tells_no_pause_story(client, report):
    """An assessment (or a decision starting later) holds nothing: the page says nothing of a
    pause in force, as the overview, the map and /countries/ do not."""
    PauseDecisionFactory(
        country="DE", status=PauseDecision.Status.ASSESSING, effective_from=datetime.date(2020, 3, 1)
    )
    page = client.get("/countries/DE/").text
    assert 'id="pause-story"' not in page and "not answered" not in page
    assert "% produced, other types" not in page
    assert "Assessing" in page  # the decision itself is in its register below
