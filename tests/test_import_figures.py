"""import_figures: historical figures as imported publications; all or nothing, every bad row named."""

import csv
import io
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from requests_app import services
from requests_app.intake import FiguresFileInvalid, ManagedCodes, parse_figures
from requests_app.models import FigureRow, LegalProcess, Product, Publication
from tests.factories import DataRequestFactory

pytestmark = pytest.mark.django_db

HEADER = "period,country,request_type,requests,accounts_specified,requests_with_data_produced\n"
GOOD = HEADER + (
    "2018-H2,HK,legal_process,41,60,27\n"
    "2018-H2,hk,emergency,3,3,3\n"
    "2019-H1,DE,legal_process,1200,1500,800\n"
    "2019-H1,DE,preservation,80,95,0\n"
)


def write(tmp_path, text: str, name="figures.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_command(*argv) -> int:
    """The exit status `manage.py` would return; the final error goes to stderr as it would.

    (ManagementUtility itself would close the test's database connection.)"""
    try:
        call_command(*map(str, argv))
    except CommandError as error:
        sys.stderr.write(f"CommandError: {error}\n")
        return error.returncode
    return 0


def test_import_publishes_each_period_as_imported_with_blank_pause_figures(tmp_path, client, capsys):
    path = write(tmp_path, "\ufeff" + GOOD.replace("\n", "\r\n"))  # as a spreadsheet saves it
    assert run_command("import_figures", path) == 0
    assert "Imported 4 figure rows: 2018-H2 version 1, 2019-H1 version 1." in capsys.readouterr().out

    publications = Publication.objects.order_by("period")
    assert [(p.period, p.version, p.source) for p in publications] == [
        ("2018-H2", 1, "imported"),
        ("2019-H1", 1, "imported"),
    ]
    hk = FigureRow.objects.get(publication__period="2018-H2", country="HK", request_type="legal_process")
    assert (hk.requests, hk.accounts_specified, hk.requests_with_data_produced) == (41, 60, 27)
    assert hk.requests_received_during_pause is None

    csv_text = client.get("/data/requests.csv", {"country": "HK"}).content.decode("utf-8-sig")
    assert "2018-H2,2018-07-01,2018-12-31,HK,Hong Kong,legal_process,41,60,27,65.9,,,1" in csv_text
    body = client.get("/data/requests.json", {"period": "2019-H1"}).json()
    assert body["generated_from"][0]["source"] == "imported"
    assert body["results"][0]["requests_received_during_pause"] is None


def test_every_bad_row_is_listed_and_nothing_is_written(tmp_path, capsys):
    text = HEADER + (
        "2018-H2,HK,legal_process,41,60,27\n"  # line 2: fine
        "2018-H3,HK,legal_process,1,1,1\n"  # line 3
        "2018-H2,ZZ,legal_process,1,1,1\n"  # line 4
        "2018-H2,DE,telepathy,1,1,1\n"  # line 5
        "2018-H2,DE,legal_process,-4,1,1\n"  # line 6
        "2018-H2,DE,emergency,10,1.5,11\n"  # line 7: two problems
        "2018-H2,HK,legal_process,1,1,1\n"  # line 8: duplicate of line 2
        "2018-H2,FR,legal_process,1,1\n"  # line 9: a cell short
    )
    path = write(tmp_path, text)
    assert run_command("import_figures", path) == 1
    err = capsys.readouterr().err
    expected = [
        "line 3, column period, value '2018-H3': '2018-H3' is not a period",
        "line 4, column country, value 'ZZ': not a jurisdiction code",
        "line 5, column request_type, value 'telepathy': not a request type: use one of legal_process, "
        "emergency, preservation, all",
        "line 6, column requests, value '-4': not a whole number",
        "line 7, column accounts_specified, value '1.5': not a whole number",
        "line 7, column requests_with_data_produced, value '11': more than the 10 requests of the row",
        "line 8, column country, value 'HK': 2018-H2 HK legal_process already appears on line 2",
        "line 9, column (row), value '2018-H2,FR,legal_process,1,1': 5 cells, the header has 6",
        "8 problem(s)",
        "nothing was imported",
    ]
    for fragment in expected:
        assert fragment in err, fragment
    assert not Publication.objects.exists() and not FigureRow.objects.exists()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "line 1, column (header), value '': the file is empty"),
        (HEADER, "the file has a header row but no figures"),
        (
            "period,country,request_type,requests,accounts\n2018-H2,HK,emergency,1,1\n",
            "line 1, column accounts, value 'accounts': unknown column",
        ),
        (
            "period,country,request_type,accounts\n",
            "line 1, column requests, value '': required column missing",
        ),
        (
            "period,country,request_type,requests,product,product\n",
            "line 1, column product, value 'product': column appears twice",
        ),
    ],
)
def test_file_level_problems(text, fragment):
    with pytest.raises(FiguresFileInvalid) as excinfo:
        parse_figures(text, known=ManagedCodes.load())
    assert fragment in "\n".join(map(str, excinfo.value.errors))


def test_not_utf8_and_missing_file(tmp_path, capsys):
    path = write(tmp_path, GOOD + "2019-H1,CI,legal_process,1,1,1\n", encoding="latin-1")
    path.write_bytes(path.read_bytes() + "2019-H1,FR,legal_process,1,1,1 \xe9\n".encode("latin-1"))
    assert run_command("import_figures", path) == 1
    assert "line 7, column (file)" in capsys.readouterr().err
    assert run_command("import_figures", tmp_path / "missing.csv") == 1
    assert "Cannot read" in capsys.readouterr().err


def test_periods_computed_from_requests_or_not_ended_are_refused(tmp_path, capsys):
    DataRequestFactory(received_on="2019-03-01")
    services.period_publish(period="2019-H1")
    path = write(tmp_path, GOOD + "2999-H1,DE,legal_process,1,1,1\n")
    assert run_command("import_figures", path) == 1
    err = capsys.readouterr().err
    assert "line 4, column period, value '2019-H1': already published from request records" in err
    assert "line 5, column period, value '2019-H1'" in err
    assert "line 6, column period, value '2999-H1': 2999-H1 has not ended yet" in err
    assert Publication.objects.count() == 1


def test_reimporting_an_imported_period_is_a_revision_with_a_note(tmp_path):
    path = write(tmp_path, GOOD)
    call_command("import_figures", path)
    assert Publication.objects.get(period="2018-H2").note.startswith("Figures imported from the report")
    with pytest.raises(CommandError, match="Say why it is re-published"):
        call_command("import_figures", path)
    call_command("import_figures", path, note="Corrected from the archived PDF.")
    latest = Publication.objects.filter(period="2018-H2").order_by("-version").first()
    assert (latest.version, latest.note) == (2, "Corrected from the archived PDF.")


# --- the optional columns (issue #17) ----------------------------------------------------------

FULL_HEADER = (
    "period,country,request_type,requests,legal_process,product,accounts_specified,"
    "requests_with_data_produced,percent_with_data_produced\n"
)


def data_rows(client, fmt="csv", **filters) -> list[dict]:
    response = client.get(f"/data/requests.{fmt}", filters)
    assert response.status_code == 200
    if fmt == "json":
        return response.json()["results"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_blank_figures_are_not_reported_and_percentages_come_back_as_published(tmp_path, client):
    text = FULL_HEADER + (
        "2012-H2,DE,all,42,,,,,5\n"  # a report that gave only a percentage
        "2012-H2,FR,all,8,,,,,4.800\n"  # padded in the file, the same number
        "2012-H2,XK,all,3,,,3,,100\n"
        "2012-H2,UN,all,7,,,,,33.333\n"
        "2012-H2,GB,all,12,,,15,9,80\n"  # both given (9/12 is 75%): both kept as given
        "2012-H2,IT,all,3,,,,2,\n"  # a count only: the percentage is computed
        "2012-H2,ES,all,5,,,,,\n"  # nothing reported
        "2013-H1,DE,preservation,10,,,,,20\n"  # a percentage on a preservation row, as given
        "2013-H1,DE,emergency,0,,,0,0,\n"
    )
    call_command("import_figures", write(tmp_path, text))

    rows = {(r["period"], r["country_code"], r["request_type"]): r for r in data_rows(client)}
    columns = ("requests", "accounts_specified", "requests_with_data_produced", "percent_with_data_produced")
    assert {key: tuple(row[c] for c in columns) for key, row in rows.items()} == {
        ("2012-H2", "DE", "all"): ("42", "", "", "5"),
        ("2012-H2", "FR", "all"): ("8", "", "", "4.8"),
        ("2012-H2", "XK", "all"): ("3", "3", "", "100"),
        ("2012-H2", "UN", "all"): ("7", "", "", "33.333"),
        ("2012-H2", "GB", "all"): ("12", "15", "9", "80"),
        ("2012-H2", "IT", "all"): ("3", "", "2", "66.7"),
        ("2012-H2", "ES", "all"): ("5", "", "", ""),
        ("2013-H1", "DE", "preservation"): ("10", "", "", "20"),
        ("2013-H1", "DE", "emergency"): ("0", "0", "0", ""),
    }
    json_rows = {(r["period"], r["country_code"], r["request_type"]): r for r in data_rows(client, "json")}
    de = json_rows["2012-H2", "DE", "all"]
    assert (
        de["accounts_specified"],
        de["requests_with_data_produced"],
        de["percent_with_data_produced"],
    ) == (
        None,
        None,
        5,
    )
    assert json_rows["2012-H2", "UN", "all"]["percent_with_data_produced"] == 33.333
    assert json_rows["2012-H2", "ES", "all"]["percent_with_data_produced"] is None
    stored = FigureRow.objects.get(publication__period="2012-H2", country="FR")
    assert stored.percent_as_published == Decimal("4.8") and stored.accounts_specified is None


@pytest.mark.parametrize(
    "cell, reason",
    [
        ("5.1234", "more than 3 decimals"),
        ("100.5", "outside 0–100"),
        ("-1", "outside 0–100"),
        ("five", "not a number"),
        ("4,8", "not a number"),
        ("5%", "not a number"),
        ("1e2", "not a number"),
        ("NaN", "not a number"),
    ],
)
def test_a_percentage_that_cannot_be_published_as_given_is_refused(cell, reason):
    text = FULL_HEADER + f'2012-H2,DE,all,42,,,,,"{cell}"\n'
    with pytest.raises(FiguresFileInvalid) as excinfo:
        parse_figures(text, known=ManagedCodes.load())
    assert len(excinfo.value.errors) == 1
    assert str(excinfo.value.errors[0]).startswith(
        f"line 2, column percent_with_data_produced, value '{cell}': {reason}"
    )


def test_codes_not_defined_are_errors_naming_them_unless_created(tmp_path, capsys):
    text = FULL_HEADER + (
        "2014-H1,US,legal_process,10,search_warrant,,,,\n"
        "2014-H1,US,legal_process,5,order_2703d,,,,\n"
        "2014-H1,IE,legal_process,4,Police_Request,,,,\n"  # another case: the same code
        "2014-H1,RU,emergency,2,,local_subsidiary,,,\n"
    )
    path = write(tmp_path, text)
    assert run_command("import_figures", path) == 1
    err = capsys.readouterr().err
    assert "line 3, column legal_process, value 'order_2703d': unknown legal process; use one of: " in err
    assert "line 4, column legal_process, value 'Police_Request': unknown legal process" in err
    assert "line 5, column product, value 'local_subsidiary': unknown product; use one of: none yet" in err
    assert "or import with --create-missing to create it" in err
    assert not LegalProcess.objects.filter(code="order_2703d").exists()

    assert run_command("import_figures", path, "--create-missing") == 0
    out = capsys.readouterr().out
    created = "(named after their codes; a Publisher names them in the admin)"
    assert f"Created legal processes {created}: order_2703d, police_request." in out
    assert f"Created products {created}: local_subsidiary." in out
    assert LegalProcess.objects.get(code="order_2703d").name == "Order 2703d"
    assert list(Product.objects.values_list("code", flat=True)) == ["local_subsidiary"]
    assert FigureRow.objects.filter(legal_process="police_request", country="IE").exists()


def test_codes_created_go_with_the_figures_or_not_at_all(tmp_path, capsys):
    path = write(tmp_path, FULL_HEADER + "2014-H1,US,legal_process,10,order_2703d,mail,,,\n")
    assert run_command("import_figures", path, "--create-missing") == 0
    LegalProcess.objects.filter(code="order_2703d").update(name="18 USC 2703(d) order")
    other = write(tmp_path, FULL_HEADER + "2014-H1,US,legal_process,10,other_legal_request,,,,\n", "b.csv")
    assert run_command("import_figures", other, "--create-missing") == 1  # a revision needs a note
    assert "Say why it is re-published" in capsys.readouterr().err
    assert not LegalProcess.objects.filter(code="other_legal_request").exists()
    assert LegalProcess.objects.get(code="order_2703d").name == "18 USC 2703(d) order"


def test_a_new_code_must_be_a_valid_code(tmp_path):
    text = FULL_HEADER + "2014-H1,US,legal_process,10,2703(d) order,,,,\n"
    with pytest.raises(FiguresFileInvalid) as excinfo:
        parse_figures(text, known=ManagedCodes.load(), create_missing=True)
    assert "line 2, column legal_process, value '2703(d) order': not a valid code for a new legal " in str(
        excinfo.value.errors[0]
    )


def test_a_legal_process_only_on_legal_process_rows():
    text = FULL_HEADER + "2014-H1,US,emergency,10,subpoena,,,,\n2012-H1,US,all,10,subpoena,,,,\n"
    with pytest.raises(FiguresFileInvalid) as excinfo:
        parse_figures(text, known=ManagedCodes.load())
    assert [(e.line, e.column) for e in excinfo.value.errors] == [(2, "legal_process"), (3, "legal_process")]
    assert "Only a legal-process request has a legal process" in excinfo.value.errors[0].reason


@pytest.mark.parametrize(
    "rows, error",
    [
        (
            ["2014-H1,US,legal_process,10,subpoena,,", "2014-H1,US,legal_process,30,,,"],
            "line 3, column legal_process, value '': 2014-H1 US legal_process overlaps line 2 "
            "(2014-H1 US legal_process subpoena): summed, the two rows would count the same requests "
            "twice",
        ),
        (
            ["2014-H1,RU,emergency,30,,,", "2014-H1,RU,emergency,3,,local_subsidiary,"],
            "line 3, column product, value 'local_subsidiary': 2014-H1 RU emergency product "
            "local_subsidiary overlaps line 2 (2014-H1 RU emergency)",
        ),
        (
            ["2013-H2,DE,legal_process,10,,,", "2013-H2,DE,emergency,1,,,", "2013-H2,de,all,11,,,"],
            "line 4, column request_type, value 'all': 2013-H2 DE all overlaps line 2 "
            "(2013-H2 DE legal_process)",
        ),
        (  # split both ways, crosswise: subpoenas for mail would be in both rows
            ["2014-H1,US,legal_process,10,subpoena,,", "2014-H1,US,legal_process,4,,mail,"],
            "line 3, column legal_process, value '': 2014-H1 US legal_process product mail overlaps line 2",
        ),
        (
            ["2014-H1,US,legal_process,10,subpoena,mail,", "2014-H1,US,legal_process,10,subpoena,mail,"],
            "line 3, column country, value 'US': 2014-H1 US legal_process subpoena product mail already "
            "appears on line 2",
        ),
    ],
)
def test_rows_that_would_count_the_same_requests_twice_are_refused(rows, error):
    header = "period,country,request_type,requests,legal_process,product,accounts_specified\n"
    with pytest.raises(FiguresFileInvalid) as excinfo:
        parse_figures(header + "\n".join(rows) + "\n", known=ManagedCodes.load(), create_missing=True)
    assert len(excinfo.value.errors) == 1
    assert str(excinfo.value.errors[0]).startswith(error)


def test_parts_that_do_not_overlap_are_one_publication(tmp_path, client):
    text = FULL_HEADER + (
        "2014-H1,US,legal_process,10,subpoena,mail,,,\n"
        "2014-H1,US,legal_process,6,subpoena,video,,,\n"
        "2014-H1,US,legal_process,4,search_warrant,,,,\n"  # another legal process: not broken down
        "2014-H1,US,emergency,2,,,,,\n"
        "2014-H1,DE,all,9,,,,,\n"  # another jurisdiction may be reported as a whole
        "2013-H2,US,all,20,,,,,\n"  # and another period
    )
    assert run_command("import_figures", write(tmp_path, text), "--create-missing") == 0
    rows = data_rows(client, country="US", period="2014-H1")
    assert sorted((r["legal_process"], r["product"], r["requests"]) for r in rows) == [
        ("", "", "2"),
        ("search_warrant", "", "4"),
        ("subpoena", "mail", "10"),
        ("subpoena", "video", "6"),
    ]
