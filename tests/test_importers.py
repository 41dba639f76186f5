"""Bulk intake from CSV: the messiness it accepts, every rejection, all-or-nothing, holds, --update."""

import datetime
import hashlib
import io
import tempfile

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection

from requests_app import intake, services
from requests_app.intake import reading, writers
from requests_app.models import Authority, DataRequest, ImportRun
from tests.factories import (
    AuthorityFactory,
    DataRequestFactory,
    PauseDecisionFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

S = DataRequest.Status
HEADER = "reference,country,received_on,request_type,accounts_specified"
GOOD_ROW = "GOOD-1,DE,2020-03-10,legal_process,2"
FULL_HEADER = (
    "reference,country,received_on,request_type,accounts_specified,authority,authority_kind,"
    "legal_process,product,status,outcome,decided_on"
)


def csv_bytes(*lines: str, end: str = "\n") -> bytes:
    return (end.join(lines) + end).encode()


def run(data: bytes, **options) -> intake.ImportResult:
    return intake.import_requests(io.BytesIO(data), file_name="requests.csv", **options)


def table_counts() -> dict:
    return {
        "requests": DataRequest.objects.count(),
        "authorities": Authority.objects.count(),
        "imports": ImportRun.objects.count(),
        "history": DataRequest.history.count(),
    }


def command(tmp_path, data: bytes, *args) -> tuple[str, str]:
    """Run `manage.py import_requests`; returns (stdout, stderr); raises CommandError on failure."""
    path = tmp_path / "requests.csv"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_requests", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        error.stderr = err.getvalue()
        print(error.stderr)  # shown by pytest when the test fails
        raise
    return out.getvalue(), err.getvalue()


@pytest.fixture
def existing():
    """Something already in the database, so that 'nothing changed' is not 'still empty'."""
    return DataRequestFactory(reference="OLD-1", country="FR")


# --- accepted messiness ----------------------------------------------------------------------


def test_a_clean_file_is_imported_with_every_design_column(tmp_path):
    ProductFactory(code="mail")
    data = csv_bytes(
        FULL_HEADER,
        "R-1,DE,2020-03-10,legal_process,3,Bundeskriminalamt,police,search_warrant,mail,completed,"
        "some_data,2020-04-01",
        "R-2,FR,2020-08-01,emergency,1,,,,,in_review,,",
        "R-3,US,2021-01-05,preservation,1,FBI,police,,,,,",
    )
    out, _ = command(tmp_path, data)
    assert "created 3" in out
    r1 = DataRequest.objects.get(reference="R-1")
    assert (r1.country.code, r1.request_type, r1.accounts_specified, r1.legal_process_id, r1.product_id) == (
        "DE",
        "legal_process",
        3,
        "search_warrant",
        "mail",
    )
    assert (r1.status, r1.outcome, r1.decided_on) == (S.COMPLETED, "some_data", datetime.date(2020, 4, 1))
    assert (r1.authority.name, r1.authority.country.code, r1.authority.kind) == (
        "Bundeskriminalamt",
        "DE",
        "police",
    )
    assert str(r1.period) == "2020-H1"
    assert DataRequest.objects.get(reference="R-2").status == S.IN_REVIEW
    r3 = DataRequest.objects.get(reference="R-3")
    assert r3.status == S.RECEIVED and str(r3.period) == "2021-H1"
    run_record = ImportRun.objects.get()
    assert r1.import_run == run_record and run_record.created == 3 and run_record.source == "command"


@pytest.mark.parametrize(
    "name, data",
    [
        ("utf-8 BOM", b"\xef\xbb\xbf" + csv_bytes(HEADER, "R-1,DE,2020-03-10,legal_process,1024")),
        ("CRLF line ends", csv_bytes(HEADER, "R-1,DE,2020-03-10,legal_process,1024", end="\r\n")),
        ("no final newline", (HEADER + "\nR-1,DE,2020-03-10,legal_process,1024").encode()),
        ("thousands separator", csv_bytes(HEADER, 'R-1,DE,2020-03-10,legal_process,"1,024"')),
        (
            "surrounding whitespace",
            csv_bytes(
                " Reference , Country ,RECEIVED_ON,Request_Type,  accounts_specified ",
                "  R-1 , DE , 2020-03-10 ,legal_process , 1024 ",
            ),
        ),
        ("lower-case country", csv_bytes(HEADER, "R-1,de,2020-03-10,legal_process,1024")),
        ("mixed-case country", csv_bytes(HEADER, "R-1,De,2020-03-10,legal_process,1024")),
        (
            "all of it at once",
            b"\xef\xbb\xbf"
            + (
                b" REFERENCE ,country,Received_On,request_type,Accounts_Specified\r\n\r\n"
                b' R-1 ,de, 2020-03-10 ,legal_process," 1,024 "'
            ),
        ),  # fmt: skip
    ],
)
def test_messy_but_unambiguous_files_are_accepted(name, data):
    result = run(data)
    assert result.ok, result.error_lines()
    request = DataRequest.objects.get()
    assert (request.reference, request.country.code, request.received_on, request.accounts_specified) == (
        "R-1",
        "DE",
        datetime.date(2020, 3, 10),
        1024,
    )


def test_blank_lines_and_empty_trailing_columns_are_skipped():
    data = csv_bytes(
        HEADER + ",,", "", "R-1,DE,2020-03-10,legal_process,1,,", ",,,,,,", "R-2,DE,2020-03-11,emergency,1,,"
    )
    result = run(data)
    assert result.ok, result.error_lines()
    assert (result.created, result.blank_lines) == (2, 2)
    assert "skipped 2" in result.summary()


def test_a_row_one_field_too_long_is_refused_even_if_the_extra_field_is_empty():
    # An unquoted comma in a text value shifts the rest: accepting the empty last cell would
    # store "Mail" as the authority and " Chat" as the notes without a word.
    header = HEADER + ",authority,internal_notes"
    result = run(csv_bytes(header, "R-1,DE,2020-03-10,legal_process,1,Mail, Chat,"))
    assert [str(error) for error in result.errors] == ["line 2: 8 fields, but the header names 7 columns"]
    assert not DataRequest.objects.exists()


def test_choices_in_another_case_are_accepted():
    data = csv_bytes(
        FULL_HEADER, "R-1,DE,2020-03-10,Legal_Process,1,BKA,Police,SUBPOENA,,Completed,All_Data,2020-03-12"
    )
    assert run(data).ok
    request = DataRequest.objects.get()
    assert (request.request_type, request.legal_process_id, request.status, request.outcome) == (
        "legal_process",
        "subpoena",
        "completed",
        "all_data",
    )
    assert request.authority.kind == "police"


def test_quoted_values_may_hold_commas_quotes_and_line_breaks():
    header = HEADER + ",authority,internal_notes"
    data = csv_bytes(
        header,
        'R-1,DE,2020-03-10,legal_process,1,"Mail, Drive","Said ""urgent"".\nCall back\\later\t!"',
        "R-2,DE,2020-03-10,legal_process,1,,",
    )
    result = run(data)
    assert result.ok, result.error_lines()
    first = DataRequest.objects.get(reference="R-1")
    assert first.authority.name == "Mail, Drive"
    assert first.internal_notes == 'Said "urgent".\nCall back\\later\t!'
    # Line numbers count physical lines: R-2 starts on line 4 although it is the second row.
    bad = csv_bytes(
        header, 'X-1,DE,2020-03-10,legal_process,1,,"two\nlines"', "X-2,XX,2020-03-10,legal_process,1,,"
    )
    assert [str(e) for e in run(bad).errors] == [
        "line 4, column country, value 'XX': unknown country; use its ISO 3166-1 alpha-2 code, e.g. HK"
    ]


# --- rejections: each names line, column, value and reason; nothing is written ----------------

REJECTIONS = [
    (
        "unknown country",
        "R-9,XX,2020-03-10,legal_process,1",
        "line 3, column country, value 'XX': unknown country",
    ),
    (
        "unknown request type",
        "R-9,DE,2020-03-10,subpoena,1",
        "line 3, column request_type, value 'subpoena': unknown request type; use one of: emergency, "
        "legal_process, preservation",
    ),
    (
        "date not ISO",
        "R-9,DE,10/03/2020,legal_process,1",
        "line 3, column received_on, value '10/03/2020': not a date in ISO format YYYY-MM-DD",
    ),
    (
        "date in words",
        "R-9,DE,March 2020,legal_process,1",
        "line 3, column received_on, value 'March 2020': not a date in ISO format",
    ),
    (
        "date that does not exist",
        "R-9,DE,2021-02-29,legal_process,1",
        "line 3, column received_on, value '2021-02-29': this date does not exist",
    ),
    ("missing date", "R-9,DE,,legal_process,1", "line 3, column received_on: required"),
    (
        "count zero",
        "R-9,DE,2020-03-10,legal_process,0",
        "line 3, column accounts_specified, value '0': a request names at least 1 account",
    ),
    (
        "count negative",
        "R-9,DE,2020-03-10,legal_process,-4",
        "line 3, column accounts_specified, value '-4': a request names at least 1 account",
    ),
    (
        "count not a number",
        "R-9,DE,2020-03-10,legal_process,many",
        "line 3, column accounts_specified, value 'many': not a whole number",
    ),
    (
        "count with decimals",
        "R-9,DE,2020-03-10,legal_process,1.5",
        "line 3, column accounts_specified, value '1.5': not a whole number",
    ),
    (
        "count with a misplaced separator",
        'R-9,DE,2020-03-10,legal_process,"10,24"',
        "line 3, column accounts_specified, value '10,24': not a whole number",
    ),
    (
        "duplicate in the file",
        "GOOD-1,DE,2020-03-11,emergency,1",
        "line 3, column reference, value 'GOOD-1': duplicate reference: already on line 2",
    ),
    (
        "already in the database",
        "OLD-1,DE,2020-03-11,emergency,1",
        "line 3, column reference, value 'OLD-1': already in the database (import with --update",
    ),
    (
        "too many fields",
        "R-9,DE,2020-03-10,legal_process,1,x",
        "line 3: 6 fields, but the header names 5 columns",
    ),
]


@pytest.mark.parametrize("name, bad_row, message", REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_each_rejection_names_line_and_reason_and_writes_nothing(tmp_path, existing, name, bad_row, message):
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        command(tmp_path, csv_bytes(HEADER, GOOD_ROW, bad_row))
    assert raised.value.returncode == 1
    assert message in raised.value.stderr
    assert "Nothing was imported" in str(raised.value)
    assert table_counts() == before


WORKFLOW_REJECTIONS = [
    (
        "unknown status",
        "R-9,DE,2020-03-10,legal_process,1,,,,,closed,,",
        "line 3, column status, value 'closed': unknown status",
    ),
    (
        "unknown outcome",
        "R-9,DE,2020-03-10,legal_process,1,,,,,completed,partial,2020-03-20",
        "line 3, column outcome, value 'partial': unknown outcome",
    ),
    (
        "decision before receipt",
        "R-9,DE,2020-03-10,legal_process,1,,,,,completed,all_data,2020-03-01",
        "line 3, column decided_on, value '2020-03-01': The decision date (2020-03-01) cannot be "
        "before the request was received (2020-03-10).",
    ),
    (
        "outcome without completion",
        "R-9,DE,2020-03-10,legal_process,1,,,,,in_review,all_data,",
        "line 3, column outcome, value 'all_data': Only a completed request has an outcome; this "
        "one is 'In review'. Clear the outcome or complete the request.",
    ),
    (
        "outcome without a status",
        "R-9,DE,2020-03-10,legal_process,1,,,,,,rejected,",
        "line 3, column outcome, value 'rejected': Only a completed request has an outcome; this "
        "one is 'Received'. Clear the outcome or complete the request.",
    ),
    (
        "completed without outcome",
        "R-9,DE,2020-03-10,legal_process,1,,,,,completed,,2020-03-20",
        "line 3, column outcome: A completed request needs an outcome.",
    ),
    (
        "completed without decision date",
        "R-9,DE,2020-03-10,legal_process,1,,,,,completed,no_data,",
        "line 3, column decided_on: A completed request needs a decision date.",
    ),
    (
        "legal process on an emergency",
        "R-9,DE,2020-03-10,emergency,1,,,subpoena,,,,",
        "line 3, column legal_process, value 'subpoena': Only a legal-process request has a legal "
        "process (this one is emergency).",
    ),
    (
        "unknown authority kind",
        "R-9,DE,2020-03-10,legal_process,1,BKA,army,,,,,",
        "line 3, column authority_kind, value 'army': unknown authority kind",
    ),
    (
        "kind without authority",
        "R-9,DE,2020-03-10,legal_process,1,,police,,,,,",
        "line 3, column authority_kind, value 'police': an authority kind without an authority name",
    ),
    (
        "on hold without a pause",
        "R-9,DE,2020-03-10,legal_process,1,,,,,on_hold,,",
        "line 3, column status, value 'on_hold': no pause decision in force",
    ),
]


@pytest.mark.parametrize(
    "name, bad_row, message", WORKFLOW_REJECTIONS, ids=[r[0] for r in WORKFLOW_REJECTIONS]
)
def test_each_workflow_rejection_names_line_and_reason_and_writes_nothing(
    tmp_path, existing, name, bad_row, message
):
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        command(tmp_path, csv_bytes(FULL_HEADER, GOOD_ROW + ",,,,,,,", bad_row))
    assert raised.value.returncode == 1
    assert message in raised.value.stderr
    assert table_counts() == before


def test_a_file_that_is_not_utf8_is_rejected_with_its_line(tmp_path, existing):
    before = table_counts()
    data = csv_bytes(
        HEADER + ",authority", GOOD_ROW + ",Mail", "R-2,DE,2020-03-10,legal_process,1,Caf\u00e9"
    ).replace("Caf\u00e9".encode(), "Caf\u00e9".encode("latin-1"))
    with pytest.raises(CommandError) as raised:
        command(tmp_path, data)
    assert "line 3: the file is not UTF-8: byte 0xe9 on line 3 cannot be decoded" in raised.value.stderr
    assert table_counts() == before


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_the_line_of_a_byte_that_is_not_utf8_is_counted_as_the_reader_counts_lines(end):
    # Far into the file (past the first chunks read), after accented names that chunks split.
    rows = [f"R-{n},DE,2020-03-10,legal_process,1,M\u00fcnchen \u00e9t\u00e9" for n in range(5000)]
    rows[4321] = rows[4321].replace("M\u00fcnchen", "Caf\u00e9 latin-1")
    data = csv_bytes(HEADER + ",authority", *rows, end=end).replace(
        "Caf\u00e9 latin-1".encode(), "Caf\u00e9 latin-1".encode("latin-1")
    )
    result = run(data)
    assert [str(error) for error in result.errors] == [
        "line 4323: the file is not UTF-8: byte 0xe9 on line 4323 cannot be decoded. Save it as UTF-8 "
        "(in a spreadsheet: 'CSV UTF-8') and import it again."
    ]


@pytest.mark.parametrize(
    "header, message",
    [
        (
            "reference,country,received_on,request_type",
            "line 1, column accounts_specified: required column missing",
        ),
        (
            "reference,country,received,request_type,accounts_specified",
            "line 1, column received: unknown column",
        ),
        (HEADER + ",Country", "line 1, column country: this column appears twice"),
    ],
)
def test_a_header_without_a_required_column_or_with_an_unknown_one_is_rejected(
    tmp_path, existing, header, message
):
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        command(tmp_path, csv_bytes(header, GOOD_ROW))
    assert message in raised.value.stderr
    assert table_counts() == before


def test_an_empty_file_is_rejected(tmp_path):
    with pytest.raises(CommandError) as raised:
        command(tmp_path, b"")
    assert "line 1: the file is empty" in raised.value.stderr


@pytest.mark.parametrize("blank", ["\n", ",,,\r\n", "  \n"])
def test_a_blank_first_line_is_named_as_such(blank):
    result = run(blank.encode() + csv_bytes(HEADER, GOOD_ROW))
    assert [str(error) for error in result.errors] == [
        "line 1: a blank line where the header belongs: the first line must name the columns"
    ]
    assert not DataRequest.objects.exists()


def test_every_error_is_reported_in_one_pass_capped_with_a_count(existing):
    before = table_counts()
    rows = [f"B-{n},XX,2020-13-01,legal_process,0" for n in range(60)]  # three errors each
    result = run(csv_bytes(HEADER, GOOD_ROW, *rows, "OLD-1,DE,2020-03-10,legal_process,1"), max_errors=100)
    assert result.error_count == 181
    assert len(result.errors) == 100
    lines = result.error_lines()
    assert lines[-1] == "... and 81 more error(s) not listed."
    assert lines[0].startswith("line 3, column country")
    assert any("line 62" in line for line in lines) is False  # only the first 100 are listed
    assert table_counts() == before


def test_the_listed_errors_are_those_of_the_first_lines_whatever_order_they_were_found_in(db):
    # References already in the database are found when a batch is written, after the later
    # rows' own errors: the cap still lists the first lines' errors, not the first found.
    for n in range(3):
        DataRequestFactory(reference=f"OLD-{n}", country="FR")
    before = table_counts()
    old = [f"OLD-{n},DE,2020-03-10,legal_process,1" for n in range(3)]
    bad = [f"B-{n},XX,2020-03-10,legal_process,1" for n in range(10)]
    result = run(csv_bytes(HEADER, *old, *bad), max_errors=5)
    assert result.error_count == 13
    assert [error.line for error in result.errors] == [2, 3, 4, 5, 6]
    assert str(result.errors[0]) == (
        "line 2, column reference, value 'OLD-0': already in the database "
        "(import with --update to update existing requests)"
    )
    assert result.error_lines()[-1] == "... and 8 more error(s) not listed."
    assert table_counts() == before


def test_errors_found_by_the_database_check_are_listed_with_the_rows_own(existing):
    result = run(csv_bytes(HEADER, "OLD-1,XX,2020-03-10,legal_process,1"))
    assert [str(error) for error in result.errors] == [
        "line 2, column country, value 'XX': unknown country; use its ISO 3166-1 alpha-2 code, e.g. HK",
        "line 2, column reference, value 'OLD-1': already in the database (import with --update to update "
        "existing requests)",
    ]


@pytest.mark.parametrize("update, hint", [(False, "import with --update"), (True, "import the file again")])
def test_a_reference_saved_by_someone_else_during_the_import_is_named_by_line(monkeypatch, update, hint):
    # The race: the batch's references are looked up, then someone saves one, then the batch is
    # written and the unique constraint refuses it (on PostgreSQL, inside a COPY).
    monkeypatch.setattr(writers.Writer, "existing", lambda writer, references: set())
    monkeypatch.setattr(writers.CopyWriter, "existing", lambda writer, references: set())
    DataRequestFactory(reference="RACE-1", country="FR")
    before = table_counts()
    result = run(
        csv_bytes(HEADER, GOOD_ROW, "RACE-1,DE,2020-03-10,legal_process,1"), bulk_load=False, update=update
    )
    assert [str(error) for error in result.errors] == [
        "line 3, column reference, value 'RACE-1': saved in the database by someone else while this "
        f"file was being imported ({hint} to update it)"
    ]
    assert table_counts() == before


def test_a_row_the_database_refuses_for_another_reason_names_the_batch(monkeypatch):
    def refuse(writer, rows):  # as a writer does: nothing written, a DatabaseError raised
        raise IntegrityError('new row violates check constraint "request_rule_added_later"\nDETAIL: ...')

    monkeypatch.setattr(writers.Writer, "write", refuse)
    monkeypatch.setattr(writers.CopyWriter, "write", refuse)
    before = table_counts()
    result = run(csv_bytes(HEADER, GOOD_ROW, "GOOD-2,DE,2020-03-10,legal_process,1"), bulk_load=False)
    assert [str(error) for error in result.errors] == [
        'file: the database refused lines 2-3: new row violates check constraint "request_rule_added_later"'
    ]
    assert table_counts() == before


# --- all or nothing ------------------------------------------------------------------------------


def many_rows(count: int, prefix: str = "M") -> bytes:
    return csv_bytes(HEADER, *(f"{prefix}-{n},DE,2020-03-10,legal_process,1" for n in range(count)))


@pytest.mark.parametrize("bulk_load", [None, True])
def test_an_exception_in_the_middle_of_the_import_leaves_no_rows(existing, bulk_load):
    if bulk_load and connection.vendor != "postgresql":
        pytest.skip("the bulk-load strategy is PostgreSQL's")
    before = table_counts()
    constraints_before = connection.introspection.get_constraints(
        connection.cursor(), DataRequest._meta.db_table
    )
    seen = []

    def interrupt(rows, seconds):
        seen.append(rows)
        if not bulk_load:  # the bulk loader's COPY is open: no other query until it ends
            assert DataRequest.objects.count() > before["requests"]  # rows were really written
        if rows >= 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(many_rows(100), batch_size=10, progress=interrupt, bulk_load=bulk_load)
    assert seen == [10, 20, 30]
    assert table_counts() == before
    # The bulk loader dropped indexes and constraints inside the transaction: all back.
    after = connection.introspection.get_constraints(connection.cursor(), DataRequest._meta.db_table)
    assert after == constraints_before


def test_a_dry_run_checks_everything_and_writes_nothing(tmp_path, existing):
    before = table_counts()
    out, _ = command(tmp_path, many_rows(5), "--dry-run")
    assert "Dry run, nothing written" in out and "created 5" in out
    assert table_counts() == before


def test_progress_lines_and_summary_on_the_command_line(tmp_path):
    out, err = command(tmp_path, many_rows(25), "--batch-size", "10", "--progress-every", "10")
    assert "created 25" in out and "rows/s" in out
    assert "10 rows checked and written" in err and "20 rows checked and written" in err


# --- the audit record ---------------------------------------------------------------------------


def test_an_import_is_recorded_with_user_file_and_counts(tmp_path):
    user = UserFactory(username="intake")
    data = many_rows(3)
    command(tmp_path, data, "--user", "intake")
    record = ImportRun.objects.get()
    assert (record.user, record.file_name, record.source) == (user, "requests.csv", "command")
    assert (record.file_sha256, record.file_size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (record.rows, record.created, record.updated) == (3, 3, 0)
    assert record.finished_at >= record.started_at
    assert set(DataRequest.objects.values_list("import_run", flat=True)) == {record.pk}
    # Creation is recorded once, on the ImportRun, not as a history row per request.
    assert DataRequest.history.count() == 0


def test_an_import_called_without_a_file_name_is_recorded_under_the_stream_s_or_a_stand_in(tmp_path):
    assert intake.import_requests(io.BytesIO(many_rows(2))).ok
    path = tmp_path / "from-the-old-tool.csv"
    path.write_bytes(many_rows(2, prefix="P"))
    with path.open("rb") as source:
        assert intake.import_requests(source).ok
    with tempfile.TemporaryFile() as source:  # its name is a file descriptor's number
        source.write(many_rows(2, prefix="T"))
        source.seek(0)
        assert intake.import_requests(source).ok
    assert list(ImportRun.objects.order_by("pk").values_list("file_name", flat=True)) == [
        "(unnamed stream)",
        "from-the-old-tool.csv",
        "(unnamed stream)",
    ]


# --- authorities ----------------------------------------------------------------------------------


def test_authorities_are_found_or_created_by_name_and_country():
    bka = AuthorityFactory(name="BKA", country="DE", kind="police")
    data = csv_bytes(
        HEADER + ",authority,authority_kind",
        "R-1,DE,2020-03-10,legal_process,1,BKA,",
        "R-2,AT,2020-03-10,legal_process,1,BKA,police",
        "R-3,AT,2020-03-10,legal_process,1,BKA,",
        "R-4,DE,2020-03-10,legal_process,1,Amtsgericht Berlin,court",
    )
    assert run(data).ok
    assert DataRequest.objects.get(reference="R-1").authority == bka
    austrian = DataRequest.objects.get(reference="R-2").authority
    assert austrian != bka and austrian.country.code == "AT"
    assert DataRequest.objects.get(reference="R-3").authority == austrian
    assert Authority.objects.get(name="Amtsgericht Berlin").kind == "court"
    assert Authority.objects.count() == 3
    assert Authority.history.filter(name="Amtsgericht Berlin", history_type="+").exists()


def test_an_authority_kind_contradicting_the_known_one_is_an_error():
    AuthorityFactory(name="BKA", country="DE", kind="police")
    data = csv_bytes(
        HEADER + ",authority,authority_kind",
        "R-1,DE,2020-03-10,legal_process,1,BKA,court",
        "R-2,FR,2020-03-10,legal_process,1,Parquet,prosecutor",
        "R-3,FR,2020-03-10,legal_process,1,Parquet,court",
    )
    result = run(data)
    assert [str(error) for error in result.errors] == [
        "line 2, column authority_kind, value 'court': BKA (DE) is recorded as 'police', not 'court'",
        "line 4, column authority_kind, value 'court': Parquet (FR) is recorded as 'prosecutor', not 'court'",
    ]
    assert Authority.objects.count() == 1


@pytest.mark.parametrize("batch_size", [1000, 1])  # stated before or after the authority is created
@pytest.mark.parametrize("bulk_load", [None, True])
def test_a_new_authority_takes_the_first_kind_the_file_states_wherever_it_is(batch_size, bulk_load):
    if bulk_load and connection.vendor != "postgresql":
        pytest.skip("the bulk-load strategy is PostgreSQL's")
    data = csv_bytes(
        HEADER + ",authority,authority_kind",
        "R-1,DE,2020-03-10,legal_process,1,BKA,",
        "R-2,DE,2020-03-10,legal_process,1,BKA,police",
        "R-3,DE,2020-03-10,legal_process,1,BKA,",
        "R-4,DE,2020-03-10,legal_process,1,Landgericht,",
    )
    intake = UserFactory(username="intake")
    result = run(data, batch_size=batch_size, bulk_load=bulk_load, actor=intake)
    assert result.ok, result.error_lines()
    bka = Authority.objects.get(name="BKA")
    assert bka.kind == "police"
    assert {r.authority for r in DataRequest.objects.filter(reference__in=["R-1", "R-2", "R-3"])} == {bka}
    assert Authority.objects.get(name="Landgericht").kind == "other"  # stated nowhere
    if batch_size == 1:  # created as "other" with R-1, then set by R-2: both in its history
        assert [(h.kind, h.history_user) for h in bka.history.order_by("history_id")] == [
            ("other", intake),
            ("police", intake),
        ]


def test_an_authority_someone_else_creates_meanwhile_keeps_its_kind(monkeypatch):
    create_bulk = services.authorities_create_bulk

    def colleague_first(**kwargs):
        AuthorityFactory(name="BKA", country="DE", kind="court")  # saved just before ours
        return create_bulk(**kwargs)

    monkeypatch.setattr(services, "authorities_create_bulk", colleague_first)
    data = csv_bytes(
        HEADER + ",authority,authority_kind",
        "R-1,DE,2020-03-10,legal_process,1,BKA,",
        "R-2,DE,2020-03-10,legal_process,1,BKA,police",
    )
    result = run(data, batch_size=1)
    assert [str(error) for error in result.errors] == [
        "line 3, column authority_kind, value 'police': BKA (DE) is recorded as 'court', not 'police'"
    ]
    assert not DataRequest.objects.exists()  # (and the stand-in colleague's save, made inside the
    # import's transaction, went with its rollback)


def test_stating_other_for_an_authority_created_as_other_changes_nothing():
    data = csv_bytes(
        HEADER + ",authority,authority_kind",
        "R-1,DE,2020-03-10,legal_process,1,BKA,",
        "R-2,DE,2020-03-10,legal_process,1,BKA,other",
    )
    assert run(data, batch_size=1).ok
    assert [h.kind for h in Authority.objects.get(name="BKA").history.all()] == ["other"]


def test_a_new_authority_given_two_kinds_is_an_error_whichever_comes_first():
    data = csv_bytes(
        HEADER + ",authority,authority_kind",
        "R-1,DE,2020-03-10,legal_process,1,BKA,",
        "R-2,DE,2020-03-10,legal_process,1,BKA,police",
        "R-3,DE,2020-03-10,legal_process,1,BKA,court",
    )
    before = table_counts()
    result = run(data, batch_size=1)
    assert [str(error) for error in result.errors] == [
        "line 4, column authority_kind, value 'court': BKA (DE) is recorded as 'police', not 'court'"
    ]
    assert table_counts() == before and not Authority.objects.exists()


# --- the hold rule is the services' rule --------------------------------------------------------


def test_new_requests_are_held_by_the_pause_in_force_like_request_create():
    pause = PauseDecisionFactory(
        country="HK", effective_from=datetime.date(2020, 7, 6), covers_emergency=False
    )
    today = datetime.date(2021, 1, 1)
    data = csv_bytes(
        FULL_HEADER,
        "HK-1,HK,2020-08-01,legal_process,1,,,,,,,",
        "HK-2,hk,2019-01-01,legal_process,1,,,,,in_review,,",
        "HK-3,HK,2020-08-01,emergency,1,,,,,,,",
        "HK-4,HK,2020-08-01,legal_process,1,,,,,completed,rejected,2020-08-02",
        "HK-5,HK,2020-08-01,legal_process,1,,,,,withdrawn,,",
        "HK-6,HK,2020-08-01,legal_process,1,,,,,on_hold,,",
        "DE-1,DE,2020-08-01,legal_process,1,,,,,,,",
    )
    result = run(data, today=today)
    assert result.ok, result.error_lines()
    assert result.held == 3
    imported = {r.reference: (r.status, r.held_by) for r in DataRequest.objects.all()}
    # The same rows through the one-at-a-time service:
    DataRequest.objects.all().delete()
    for line in data.decode().splitlines()[1:]:
        ref, country, received, request_type, _, _, _, _, _, status, outcome, decided = line.split(",")
        fields = {"status": status or "received", "outcome": outcome}
        if decided:
            fields["decided_on"] = datetime.date.fromisoformat(decided)
        if status == "on_hold":
            continue  # request_create is never given on_hold; the importer holds or refuses it
        made = services.request_create(
            reference=ref,
            country=country.upper(),
            received_on=datetime.date.fromisoformat(received),
            request_type=request_type,
            accounts_specified=1,
            today=today,
            **fields,
        )
        assert (made.status, made.held_by) == imported[ref], ref
    assert imported["HK-1"] == (S.ON_HOLD, pause) and imported["HK-6"] == (S.ON_HOLD, pause)
    assert imported["HK-3"] == (S.RECEIVED, None) and imported["DE-1"] == (S.RECEIVED, None)


def test_a_pause_that_ended_holds_nothing():
    PauseDecisionFactory(
        country="HK", effective_from=datetime.date(2020, 7, 6), ended_on=datetime.date(2020, 12, 31)
    )
    result = run(csv_bytes(HEADER, "HK-1,HK,2020-08-01,legal_process,1"), today=datetime.date(2021, 3, 1))
    assert result.ok and result.held == 0
    assert DataRequest.objects.get().status == S.RECEIVED


# --- --update -------------------------------------------------------------------------------------


def test_update_changes_existing_requests_through_the_services_with_history(tmp_path):
    reviewer = UserFactory(username="reviewer")
    ProductFactory(code="mail")
    old = DataRequestFactory(reference="OLD-1", country="DE", accounts_specified=1)
    same = DataRequestFactory(
        reference="SAME-1", country="DE", accounts_specified=1, received_on=datetime.date(2020, 3, 10)
    )
    before_history = old.history.count()
    data = csv_bytes(
        HEADER + ",product,status,outcome,outcome_reason,decided_on",
        f"OLD-1,DE,{old.received_on},legal_process,5,mail,completed,rejected,overbroad,{old.received_on}",
        "SAME-1,DE,2020-03-10,legal_process,1,,received,,,",
        "NEW-1,DE,2020-03-10,legal_process,1,,,,,",
    )
    out, _ = command(tmp_path, data, "--update", "--user", "reviewer")
    assert "created 1" in out and "updated 1" in out and "1 unchanged" in out
    old.refresh_from_db()
    assert (old.accounts_specified, old.product_id, old.status, old.outcome) == (
        5,
        "mail",
        S.COMPLETED,
        "rejected",
    )
    assert old.version > 1
    history = list(old.history.order_by("history_date", "history_id"))
    # Through the workflow's own steps: review started, completed, then the details changed.
    assert [h.status for h in history[before_history:]] == [S.IN_REVIEW, S.COMPLETED, S.COMPLETED]
    assert {h.history_user for h in history[before_history:]} == {reviewer}
    assert same.history.count() == 1  # unchanged: no new history
    assert ImportRun.objects.get().updated == 1


def test_update_refuses_a_move_the_workflow_refuses_and_writes_nothing(tmp_path):
    DataRequestFactory(reference="DONE-1", completed=True)
    DataRequestFactory(reference="OPEN-1")
    before = table_counts()
    data = csv_bytes(
        HEADER + ",status,outcome,decided_on",
        "DONE-1,DE,2020-03-10,legal_process,1,received,,",
        "OPEN-1,DE,2020-03-10,legal_process,3,in_review,,",
    )
    with pytest.raises(CommandError) as raised:
        command(tmp_path, data, "--update")
    assert (
        "line 2, value 'DONE-1': Request DONE-1 cannot move from 'Completed' to 'Received'"
        in raised.value.stderr
    )
    assert table_counts() == before
    assert DataRequest.objects.get(reference="OPEN-1").status == S.RECEIVED


def test_update_does_not_rewrite_a_decision(tmp_path):
    done = DataRequestFactory(reference="DONE-1", completed=True)
    data = csv_bytes(
        HEADER + ",status,outcome,decided_on",
        f"DONE-1,DE,{done.received_on},legal_process,1,completed,no_data,{done.decided_on}",
    )
    with pytest.raises(CommandError) as raised:
        command(tmp_path, data, "--update")
    assert (
        "line 2, value 'DONE-1': DONE-1 is 'Completed' in the database and the file changes its outcome"
        in (raised.value.stderr)
    )


def exported(*requests: DataRequest) -> str:
    out = io.StringIO()
    intake.export_csv(DataRequest.objects.filter(pk__in=[r.pk for r in requests]), out)
    return out.getvalue()


def test_update_refuses_a_request_changed_since_the_file_was_exported(tmp_path):
    request = DataRequestFactory(reference="C-1", internal_notes="original", accounts_specified=1)
    untouched = DataRequestFactory(reference="C-2", internal_notes="original")
    data = exported(request, untouched).replace("original", "edited in the file")
    assert data.splitlines()[0].endswith(",internal_notes,version")
    # A colleague saves C-1 after the export.
    services.request_update(request=request, internal_notes="colleague's later note", accounts_specified=7)
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        command(tmp_path, data.encode(), "--update")
    assert (
        "line 2, column version: C-1: changed in the database after this file was exported "
        "(the file has version 1, the database 2); export it again and make the changes there"
    ) in raised.value.stderr
    assert "line 3" not in raised.value.stderr  # C-2 is still at the file's version
    request.refresh_from_db()
    assert (request.internal_notes, request.accounts_specified) == ("colleague's later note", 7)
    assert DataRequest.objects.get(reference="C-2").internal_notes == "original"
    assert table_counts() == before
    # Exported again, the same edit goes through.
    request.refresh_from_db()
    data = exported(request, untouched).replace("colleague's later note", "edited in the file")
    result = run(data.encode(), update=True)
    assert result.ok and result.updated == 1 and result.unchanged == 1
    request.refresh_from_db()
    assert (request.internal_notes, request.version) == ("edited in the file", 3)


def test_the_version_column_is_checked_and_a_new_request_starts_at_version_1():
    before = table_counts()
    result = run(csv_bytes(HEADER + ",version", GOOD_ROW + ",x", "V-2,DE,2020-03-10,legal_process,1,0"))
    assert [str(error) for error in result.errors] == [
        f"line {n}, column version, value '{value}': not a version of a request (a whole number from 1, "
        "as exported)"
        for n, value in ((2, "x"), (3, "0"))
    ]
    assert table_counts() == before
    result = run(csv_bytes(HEADER + ",version", GOOD_ROW + ",5", "V-2,DE,2020-03-10,legal_process,1,"))
    assert result.ok and result.created == 2
    assert set(DataRequest.objects.values_list("version", flat=True)) == {1}


# --- export -> import round trip ------------------------------------------------------------------


def test_long_notes_round_trip(db):
    memo = ('A memo pasted in, line after line, with a comma, "quotes" and ünïcödé.\n' * 4000).strip()
    assert len(memo) > 131_072  # csv's default limit of a field
    request = DataRequestFactory(reference="LONG-1", internal_notes=memo)
    out = io.StringIO()
    intake.export_csv(DataRequest.objects.filter(pk=request.pk), out)
    DataRequest.objects.all().delete()
    result = run(out.getvalue().encode())
    assert result.ok, result.error_lines()
    assert DataRequest.objects.get(reference="LONG-1").internal_notes == memo


@pytest.fixture
def varied_requests():
    """Requests using every importable field, including awkward text."""
    ana = UserFactory(username="ana")
    hk_pause = PauseDecisionFactory(country="HK", effective_from=datetime.date(2020, 7, 6))
    bka = AuthorityFactory(name="Bundeskriminalamt", country="DE", kind="police")
    court = AuthorityFactory(name='Tribunal "Judiciaire", Paris', country="FR", kind="court")
    DataRequestFactory(
        reference="DE-2020-0001",
        country="DE",
        authority=bka,
        request_type="legal_process",
        legal_process_id="search_warrant",
        product=ProductFactory(code="mail", name="Mail, Drive"),
        accounts_specified=1024,
        received_on=datetime.date(2020, 3, 10),
        acknowledged_on=datetime.date(2020, 3, 11),
        status=S.COMPLETED,
        outcome="some_data",
        disclosure="content",
        decided_on=datetime.date(2020, 4, 1),
        user_notification="delayed",
        notification_delayed_until=datetime.date(2021, 1, 1),
        assignee=ana,
        internal_notes='Call "back"\nline two\twith a tab, a \\ backslash and ünïcödé',
    )
    DataRequestFactory(
        reference="HK-2020-0002",
        country="HK",
        authority=AuthorityFactory(name="Hong Kong Police Force", country="HK", kind="police"),
        received_on=datetime.date(2020, 8, 3),
        status=S.ON_HOLD,
        held_by=hk_pause,
    )
    DataRequestFactory(
        reference="HK-2020-0003",
        country="HK",
        authority=None,
        request_type="emergency",
        received_on=datetime.date(2020, 9, 1),
        status=S.COMPLETED,
        outcome="all_data",
        disclosure="non_content",
        pause_exception="threat_to_life",
        decided_on=datetime.date(2020, 9, 1),
        user_notification="not_notified",
    )
    DataRequestFactory(reference="FR/2021/Ü-4", country="FR", authority=court, status=S.WITHDRAWN)
    DataRequestFactory(
        reference="US-5",
        country="US",
        authority=None,
        request_type="preservation",
        status=S.IN_REVIEW,
        assignee=ana,
    )
    DataRequestFactory(
        reference="DE-6",
        country="DE",
        authority=bka,
        status=S.COMPLETED,
        outcome="rejected",
        outcome_reason="overbroad",
        decided_on=datetime.date(2020, 3, 30),
        user_notification="notified",
    )


SKIPPED_FIELDS = {"id", "version", "created_at", "updated_at", "import_run"}


def every_field() -> dict:
    snapshot = {}
    for request in DataRequest.objects.select_related("authority", "assignee"):
        values = {}
        for model_field in DataRequest._meta.concrete_fields:
            if model_field.name in SKIPPED_FIELDS:
                continue
            value = getattr(request, model_field.name)
            if model_field.name == "authority":
                value = value and (value.name, value.country.code, value.kind)
            elif model_field.name == "assignee":
                value = value and value.username
            elif model_field.name == "country":
                value = value.code
            values[model_field.name] = value
        snapshot[request.reference] = values
    return snapshot


def test_export_then_import_into_a_fresh_database_reproduces_every_field(varied_requests):
    exported = io.StringIO()
    assert intake.export_csv(DataRequest.objects.all(), exported) == 6
    assert exported.getvalue().splitlines()[0].startswith(FULL_HEADER + ",acknowledged_on,")
    before = every_field()
    # A fresh database, but for the reference data an import expects: users and pause decisions.
    DataRequest.objects.all().delete()
    Authority.objects.all().delete()

    result = run(exported.getvalue().encode(), update=True)
    assert result.ok, result.error_lines()
    assert (result.created, result.updated) == (6, 0)
    assert every_field() == before

    # Imported again with --update, the same file changes nothing.
    history = DataRequest.history.count()
    again = run(exported.getvalue().encode(), update=True)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert DataRequest.history.count() == history


# --- the PostgreSQL bulk-load strategy ------------------------------------------------------------

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's strategy")


def requests_schema() -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, DataRequest._meta.db_table)


@postgresql_only
def test_bulk_load_imports_checks_and_restores_every_index_and_constraint(existing):
    schema = requests_schema()
    pause = PauseDecisionFactory(country="HK", effective_from=datetime.date(2020, 7, 6))
    data = csv_bytes(
        HEADER + ",authority,status",
        *(f"B-{n},DE,2020-03-10,legal_process,1,Polizei {n % 3}," for n in range(30)),
        "HK-1,HK,2020-08-01,legal_process,1,,",
    )
    result = run(data, bulk_load=True, batch_size=7)
    assert result.ok, result.error_lines()
    assert (result.strategy, result.created, result.held) == ("bulk load", 31, 1)
    assert DataRequest.objects.get(reference="HK-1").held_by == pause
    assert Authority.objects.filter(name__startswith="Polizei").count() == 3
    assert requests_schema() == schema

    before = table_counts()
    failed = run(
        csv_bytes(HEADER, "B-99,DE,2020-03-10,legal_process,1", "OLD-1,DE,2020-03-10,emergency,1"),
        bulk_load=True,
    )
    assert [str(e) for e in failed.errors] == [
        "line 3, column reference, value 'OLD-1': already in the database (import with --update to update "
        "existing requests)"
    ]
    assert table_counts() == before
    assert requests_schema() == schema


@postgresql_only
def test_bulk_load_is_chosen_for_a_large_file_into_a_smaller_table(monkeypatch):
    # The thresholds are scaled down: a "large" file is 200 bytes here, and brings 3 rows.
    monkeypatch.setattr(writers, "BULK_LOAD_MIN_BYTES", 200)
    monkeypatch.setattr(writers, "BULK_LOAD_BYTES_PER_ROW", 200 // 3)
    rows = [f"BIG-{n},DE,2020-03-10,legal_process,1" for n in range(8)]
    small = csv_bytes(HEADER, *rows[:1])
    assert len(small) < 200 and run(small).strategy == "copy"
    large = csv_bytes(HEADER, *rows[1:5])
    assert len(large) >= 200
    DataRequestFactory.create_batch(2)  # the table holds 3 rows: not fewer than the file's 3
    assert run(large).strategy == "copy"
    DataRequest.objects.filter(reference__startswith="BIG-").delete()
    DataRequest.objects.exclude(reference__startswith="BIG-").first().delete()
    result = run(large)
    assert result.ok and result.strategy == "bulk load" and result.created == 4


# --- the plain-text reader and the short cut of the hot loop --------------------------------------


def test_rows_after_the_reader_switches_to_csv_keep_their_line_numbers(monkeypatch):
    # Plain chunks are split directly; from the first chunk with a quote on, csv.reader reads.
    monkeypatch.setattr(reading, "CHUNK_CHARACTERS", 64)
    rows = [f"P-{n},DE,2020-03-10,legal_process,1" for n in range(10)]
    rows[6] = 'P-6,DE,2020-03-10,legal_process,"1,024"'
    rows[8] = "P-8,DE,2020-13-10,legal_process,1"
    result = run(csv_bytes(HEADER, *rows, "P-2,DE,2020-03-10,legal_process,1"))
    assert [str(e) for e in result.errors] == [
        "line 10, column received_on, value '2020-13-10': this date does not exist",
        "line 12, column reference, value 'P-2': duplicate reference: already on line 4 of this file",
    ]


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_plain_files_with_lf_or_crlf_read_like_csv(monkeypatch, end):
    monkeypatch.setattr(reading, "CHUNK_CHARACTERS", 50)
    rows = [f"C-{n},de,2020-03-10,legal_process,2" for n in range(20)]
    result = run(csv_bytes(HEADER, *rows, "", "C-20,DE,2020-03-10,emergency,0", end=end))
    assert [str(e) for e in result.errors] == [
        "line 23, column accounts_specified, value '0': a request names at least 1 account"
    ]
    assert result.blank_lines == 1 and result.rows == 21


def test_a_lone_cr_ends_a_line_too():
    data = (HEADER + "\rR-1,DE,2020-03-10,legal_process,1\rR-2,FR,2020-03-11,emergency,1\r").encode()
    result = run(data)
    assert result.ok, result.error_lines()
    assert set(DataRequest.objects.values_list("reference", flat=True)) == {"R-1", "R-2"}


def test_rows_taking_the_short_cut_are_stored_like_fully_checked_ones():
    ProductFactory(code="mail")
    pause = PauseDecisionFactory(country="HK", effective_from=datetime.date(2020, 7, 6))
    rows = []
    for n in range(40):
        rows.append(
            f'S-{n},{"hk" if n % 2 else "HK"},2021-01-0{1 + n % 5},legal_process,"1,024",Police {n % 2},'
            f"police,subpoena,mail,{'completed' if n % 4 == 0 else 'received'},"
            f"{'no_data' if n % 4 == 0 else ''},{'2021-02-01' if n % 4 == 0 else ''}"
        )
    result = run(csv_bytes(FULL_HEADER, *rows))
    assert result.ok, result.error_lines()
    assert (result.created, result.held) == (40, 30)
    for n in (1, 2, 4, 39):
        request = DataRequest.objects.get(reference=f"S-{n}")
        assert (
            request.country.code,
            request.accounts_specified,
            request.authority.name,
            request.product_id,
        ) == (
            "HK",
            1024,
            f"Police {n % 2}",
            "mail",
        )
        if n % 4 == 0:
            assert (request.status, request.outcome, request.decided_on, request.held_by) == (
                S.COMPLETED,
                "no_data",
                datetime.date(2021, 2, 1),
                None,
            )
        else:
            assert (request.status, request.held_by, request.decided_on) == (S.ON_HOLD, pause, None)
    assert Authority.objects.filter(name__startswith="Police").count() == 2


def test_a_row_like_many_before_it_but_wrong_is_still_reported():
    good = [
        f"W-{n},DE,2020-03-10,legal_process,1,BKA,police,subpoena,,completed,all_data,2020-04-01"
        for n in range(5)
    ]
    result = run(
        csv_bytes(
            FULL_HEADER,
            *good,
            "W-5,DE,2020-03-10,legal_process,1,BKA,court,subpoena,,completed,all_data,2020-04-01",
            "W-6,DE,2020-03-10,legal_process,1,BKA,police,subpoena,,completed,all_data,2020-03-01",
            "W-1,DE,2020-03-10,legal_process,1,BKA,police,subpoena,,completed,all_data,2020-04-01",
        )
    )
    assert [str(e) for e in result.errors] == [
        "line 7, column authority_kind, value 'court': BKA (DE) is recorded as 'police', not 'court'",
        "line 8, column decided_on, value '2020-03-01': The decision date (2020-03-01) cannot be "
        "before the request was received (2020-03-10).",
        "line 9, column reference, value 'W-1': duplicate reference: already on line 3 of this file",
    ]
    assert DataRequest.objects.count() == 0


@postgresql_only
def test_bulk_load_puts_back_the_column_defaults_it_borrows(existing):
    def defaults():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname",
                [DataRequest._meta.db_table],
            )
            return cursor.fetchall()

    before = defaults()
    result = run(many_rows(20), bulk_load=True, batch_size=7)
    assert result.ok, result.error_lines()
    request = DataRequest.objects.get(reference="M-3")
    assert (request.version, request.import_run, request.created_at) == (1, result.run, request.updated_at)
    assert defaults() == before
