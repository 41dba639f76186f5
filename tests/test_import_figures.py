"""import_figures: historical figures as imported publications; all or nothing, every bad row named."""

import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from requests_app import services
from requests_app.intake import FiguresFileInvalid, parse_figures
from requests_app.models import FigureRow, Publication
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
        "line 5, column request_type, value 'telepathy': not a request type",
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
            "period,country,request_type,requests,accounts\n",
            "line 1, column accounts_specified, value '': required column missing",
        ),
    ],
)
def test_file_level_problems(text, fragment):
    with pytest.raises(FiguresFileInvalid) as excinfo:
        parse_figures(text)
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
