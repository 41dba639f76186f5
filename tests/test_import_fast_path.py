"""The importer's column-at-a-time short cut (``intake.fast``) and the bulk loader's COPY.

Most rows of a large file are checked a chunk and a column at a time, not row by row; on
PostgreSQL the bulk loader takes them as COPY text. Both must store exactly what the row loop
stores, report the same errors, and leave the table's sequence, keys and defaults as they were.
"""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.management import CommandError
from django.db import IntegrityError, connection, transaction

from requests_app import intake, services
from requests_app.intake import bulkload, columns, fast, reading, writers
from requests_app.models import Authority, DataRequest
from tests.factories import DataRequestFactory, PauseDecisionFactory, ProductFactory, UserFactory
from tests.test_importers import (
    FULL_HEADER,
    command,
    csv_bytes,
    every_field,
    requests_schema,
    run,
    table_counts,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's strategy")
EXTRA_HEADER = FULL_HEADER + ",acknowledged_on,internal_notes,assignee"
VERSIONED_HEADER = FULL_HEADER + ",version"  # as an export has it


def varied_rows(count: int, *, extra: bool) -> list[str]:
    """Rows mixing every kind of value, with new spellings and authorities all along the file."""
    statuses = [("completed", "all_data", 30), ("completed", "rejected", 5), ("received", "", 0)]
    statuses += [("in_review", "", 0), ("withdrawn", "", 0), ("on_hold", "", 0)]
    rows = []
    for n in range(count):
        country = ["DE", "de", "HK", "FR", "hk"][n % 5]
        code = country.upper()
        request_type = ["legal_process", "emergency", "preservation", "Legal_Process"][n % 7 % 4]
        process = "subpoena" if request_type.lower() == "legal_process" and n % 3 else ""
        status, outcome, days = statuses[n % 6]
        if status == "on_hold" and not (code == "HK" and request_type.lower() == "legal_process"):
            status = "received"  # only the HK pause holds; on_hold elsewhere is refused
        received = datetime.date(2020, 1, 1) + datetime.timedelta(days=n % 97)
        decided = (received + datetime.timedelta(days=days)).isoformat() if status == "completed" else ""
        # A new authority every 200 rows, first met in the middle of a chunk.
        authority = f"{code} office {n // 200}" if n % 9 else ""
        kind = "police" if authority else ""
        product = ["", "mail", "photos", " cloud "][n % 4]
        row = (
            f"F-{n:05d},{country},{received},{request_type},{1 + n % 3},{authority},{kind},"
            f"{process},{product},{status},{outcome},{decided}"
        )
        if extra:
            row += "," + (f"{received},note {n},ana" if n % 50 == 7 else ",,")
        rows.append(row)
    return rows


@pytest.fixture(autouse=True)
def hk_pause():
    """The pause that holds (and lets the file say on_hold for) HK legal-process requests."""
    return PauseDecisionFactory(country="HK", effective_from=datetime.date(2019, 7, 6))


@pytest.fixture(autouse=True)
def products():
    """The products the test files name."""
    return [ProductFactory(code=code) for code in ("mail", "photos", "cloud")]


@pytest.fixture
def chunks_of(monkeypatch):
    """Small reader chunks: a test file spans many of them, as a large file does."""
    monkeypatch.setattr(reading, "CHUNK_CHARACTERS", 2_000)
    monkeypatch.setattr(reading, "CSV_RECORDS", 25)


class FastPathSpy:
    """Counts the rows every import's short cut passed (``ImportResult.rows_checked_by_column``);
    ``enabled=False`` turns the short cut off (``fast.SHORT_CUT``), so every row is checked in full."""

    def __init__(self, monkeypatch, *, enabled: bool = True):
        self.rows = 0
        monkeypatch.setattr(fast, "SHORT_CUT", enabled)
        original = intake.import_requests

        def spy(*args, **kwargs):
            result = original(*args, **kwargs)
            self.rows += result.rows_checked_by_column
            return result

        monkeypatch.setattr(intake, "import_requests", spy)


def import_both_ways(monkeypatch, data: bytes, **options) -> tuple:
    """(result, stored fields, rows taken a column at a time), with the fast path and without."""
    outcomes = []
    for enabled in (True, False):
        DataRequest.objects.filter(reference__startswith="F-").delete()
        Authority.objects.filter(name__contains=" office ").delete()
        spy = FastPathSpy(monkeypatch, enabled=enabled)
        result = run(data, **options)
        assert result.ok, result.error_lines()
        outcomes.append((result, every_field(), spy.rows))
    return outcomes


STRATEGIES = {
    "row writer": {},
    "bulk load into an empty table": {"bulk_load": True},  # COPY text, straight from the columns
    "bulk load next to existing requests": {"bulk_load": True, "existing": True},
}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("header", [FULL_HEADER, EXTRA_HEADER, VERSIONED_HEADER])
def test_rows_checked_a_column_at_a_time_are_stored_as_the_row_loop_stores_them(
    monkeypatch, chunks_of, strategy, header
):
    options = dict(STRATEGIES[strategy])
    if options.get("bulk_load") and connection.vendor != "postgresql":
        pytest.skip("the bulk-load strategy is PostgreSQL's")
    if options.pop("existing", False):
        DataRequestFactory(reference="OLD-1")
    UserFactory(username="ana")
    rows = varied_rows(3000, extra=header == EXTRA_HEADER)
    if header == VERSIONED_HEADER:
        rows = [f"{row},{n % 4 or ''}" for n, row in enumerate(rows)]
    data = csv_bytes(header, *rows)

    (fast, fast_fields, fast_rows), (slow, slow_fields, slow_rows) = import_both_ways(
        monkeypatch, data, batch_size=7, **options
    )
    assert fast_rows > 1500 and slow_rows == 0  # most rows took the fast path, none the other time
    assert fast_fields == slow_fields
    assert len(fast_fields) == 3000 + DataRequest.objects.exclude(reference__startswith="F-").count()
    counts = ("rows", "created", "held", "strategy")
    assert [getattr(fast, name) for name in counts] == [getattr(slow, name) for name in counts]
    assert fast.held > 0
    if header == EXTRA_HEADER:
        noted = DataRequest.objects.get(reference="F-00007")
        assert (noted.internal_notes, noted.assignee.username) == ("note 7", "ana")
        plain = DataRequest.objects.get(reference="F-00008")
        assert (plain.internal_notes, plain.assignee, plain.acknowledged_on) == ("", None, None)
        assert plain.disclosure == ""


@pytest.mark.parametrize("bulk_load", [None, True])
def test_errors_in_later_chunks_are_reported_by_line_as_before(monkeypatch, chunks_of, bulk_load):
    if bulk_load and connection.vendor != "postgresql":
        pytest.skip("the bulk-load strategy is PostgreSQL's")
    spy = FastPathSpy(monkeypatch)
    rows = varied_rows(3000, extra=False)
    fields = rows[2250].split(",")
    bad_date = fields[2] = fields[2].replace("-", "/")
    rows[2250] = ",".join(fields)
    rows[2500] = rows[10]  # a duplicate of line 12
    fields = rows[2750].split(",")
    fields[4] = "0"
    rows[2750] = ",".join(fields)
    result = run(csv_bytes(FULL_HEADER, *rows), bulk_load=bulk_load, batch_size=7)
    assert spy.rows > 1500
    assert [str(error) for error in result.errors] == [
        f"line 2252, column received_on, value '{bad_date}': not a date in ISO format "
        "YYYY-MM-DD (e.g. 2020-07-06)",
        "line 2502, column reference, value 'F-00010': duplicate reference: already on line 12 of this file",
        "line 2752, column accounts_specified, value '0': a request names at least 1 account",
    ]
    assert not DataRequest.objects.filter(reference__startswith="F-").exists()


@pytest.mark.parametrize("bulk_load", [None, True])
def test_a_short_and_a_long_line_in_one_chunk_are_both_refused(monkeypatch, chunks_of, bulk_load):
    """A line one field short, then one a field too long: split together they would line up
    again (the short one's last field the long one's first, both blank), so each line's own
    number of fields must be checked, not the chunk's."""
    if bulk_load and connection.vendor != "postgresql":
        pytest.skip("the bulk-load strategy is PostgreSQL's")
    UserFactory(username="ana")
    spy = FastPathSpy(monkeypatch)
    rows = varied_rows(3000, extra=True)
    assert rows[2420].endswith(",,,") and rows[2421].endswith(",,,")
    rows[2420] = rows[2420][:-1]  # no assignee
    rows[2421] = "," + rows[2421]  # a blank field before the reference
    before = DataRequest.objects.count()
    result = run(csv_bytes(EXTRA_HEADER, *rows), bulk_load=bulk_load, batch_size=7)
    assert spy.rows > 1500
    assert [str(error) for error in result.errors] == [
        "line 2422: 14 fields, but the header names 15 columns",
        "line 2423: 16 fields, but the header names 15 columns",
    ]
    assert DataRequest.objects.count() == before


class OneWayStream(io.RawIOBase):
    """A stream that cannot be read again, as a pipe."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self.data.readinto(buffer)


def file_with_a_late_duplicate(*, respelled: bool = False) -> tuple[bytes, str]:
    """3,000 rows; line 2502 repeats the reference of line 1502 (both far past the learning),
    ``respelled`` with a country spelt as no row before it, which only the row loop checks."""
    rows = varied_rows(3000, extra=False)
    rows[2500] = rows[1500]
    if respelled:
        fields = rows[2500].split(",")
        fields[1] = fields[1][0].lower() + fields[1][1].upper()
        rows[2500] = ",".join(fields)
    error = (
        "line 2502, column reference, value 'F-01500': duplicate reference: already on line 1502 of this file"
    )
    return csv_bytes(FULL_HEADER, *rows), error


@postgresql_only
@pytest.mark.parametrize("respelled", [False, True], ids=["column at a time", "row loop"])
@pytest.mark.parametrize("rewindable", [True, False])
def test_a_duplicate_the_bulk_load_left_to_the_unique_index_is_named_by_line(
    monkeypatch, chunks_of, rewindable, respelled
):
    """Into an empty table the bulk load keeps no references of the rows it checks a column at
    a time; the rebuilt unique index refuses the duplicate (whichever way its second copy was
    checked), and a second reading of the file, keeping them all, names it. A stream that
    cannot be read twice keeps them from the start."""
    spy = FastPathSpy(monkeypatch)
    data, error = file_with_a_late_duplicate(respelled=respelled)
    before = table_counts()
    source = io.BytesIO(data) if rewindable else OneWayStream(data)
    result = intake.import_requests(source, file_name="requests.csv", bulk_load=True, batch_size=7)
    assert spy.rows > 1500  # (the reading that listed the errors) most rows a column at a time
    assert [str(found) for found in result.errors] == [error]
    assert result.read_twice == rewindable
    assert table_counts() == before


@postgresql_only
def test_the_command_says_why_it_reads_the_file_again(tmp_path, chunks_of):
    data, error = file_with_a_late_duplicate()
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        command(tmp_path, data, "--bulk-load", "--progress-every", "1000", "--batch-size", "7")
    lines = raised.value.stderr.splitlines()
    again = lines.index("  errors found: reading the file again for the full list")
    assert [line for line in lines[:again] if "rows checked" in line]  # the first reading's progress
    assert [line for line in lines[again:] if "rows checked" in line]  # ... and the second's
    assert lines[-1] == error
    assert table_counts() == before


def test_a_file_without_rows_is_read_once(tmp_path):
    out, err = command(tmp_path, csv_bytes(FULL_HEADER), "--bulk-load", "--progress-every", "1")
    assert "reading the file again" not in err
    assert "created 0" in out


@postgresql_only
def test_the_second_reading_starts_where_the_stream_started(chunks_of):
    data, error = file_with_a_late_duplicate()
    source = io.BytesIO(b"not part of the file\n" + data)
    source.seek(len(b"not part of the file\n"))
    result = intake.import_requests(source, file_name="requests.csv", bulk_load=True, batch_size=7)
    assert [str(found) for found in result.errors] == [error]
    assert result.read_twice


@postgresql_only
def test_any_error_in_a_bulk_load_that_kept_no_references_is_listed_by_a_second_reading(
    monkeypatch, chunks_of
):
    """The first reading stops at the error (it could not name a duplicate after it); the
    second lists every error, here the one."""
    rows = varied_rows(3000, extra=False)
    fields = rows[2250].split(",")
    fields[4] = "0"
    rows[2250] = ",".join(fields)
    readings = [[]]  # the rows each reading reported, as it went
    result = run(
        csv_bytes(FULL_HEADER, *rows),
        bulk_load=True,
        batch_size=7,
        progress=lambda rows, seconds: readings[-1].append(rows),
        reading_again=lambda: readings.append([]),
    )
    assert [str(found) for found in result.errors] == [
        "line 2252, column accounts_specified, value '0': a request names at least 1 account"
    ]
    assert result.read_twice and len(readings) == 2
    assert 2250 <= max(readings[0]) < 2400  # the first stopped a chunk after the error
    assert max(readings[1]) == 3000  # the second read to the end
    assert not DataRequest.objects.filter(reference__startswith="F-").exists()


# Rules the database enforces while the rows stream in (a bulk load keeps CHECK constraints and
# partial indexes live), which the importer's own checks know nothing of.
FAILURES = {
    "division by zero": (
        "ALTER TABLE requests_app_datarequest ADD CONSTRAINT test_refuses "
        "CHECK (1 / (CASE WHEN reference = 'F-02000' THEN 0 ELSE 1 END) = 1)"
    ),
    'duplicate key value violates unique constraint "other_code_unique"': (  # not the reference's
        "CREATE UNIQUE INDEX other_code_unique ON requests_app_datarequest ((1)) "
        "WHERE reference IN ('F-02000', 'F-02001')"
    ),
}


@postgresql_only
@pytest.mark.parametrize("failure", FAILURES)
def test_a_database_error_other_than_a_duplicate_is_reported_without_a_second_reading(
    monkeypatch, chunks_of, failure
):
    spy = FastPathSpy(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute(FAILURES[failure])
    data, _ = file_with_a_late_duplicate()
    data = data.replace(b"F-01500,", b"F-99999,", 1)  # no duplicate now
    result = run(data, bulk_load=True, batch_size=7)
    assert spy.rows > 1500  # (references were left to the index)
    assert [str(found) for found in result.errors] == [f"file: the database refused the import: {failure}"]
    assert not result.read_twice
    assert not DataRequest.objects.filter(reference__startswith="F-").exists()


def test_with_more_errors_than_listed_both_paths_list_the_first_lines(monkeypatch, chunks_of):
    rows = varied_rows(3000, extra=False)
    bad = range(1000, 3000, 40)  # a count of 0
    for n in bad:
        fields = rows[n].split(",")
        fields[4] = "0"
        rows[n] = ",".join(fields)
    duplicates = range(1010, 3000, 200)  # the reference (and row) of one 1000 rows before
    for n in duplicates:
        rows[n] = rows[n - 1000]
    existing = [1005, 1200]  # found when their batch is written, after later rows' own errors
    for n in existing:
        DataRequestFactory(reference=rows[n].split(",")[0])
    data = csv_bytes(FULL_HEADER, *rows)
    outcomes = []
    for enabled in (True, False):
        spy = FastPathSpy(monkeypatch, enabled=enabled)
        result = run(data, max_errors=20, batch_size=500)
        outcomes.append((result.error_count, [str(error) for error in result.errors], spy.rows))
    (fast_count, fast_errors, fast_rows), (slow_count, slow_errors, slow_rows) = outcomes
    assert fast_rows > 0 and slow_rows == 0
    assert fast_count == slow_count == len(bad) + len(duplicates) + len(existing)
    assert fast_errors == slow_errors
    first_lines = sorted(n + 2 for n in [*bad, *duplicates, *existing])[:20]
    assert [int(error.split(",")[0].removeprefix("line ")) for error in fast_errors] == first_lines
    assert DataRequest.objects.filter(reference__startswith="F-").count() == len(existing)


def test_update_checks_the_version_of_every_existing_request_in_a_large_file(monkeypatch, chunks_of):
    rows = [f"{row},1" for row in varied_rows(3000, extra=False)]
    stale = DataRequestFactory(reference="F-02500", country="DE", internal_notes="the colleague's")
    services.request_update(request=stale, internal_notes="saved again")  # now at version 2
    data = csv_bytes(VERSIONED_HEADER, *rows)
    result = run(data, update=True, batch_size=7)  # (small batches let the fast path take rows)
    assert [str(error) for error in result.errors] == [
        "line 2502, column version: F-02500: changed in the database after this file was "
        "exported (the file has version 1, the database 2); export it again and make the changes there"
    ]
    stale.refresh_from_db()
    assert stale.internal_notes == "saved again" and stale.version == 2
    assert DataRequest.objects.filter(reference__startswith="F-").count() == 1


@postgresql_only
def test_references_copy_would_misread_are_escaped(monkeypatch, chunks_of):
    spy = FastPathSpy(monkeypatch)
    rows = varied_rows(3000, extra=False)
    rows[2200] = "F-back\\slash" + rows[2200][7:]
    rows[2210] = "F-tab\there" + rows[2210][7:]
    result = run(csv_bytes(FULL_HEADER, *rows), bulk_load=True, batch_size=7)
    assert result.ok, result.error_lines()
    assert spy.rows > 1500
    assert DataRequest.objects.filter(reference__in=["F-back\\slash", "F-tab\there"]).count() == 2


@postgresql_only
@pytest.mark.parametrize("fails", [False, True])
def test_bulk_load_leaves_the_id_sequence_keys_and_settings_as_they_were(fails):
    def sequence_cache():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seqcache FROM pg_sequence "
                "WHERE seqrelid = pg_get_serial_sequence(%s, 'id')::regclass",
                [DataRequest._meta.db_table],
            )
            return cursor.fetchone()[0]

    def settings():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, setting FROM pg_settings WHERE name = 'maintenance_work_mem' "
                "OR name = 'max_parallel_maintenance_workers' OR name LIKE 'enable_%'"
            )
            return sorted(cursor.fetchall())

    schema, cache, session = requests_schema(), sequence_cache(), settings()
    rows = varied_rows(50, extra=False)
    if fails:
        rows.append("F-bad,ZZ,2020-01-01,emergency,1")
    result = run(csv_bytes(FULL_HEADER, *rows), bulk_load=True)
    assert result.ok is not fails
    # (The test runs in a transaction, as an admin request does: the rebuild's settings are put
    # back for the rest of it.)
    assert (requests_schema(), sequence_cache(), settings()) == (schema, cache, session)
    if not fails:
        # The primary key is back, and ids handed out later come after the imported ones.
        top = DataRequest.objects.order_by("-id").values_list("id", flat=True).first()
        assert DataRequestFactory().id > top


@postgresql_only
def test_a_foreign_key_checked_through_a_partial_index_still_refuses_a_dangling_id():
    record = services.import_run_start(actor=None, source="command", file_name="x", update_existing=False)
    writer = writers.writer_for(record, record.started_at, bulk_load=True, expected_bytes=None)
    assert writer.strategy == "bulk load" and "held_by_id" in writer.sparse
    writer.columns_present(list(columns.DESIGN_COLUMNS))
    row = dict.fromkeys(columns.ROW_FIELDS, "")
    row.update(
        reference="DANGLING-1",
        country="HK",
        request_type="legal_process",
        accounts_specified="1",
        received_on="2021-01-01",
        status="on_hold",
        held_by_id="987654321",  # no such pause decision
    )
    for position in columns.NULLABLE:
        row[columns.ROW_FIELDS[position]] = columns.N
    row["held_by_id"] = "987654321"
    with pytest.raises(IntegrityError, match="held_by"), transaction.atomic():
        writer.write([tuple(row[name] for name in columns.ROW_FIELDS)])
        writer.finish()


def test_index_builds_use_one_process_per_core_only_next_to_a_local_database(monkeypatch):
    monkeypatch.setattr(bulkload.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    for host, workers in [("127.0.0.1", 3), ("", 3), ("/var/run/postgresql", 3), ("db.internal", None)]:
        monkeypatch.setattr(bulkload, "connection", SimpleNamespace(settings_dict={"HOST": host}))
        assert bulkload.index_build_workers() == workers


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_file_with_quoted_values_is_checked_a_column_at_a_time_too(monkeypatch, chunks_of, strategy):
    # From the first quote on, csv.reader reads the file; its records take the same path.
    options = dict(STRATEGIES[strategy])
    if options.get("bulk_load") and connection.vendor != "postgresql":
        pytest.skip("the bulk-load strategy is PostgreSQL's")
    if options.pop("existing", False):
        DataRequestFactory(reference="OLD-1")
    rows = varied_rows(3000, extra=False)
    for n in range(1000, 3000, 3):
        fields = rows[n].split(",")
        fields[4] = f'"{fields[4]}"'
        if fields[5]:
            fields[5] = f'"{fields[5]}, Dept. {n % 4}"'  # a comma inside a quoted authority name
        rows[n] = ",".join(fields)
    rows[2500] = rows[2500].replace("F-02500", '"F-02500 ""quoted"""', 1)
    rows[2600] = rows[2600].replace("F-02600", '"F-02600\nsecond line"', 1)
    (fast, fast_fields, fast_rows), (slow, slow_fields, _) = import_both_ways(
        monkeypatch, csv_bytes(FULL_HEADER, *rows), batch_size=7, **options
    )
    assert fast_rows > 2000  # plain chunks before the first quote, csv.reader's records after it
    assert fast_fields == slow_fields
    assert (
        (fast.rows, fast.created, fast.held)
        == (slow.rows, slow.created, slow.held)
        == (3000, 3000, fast.held)
    )
    assert {'F-02500 "quoted"', "F-02600\nsecond line"} <= set(fast_fields)
    assert Authority.objects.filter(name__contains=", Dept. ").exists()


@postgresql_only
@pytest.mark.parametrize("fast", [True, False])
def test_an_error_after_rows_were_copied_rolls_back_without_waiting_on_the_open_copy(monkeypatch, fast):
    """A row error after the bulk loader has copied rows: the COPY (holding the connection's lock)
    must be ended before the rollback, or the rollback waits on that lock for ever with the
    requests table locked."""
    if not fast:
        FastPathSpy(monkeypatch, enabled=False)
    writers = []
    start = bulkload.BulkLoadWriter.start
    monkeypatch.setattr(
        bulkload.BulkLoadWriter, "start", lambda writer, size: (writers.append(writer), start(writer, size))
    )
    open_copies = []
    wrapper = transaction.get_connection()
    rollback = wrapper.savepoint_rollback

    def savepoint_rollback(sid):
        open_copies.append(any(writer.copy is not None for writer in writers))
        for writer in writers:
            writer.abort()  # so that this test fails rather than hangs
        rollback(sid)

    monkeypatch.setattr(wrapper, "savepoint_rollback", savepoint_rollback)
    rows = varied_rows(40, extra=False)
    rows = [row for row in rows if " office " not in row]  # no new authority, whose creation ends the COPY
    rows.append("F-bad,ZZ,2020-01-01,emergency,1,,,,,,,")
    result = run(csv_bytes(FULL_HEADER, *rows), bulk_load=True, batch_size=5)
    assert [str(error) for error in result.errors] == [
        f"line {len(rows) + 1}, column country, value 'ZZ': unknown country; use its ISO 3166-1 alpha-2 "
        "code, e.g. HK"
    ]
    assert open_copies == [False]
    assert not result.read_twice  # (40 rows: the row loop checked them all, keeping references)
    assert not DataRequest.objects.filter(reference__startswith="F-").exists()


def test_the_command_still_accepts_skip_checks(tmp_path):
    """Scripts that skipped the system checks the usual way keep working now that the command
    skips them itself (without requires_system_checks Django no longer adds the option)."""
    out, _ = command(tmp_path, csv_bytes(FULL_HEADER, *varied_rows(3, extra=False)), "--skip-checks")
    assert "created 3" in out
