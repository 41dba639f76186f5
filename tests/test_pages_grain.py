"""The public pages at the finest published grain: figures per (jurisdiction, request type, legal
process, product), counts an old report did not give ("—", never a partial sum or 0), imported
percentages as published, and rows of an imported report that did not split request types."""

import re
from decimal import Decimal

import pytest

from requests_app.models import Publication
from tests.factories import FigureRowFactory, PublicationFactory

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
