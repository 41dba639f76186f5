"""Acceptance (issue #17): a platform's complete history of published figures imports with
``import_figures`` and comes back from /data/ row for row, value for value."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from requests_app.models import FigureRow, LegalProcess, Product, Publication
from tests.figures_history import (
    NEW_LEGAL_PROCESSES,
    NEW_PRODUCTS,
    expected_percent,
    history_csv,
    history_rows,
    periods,
)

pytestmark = pytest.mark.django_db

# What a row of the file is, in the public data's column names.
COMPARED = {
    "period": "period",
    "country_code": "country",
    "request_type": "request_type",
    "requests": "requests",
    "accounts_specified": "accounts_specified",
    "requests_with_data_produced": "requests_with_data_produced",
    "percent_with_data_produced": "percent_with_data_produced",
    "legal_process": "legal_process",
    "product": "product",
}
NUMBERS = {"requests", "accounts_specified", "requests_with_data_produced", "percent_with_data_produced"}


def published(row: dict[str, str]) -> tuple[str, ...]:
    """A row of the file as /data/requests.csv must write it."""
    values = {**row, "percent_with_data_produced": expected_percent(row)}
    return tuple(values[source] for source in COMPARED.values())


def as_json(row: dict[str, str]) -> tuple:
    """A row of the file as /data/requests.json must hold it: numbers as numbers (compared as
    Decimals, so that the file's "5" and the JSON's 5.0 are equal), a blank cell as null."""
    return tuple(
        None if value == "" else Decimal(value) if name in NUMBERS else value
        for name, value in zip(COMPARED, published(row), strict=True)
    )


def json_values(result: dict) -> tuple:
    for name in NUMBERS:
        assert result[name] is None or isinstance(result[name], int | float), (name, result)
    return tuple(
        Decimal(str(result[name])) if name in NUMBERS and result[name] is not None else result[name]
        for name in COMPARED
    )


@pytest.fixture(scope="module")
def history():
    return history_rows()


def test_a_complete_history_comes_back_from_the_public_data_row_for_row(history, tmp_path, client, capsys):
    assert 3000 < len(history) < 4000
    path = tmp_path / "history.csv"
    path.write_text(history_csv(history), encoding="utf-8")

    call_command("import_figures", str(path), "--create-missing")

    out = capsys.readouterr().out
    created = "(named after their codes; a Publisher names them in the admin)"
    assert f"Created legal processes {created}: {', '.join(NEW_LEGAL_PROCESSES)}." in out
    assert f"Created products {created}: {', '.join(NEW_PRODUCTS)}." in out
    assert f"Imported {len(history)} figure rows: 2009-H1 version 1," in out
    assert set(NEW_LEGAL_PROCESSES) <= set(LegalProcess.objects.values_list("code", flat=True))
    assert set(Product.objects.values_list("code", flat=True)) == set(NEW_PRODUCTS)
    assert Publication.objects.filter(source="imported").count() == len(periods())

    response = client.get("/data/requests.csv")
    assert response.status_code == 200
    exported = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(exported) == len(history)
    exported_rows = {tuple(row[column] for column in COMPARED) for row in exported}
    assert len(exported_rows) == len(exported)  # no row twice
    expected_rows = {published(row) for row in history}
    assert exported_rows - expected_rows == set() and expected_rows - exported_rows == set()

    body = client.get("/data/requests.json").json()
    assert len(body["results"]) == len(history)
    assert {json_values(result) for result in body["results"]} == {as_json(row) for row in history}
    # Not reported is JSON null, never 0 or "": as many nulls as blank cells in the file.
    for column in ("accounts_specified", "requests_with_data_produced"):
        nulls = sum(result[column] is None for result in body["results"])
        assert nulls == sum(row[column] == "" for row in history) > 0, column


def test_the_figures_as_published_are_stored_as_given(history, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(history_csv(history), encoding="utf-8")
    call_command("import_figures", str(path), "--create-missing")

    old = FigureRow.objects.get(publication__period="2011-H2", country="DE", request_type="all")
    assert (old.requests, old.accounts_specified, old.requests_with_data_produced) == (42, None, None)
    assert old.percent_as_published == Decimal("5")
    both = FigureRow.objects.get(publication__period="2014-H1", country="US", request_type="emergency")
    # Both given, both kept: 9 of 12 is 75%, the report said 80.
    assert (both.requests_with_data_produced, both.percent_as_published) == (9, Decimal("80"))
    us_2014 = FigureRow.objects.filter(
        publication__period="2014-H1", country="US", request_type="legal_process"
    )
    assert sorted(us_2014.values_list("legal_process", flat=True)) == sorted(
        [
            "court_order",
            "order_2703d",
            "other_legal_request",
            "pen_register",
            "search_warrant",
            "subpoena",
            "wiretap",
        ]
    )
    subsidiary = FigureRow.objects.filter(
        publication__period="2020-H2", country="RU", product="local_subsidiary"
    )
    assert subsidiary.count() == 3  # one per request type


def test_the_report_pages_show_a_history_with_figures_not_reported(history, tmp_path, client):
    path = tmp_path / "history.csv"
    path.write_text(history_csv(history), encoding="utf-8")
    call_command("import_figures", str(path), "--create-missing")
    for url in ("/", "/countries/", "/countries/?period=2011-H2", "/countries/DE/", "/countries/US/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "None" not in response.text, url  # a figure not reported is a dash, never "None"
    assert "—" in client.get("/countries/?period=2011-H2").text
