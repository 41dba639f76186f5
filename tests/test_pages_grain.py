"""The public pages at the finest published grain: figures per (jurisdiction, request type, legal
process, product), counts an old report did not give ("—", never a partial sum or 0), imported
percentages as published, and rows of an imported report that did not split request types."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import Publication
from tests.factories import (
    DataRequestFactory,
    FigureRowFactory,
    LegalProcessFactory,
    ProductFactory,
    PublicationFactory,
)

pytestmark = pytest.mark.django_db

UNKNOWN_PAUSE = {"requests_received_during_pause": None, "requests_produced_under_pause_exception": None}


def cells(page: str, row_header: str, occurrence: int = 0) -> list[str]:
    """The data cells of the table row whose header cell is ``row_header``."""
    rows = re.findall(rf"<th scope=\"row\"[^>]*>{re.escape(row_header)}</th>(.*?)</tr>", page, re.S)
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows[occurrence], re.S)
    ]


def row_cells(page: str, first_cell: str) -> list[str]:
    """The cells of every table row (header cell included) whose first cell reads ``first_cell``."""
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        texts = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if texts and texts[0] == first_cell:
            found.append(texts)
    return found


@pytest.fixture
def imported_history():
    """2019-H2 from an old report (some counts not reported, a percentage as published, a
    country given without request types), then 2020-H1 computed by the system."""
    old = PublicationFactory(period="2019-H2", source=Publication.Source.IMPORTED)
    # Germany: only a percentage for legal process; its preservation requests were counted.
    FigureRowFactory(
        publication=old, country="DE", requests=100, accounts_specified=None,
        requests_with_data_produced=None, percent_as_published=Decimal("45.25"), **UNKNOWN_PAUSE,
    )  # fmt: skip
    FigureRowFactory(
        publication=old, country="DE", request_type="preservation", requests=5, accounts_specified=5,
        requests_with_data_produced=0, **UNKNOWN_PAUSE,
    )  # fmt: skip
    # France: one figure for every type together.
    FigureRowFactory(
        publication=old, country="FR", request_type="all", requests=40, accounts_specified=50,
        requests_with_data_produced=20, **UNKNOWN_PAUSE,
    )  # fmt: skip
    # The United States: emergency requests counted, legal process without its produced count.
    FigureRowFactory(
        publication=old, country="US", request_type="emergency", requests=30, accounts_specified=31,
        requests_with_data_produced=27, **UNKNOWN_PAUSE,
    )  # fmt: skip
    FigureRowFactory(
        publication=old, country="US", requests=200, accounts_specified=260,
        requests_with_data_produced=None, **UNKNOWN_PAUSE,
    )  # fmt: skip
    new = PublicationFactory(period="2020-H1")
    for code in ("DE", "FR", "US"):
        FigureRowFactory(
            publication=new, country=code, requests=10, accounts_specified=12, requests_with_data_produced=6
        )
    return old


def test_not_reported_counts_are_dashes_on_the_overview_never_a_partial_sum(client, imported_history):
    page = client.get("/").text
    # 2019-H2: accounts not reported by Germany; produced not reported by Germany nor the US.
    assert cells(page, "2019-H2") == ["375", "—", "—", "n/a"]
    assert cells(page, "2020-H1") == ["30", "36", "60.0%", "0"]
    assert "None" not in page
    # A change only on a figure both periods reported: requests (30 against 375), not the others.
    assert re.findall(r'<span class="change">([^<]*)</span>', page) == ["-92.0% on 2019-H2"]


def test_countries_table_shows_dashes_published_percentages_and_all_type_rows(client, imported_history):
    page = client.get("/countries/", {"period": "2019-H2"}).text
    assert cells(page, '<a href="/countries/DE/">Germany</a>') == ["105", "—", "45.25%", "n/a", "n/a"]
    assert cells(page, '<a href="/countries/FR/">France</a>') == ["40", "50", "50.0%", "n/a", "n/a"]
    # One of two rows without its produced count: no share at all, not 27 / 230.
    assert cells(page, '<a href="/countries/US/">United States of America</a>') == [
        "230", "291", "—", "n/a", "n/a",
    ]  # fmt: skip
    # Sorting by a figure puts the not reported last, either way.
    for sort in ("accounts", "-accounts"):
        order = re.findall(r'<th scope="row"><a href="/countries/(\w\w)/">', client.get(
            "/countries/", {"period": "2019-H2", "sort": sort}
        ).text)  # fmt: skip
        assert order[-1] == "DE", sort


def test_country_pages_show_dashes_and_all_request_types(client, imported_history):
    germany = client.get("/countries/DE/").text
    assert cells(germany, "2019-H2") == ["105", "—", "45.25%"]
    by_type = row_cells(germany, "2019-H2")[1:]
    assert ["2019-H2", "Legal process", "100", "—", "45.25%", "—"] in by_type
    assert ["2019-H2", "Preservation", "5", "5", "—", "—"] in by_type

    france = client.get("/countries/FR/").text
    assert ["2019-H2", "All request types", "40", "50", "50.0%", "—"] in row_cells(france, "2019-H2")
    # The chart stacks the undivided figures too, and names them.
    assert "2019-H2 all types: 40 requests" in france and "None" not in france

    us = client.get("/countries/US/").text
    assert cells(us, "2019-H2") == ["230", "291", "—"]
    chart = re.search(r'<svg class="chart period-chart".*?</svg>', us, re.S).group(0)
    # A share that is not known is no point on the line (not a 0%).
    dots = re.findall(r"<title>(\d{4}-H\d): ([\d.]+)% with data produced</title>", chart)
    assert dots == [("2020-H1", "60")]


# --- A country's tables by legal process and by product ---------------------------------------


def table_after(page: str, heading: str) -> str:
    """The first table after the heading ``heading`` (the latest period's)."""
    start = page.index(f">{heading}</h2>")
    return page[start : page.index("</table>", start)]


def body_rows(table: str) -> list[list[str]]:
    """The rows of a table's bodies as cell texts (period group rows included)."""
    found = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", table, re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
            found.append(
                [
                    re.sub(r"<[^>]+>", "", c).strip()
                    for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
                ]
            )
    return found


@pytest.fixture
def us_breakdown():
    """The United States in 2020-H1 (version 2 of it) by legal process and product; Germany with
    one legal process only."""
    ProductFactory(code="social", name="Social network", position=0)
    ProductFactory(code="messaging", name="Messenger", position=1)
    # Version 1 said something else: only the latest version is shown.
    FigureRowFactory(
        publication=PublicationFactory(period="2020-H1", version=1), country="US", legal_process_id="wiretap",
        product_id="social", requests=999, accounts_specified=999, requests_with_data_produced=999,
    )  # fmt: skip
    latest = PublicationFactory(period="2020-H1", version=2, note="Corrected.")
    for lp, product, counts, median in [
        ("subpoena", "social", (10, 12, 6), "5.0"),
        ("subpoena", "messaging", (4, 4, 2), "7.0"),
        ("search_warrant", "social", (8, 9, 8), "3.5"),
        (None, "social", (3, 3, 1), None),  # legal-process requests not broken down by kind
    ]:
        FigureRowFactory(
            publication=latest, country="US", legal_process_id=lp, product_id=product,
            requests=counts[0], accounts_specified=counts[1], requests_with_data_produced=counts[2],
            median_days_to_decision=median and Decimal(median),
        )  # fmt: skip
    FigureRowFactory(
        publication=latest, country="US", request_type="emergency", product_id="messaging",
        requests=5, accounts_specified=5, requests_with_data_produced=5,
    )  # fmt: skip
    FigureRowFactory(  # not broken down by product
        publication=latest, country="US", request_type="preservation", requests=2, accounts_specified=2,
        requests_with_data_produced=0,
    )  # fmt: skip
    FigureRowFactory(publication=latest, country="DE", legal_process_id="subpoena", product_id="social")
    FigureRowFactory(publication=latest, country="DE", legal_process_id="subpoena", product_id="messaging")
    return latest


def test_country_page_tables_by_legal_process_and_by_product(client, us_breakdown):
    page = client.get("/countries/US/").text
    processes = table_after(page, "By legal process")
    # Names from the managed list in its order (subpoena before search warrant), not codes; a
    # median only where a line is one published row; requests not broken down last.
    assert body_rows(processes) == [
        ["2020-H1"],
        ["Subpoena", "14", "16", "8", "57.1%", "—"],
        ["Search warrant", "8", "9", "8", "100.0%", "3.5"],
        ["Not broken down", "3", "3", "1", "33.3%", "—"],
    ]
    assert "search_warrant" not in processes and "Median days to decision" in processes
    products = table_after(page, "By product")
    assert body_rows(products) == [
        ["2020-H1"],
        ["Social network", "21", "24", "15", "71.4%"],
        ["Messenger", "9", "9", "7", "77.8%"],
        ["Not broken down", "2", "2", "0", "—"],  # preservation: no share
    ]
    assert "Median days to decision" not in products  # no line of it is one published row
    # The totals by type stay, with the type medians as published.
    assert "Figures per period and request type" in page
    # Version 1 of the period does not show, anywhere.
    assert "999" not in page and "Wiretap order" not in page


def test_breakdown_tables_show_only_where_there_is_more_than_one_entry(client, us_breakdown):
    germany = client.get("/countries/DE/").text
    assert "By legal process" not in germany  # subpoenas only
    assert body_rows(table_after(germany, "By product")) == [
        ["2020-H1"],
        ["Social network", "10", "12", "6", "60.0%"],
        ["Messenger", "10", "12", "6", "60.0%"],
    ]  # no median published on any line: no median column


def test_earlier_periods_are_folded_and_records_never_published_do_not_show(client, us_breakdown):
    older = PublicationFactory(period="2019-H2")
    for lp in ("court_order", "subpoena"):
        FigureRowFactory(publication=older, country="US", legal_process_id=lp, requests=7)
    # Requests recorded after the publication (a newer computation nobody published).
    LegalProcessFactory(code="order_2703d", name="18 USC 2703(d) order")
    for _ in range(3):
        DataRequestFactory(
            country="US", received_on=datetime.date(2020, 2, 1), legal_process_id="order_2703d"
        )
    page = client.get("/countries/US/").text
    assert "2703(d)" not in page
    folded = page[page.index("Earlier periods (1)") :]
    assert body_rows(folded[: folded.index("</table>")]) == [
        ["2019-H2"],
        ["Subpoena", "7", "12", "6", "85.7%", "—"],
        ["Court order", "7", "12", "6", "85.7%", "—"],
    ]


# --- /countries/?product= ----------------------------------------------------------------------


def country_cells(page: str) -> dict[str, list[str]]:
    return {
        code: cells(page, f'<a href="/countries/{code}/">{name}</a>')
        for code, name in re.findall(r'<th scope="row"><a href="/countries/(\w\w)/">([^<]+)</a>', page)
    }


def test_countries_product_filter_sums_only_that_products_rows_and_says_so(client, us_breakdown):
    page = client.get("/countries/", {"period": "2020-H1", "product": "messaging"}).text
    assert country_cells(page) == {
        "DE": ["10", "12", "60.0%", "0", "0"],
        # a subpoena and emergency requests; not the rows of other products nor those not broken down
        "US": ["9", "9", "77.8%", "0", "0"],
    }
    assert "2 countries in 2020-H1, Messenger only." in page
    assert "figures not broken down by product (e.g. from an older report) are left out" in page
    assert '<option value="messaging" selected>Messenger</option>' in page
    # Every product of the list can be chosen, in its order, after "All products".
    assert re.findall(r'<option value="(\w*)"', page.split('name="product"')[1].split("</select>")[0]) == [
        "",
        "social",
        "messaging",
    ]
    # The header links keep the product, and the download holds exactly these rows.
    links = re.findall(r'<th scope="col"[^>]*><a href="([^"]+)">', page)
    assert links and all("product=messaging" in link for link in links)
    download = re.search(r'href="(/data/requests.csv\?[^"]+)"', page).group(1).replace("&amp;", "&")
    rows = list(csv.DictReader(io.StringIO(client.get(download).content.decode("utf-8-sig"))))
    assert {r["product"] for r in rows} == {"messaging"}
    assert sum(int(r["requests"]) for r in rows if r["country_code"] == "US") == 9

    everything = client.get("/countries/", {"period": "2020-H1"}).text
    assert country_cells(everything)["US"][0] == "32"  # every row, the product's and the others
    assert "left out" not in everything


def test_countries_unknown_product_is_a_400_with_the_reason(client, us_breakdown):
    response = client.get("/countries/", {"product": "pager"})
    assert response.status_code == 400
    assert "pager" in response.text and "cannot be shown" in response.text


# --- /methodology/ -----------------------------------------------------------------------------


def test_methodology_lists_legal_processes_and_products_and_explains_blanks(client):
    ProductFactory(code="messaging", name="Messenger", description="Messages and calls.", position=1)
    ProductFactory(code="social", name="Social network", description="Profiles and posts.", position=0)
    LegalProcessFactory(code="order_2703d", name="18 USC 2703(d) order", description="A US court order.")
    page = client.get("/methodology/").text
    products = page[page.index('id="products"') : page.index('id="blanks"')]
    assert re.findall(r"<dt>([^<]+) <code>(\w+)</code></dt><dd>([^<]*)</dd>", products) == [
        ("Social network", "social", "Profiles and posts."),
        ("Messenger", "messaging", "Messages and calls."),
    ]
    processes = page[page.index('id="legal-processes"') : page.index('id="products"')]
    names = re.findall(r"<dt>([^<]+) <code>(\w+)</code></dt>", processes)
    assert names[:2] == [("Subpoena", "subpoena"), ("Search warrant", "search_warrant")]  # by position
    assert ("18 USC 2703(d) order", "order_2703d") in names and "A US court order." in processes
    assert "jurisdiction, request type, legal process and product" in page
    assert "not reported" in page and "not broken down" in page and "as published" in page


# --- query counts ------------------------------------------------------------------------------

# The queries each page makes, whatever the number of rows, legal processes and products: the
# public-state token, the SAVEPOINT / RELEASE pair of the page's transaction, and its own reads.
# The country page reads both breakdown tables in one query, the names joined in (one more than
# before them); /countries/ reads the product list for its filter (one more), and /methodology/
# each managed list (two more).
BREAKDOWN_PAGES = {
    "/countries/US/": 10,  # +1: its national-security bands (none here)
    "/countries/?product=social": 7,
    "/countries/?product=social&sort=-accounts&request_type=legal_process": 7,
    "/methodology/": 7,  # the two managed lists, the bodies, the national-security categories
}


def publish_grain(periods: list[str], countries: list[str], processes: list[str], products: list[str]):
    for period in periods:
        publication = PublicationFactory(period=period)
        for code in countries:
            for lp in processes:
                for product in products:
                    FigureRowFactory(
                        publication=publication, country=code, legal_process_id=lp, product_id=product
                    )
            FigureRowFactory(
                publication=publication, country=code, request_type="emergency", product_id=products[0]
            )


def page_queries(client) -> dict[str, int]:
    cache.clear()
    counts = {}
    for url in BREAKDOWN_PAGES:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_breakdown_pages_make_a_fixed_number_of_queries(client, django_assert_num_queries):
    products = [ProductFactory(code=code).code for code in ("social", "messaging", "photos", "cloud_storage")]
    processes = ["subpoena", "search_warrant", "court_order", "wiretap", "pen_register", "mlat", "other"]
    publish_grain(["2020-H1"], ["US", "DE"], processes[:2], products[:2])
    small = page_queries(client)

    for n in range(10):
        LegalProcessFactory(code=f"extra_process_{n}")
        ProductFactory(code=f"extra_product_{n}")
    publish_grain(
        ["2019-H1", "2019-H2", "2020-H2"], ["US", "DE", "IE", "FR", "HK", "XK"], processes, products
    )
    large = page_queries(client)
    assert "Pen register / trap and trace" in client.get("/countries/US/").text

    assert large == small
    for url, queries in BREAKDOWN_PAGES.items():
        cache.clear()
        with django_assert_num_queries(queries):
            assert client.get(url)["X-Page-Cache"] == "miss"


def test_demo_us_page_breaks_its_figures_down(client):
    call_command("seed_demo", scale=0.05)
    us = client.get("/countries/US/").text
    processes = body_rows(table_after(us, "By legal process"))
    period = processes[0][0]
    names = [row[0] for row in processes[1:]]
    assert {"Subpoena", "Search warrant", "18 USC 2703(d) order"} <= set(names) and "subpoena" not in names
    # The lines add up to the period's legal-process requests in the table by type.
    by_type = next(row for row in row_cells(us, period) if row[1] == "Legal process")
    assert sum(int(row[1].replace(",", "")) for row in processes[1:]) == int(by_type[2].replace(",", ""))
    products = [row[0] for row in body_rows(table_after(us, "By product"))[1:]]
    assert set(products) <= {"Social network", "Messenger", "Photos", "Cloud storage"} and len(products) > 1
    page = client.get("/countries/", {"product": "messaging"})
    assert page.status_code == 200 and "Messenger only" in page.text
