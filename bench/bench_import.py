"""Benchmark: ``manage.py import_requests`` against PostgreSQL's own COPY of the same file.

Generates a CSV of ROWS request records (default 1,000,000; ``BENCH_IMPORT_ROWS`` to change) in
bench/out/, then, in the same run and on the same database:

1. baseline: ``COPY plain_table FROM STDIN (FORMAT csv, HEADER)`` of the file into a plain table
   with the file's columns (typed: dates as date, the count as integer), no constraints;
2. the importer: ``manage.py import_requests FILE`` in a child process, every check on, into the
   empty DataRequest table (indexes, constraints, a pause decision in force holding some rows).

Prints both times and their ratio, for BENCH_IMPORT_REPEATS (default 5) pairs in turn, then
the median ratio (target: importer <= 4x COPY) and the importer's peak RSS (target: under 1 GB;
the file is streamed, not held). Then, for scale, the floor any importer pays to put these rows
into DataRequest's table, measured with the rows the last import produced:

3. COPY of those rows into the table as it stands (its indexes and deferred foreign keys live);
4. the same rows through the importer's bulk-load writer alone (its COPY columns and column
   defaults, indexes and keys dropped and rebuilt), i.e. the importer minus starting Python and
   Django, reading and checking the CSV: what PostgreSQL alone needs for this table.

Needs DATABASE_URL pointing at PostgreSQL; the database is created if missing and its request
tables are emptied first. BENCH_IMPORT_FLOORS=0 skips 3 and 4. Which parts of the table the
ratio hangs on: bench/import_schema_costs.py.
"""

from __future__ import annotations

import datetime
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
TARGET_RATIO = 4.0
REPEATS = max(1, int(os.environ.get("BENCH_IMPORT_REPEATS", "5")))
TARGET_RSS_MB = 1024

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "transparency.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 30)


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    dbname = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


COUNTRIES = (
    ["US"] * 30 + ["IN"] * 12 + ["DE"] * 10 + ["FR"] * 9 + ["GB"] * 8 + ["BR"] * 6 + ["HK"] * 2
    + ["AU", "CA", "ES", "IT", "JP", "KR", "MX", "NL", "PL", "SG", "TW", "TR", "AR", "BE", "CH", "SE",
       "AT", "PT", "IE", "DK", "FI", "NO", "CZ", "GR", "IL", "PH", "ID", "TH", "MY", "ZA", "CL", "CO"]
)  # fmt: skip
KINDS = ["police", "prosecutor", "court", "intelligence", "regulator", "other"]
PROCESSES = ["subpoena", "search_warrant", "court_order", "wiretap", "pen_register", "mlat", "other"]
# Product codes (a blank: none recorded); ensure_lists() defines them, as a Publisher would.
PRODUCTS = ["", "messenger", "photos", "mail", "cloud_drive", "video"]
HEADER = (
    "reference,country,received_on,request_type,accounts_specified,authority,authority_kind,"
    "legal_process,product,status,outcome,decided_on\n"
)


def data_file(rows: int) -> Path:
    """Where the generated file of ``rows`` rows is kept between runs (named for its format)."""
    return OUT / f"requests_{rows}_coded.csv"


def ensure_lists() -> None:
    """The legal processes and products the file names must be on the managed lists."""
    from requests_app.models import LegalProcess, Product
    from requests_app.services import catalog_create_missing

    catalog_create_missing(model=LegalProcess, codes=set(PROCESSES))
    catalog_create_missing(model=Product, codes=set(PRODUCTS) - {""})


def generate(path: Path, rows: int) -> None:
    """A realistic file: 2015-2024, ~40 countries, ~600 authorities, every status and outcome."""
    rng = random.Random(2020)
    first = datetime.date(2015, 1, 1).toordinal()
    span = datetime.date(2024, 12, 31).toordinal() - first
    # sorted: a set's order changes with each process's string hashing, and so would the file.
    authorities = {
        cc: [f"{cc} authority {n}" for n in range(rng.randint(5, 25))] for cc in sorted(set(COUNTRIES))
    }
    kind_of = {name: rng.choice(KINDS) for names in authorities.values() for name in names}
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        lines = []
        for n in range(rows):
            country = rng.choice(COUNTRIES)
            received = datetime.date.fromordinal(first + rng.randrange(span))
            request_type = rng.choices(["legal_process", "emergency", "preservation"], [80, 12, 8])[0]
            authority = rng.choice(authorities[country])
            process = rng.choice(PROCESSES) if request_type == "legal_process" else ""
            status = rng.choices(["completed", "received", "in_review", "withdrawn"], [90, 4, 4, 2])[0]
            outcome = decided = ""
            if status == "completed":
                outcome = rng.choice(["all_data", "some_data", "no_data", "rejected"])
                decided = (received + datetime.timedelta(days=rng.randrange(120))).isoformat()
            accounts = rng.choice([1, 1, 1, 2, 3, 5, 12, 1024])
            lines.append(
                f"REQ-{n:08d},{country if n % 7 else country.lower()},{received.isoformat()},"
                f"{request_type},{accounts},{authority},{kind_of[authority]},{process},"
                f"{rng.choice(PRODUCTS)},{status},{outcome},{decided}\n"
            )
            if len(lines) == 10_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)


def reset_tables() -> None:
    from django.db import connection

    from requests_app.models import PauseDecision

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE requests_app_historicaldatarequest, requests_app_datarequest, "
            "requests_app_importrun, requests_app_historicalauthority, requests_app_authority, "
            "requests_app_historicalpausedecision, requests_app_pausedecision CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_copy_baseline")
    # The Hong Kong pause, in force today: the importer holds open HK legal-process rows.
    PauseDecision.objects.create(
        country="HK", status="paused", effective_from=datetime.date(2020, 7, 6), is_published=True
    )


def checkpoint() -> None:
    """Write out what earlier steps left dirty, so that neither measurement pays for the other's
    (a 1M-row load writes hundreds of MB of WAL; a checkpoint falling inside one run skews it).
    Needs the pg_checkpoint role or a superuser; skipped otherwise."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:
        print(f"(no CHECKPOINT before the measurement: {error})")


def copy_baseline(path: Path) -> float:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_copy_baseline (reference varchar(64), country varchar(2), received_on date, "
            "request_type varchar(20), accounts_specified integer, authority varchar(200), "
            "authority_kind varchar(20), legal_process varchar(20), product varchar(100), "
            "status varchar(20), outcome varchar(20), decided_on date)"
        )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, path.open("rb") as source:
        with cursor.copy("COPY bench_copy_baseline FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_copy_baseline")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_copy_baseline")
    assert count == ROWS, count
    return elapsed


def run_importer(path: Path) -> tuple[float, float, str]:
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import_requests", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    sys.stderr.write(process.stderr)
    if process.returncode != 0:
        raise SystemExit(f"import_requests failed (exit {process.returncode})")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return elapsed, peak_mb, process.stdout.strip()


def dump_rows(path: Path, fields: tuple[str, ...] | None = None) -> str:
    """The imported requests as COPY text (the given fields, or every column but id)."""
    from django.db import connection

    from requests_app.models import DataRequest

    if fields is None:
        columns = ", ".join(f.column for f in DataRequest._meta.concrete_fields if not f.primary_key)
    else:
        columns = ", ".join(DataRequest._meta.get_field(name).column for name in fields)
    with connection.cursor() as cursor, path.open("wb") as out:
        with cursor.copy(f"COPY (SELECT {columns} FROM {DataRequest._meta.db_table}) TO STDOUT") as copy:
            for data in copy:
                out.write(data)
    return columns


def copy_floor(path: Path, columns: str, *, bulk_load: bool) -> float:
    """Seconds to COPY the dumped rows into the emptied DataRequest table and commit: as the
    table stands, or through the importer's bulk-load writer (its columns, defaults, rebuild)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from requests_app.intake import bulkload
    from requests_app.intake.columns import DESIGN_COLUMNS
    from requests_app.models import DataRequest, ImportRun

    table = DataRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
    checkpoint()
    run = ImportRun.objects.first()
    started = time.perf_counter()
    with transaction.atomic(), path.open("rb") as source:
        if bulk_load:
            writer = bulkload.BulkLoadWriter(run, timezone.now())
            assert writer.lock()
            writer.start(None)
            writer.columns_present(list(DESIGN_COLUMNS))  # the benchmark file's header
            while chunk := source.read(1 << 20):
                writer.write_text(chunk.decode())
            writer.finish()
        else:
            with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
    return time.perf_counter() - started


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_import.py needs DATABASE_URL=postgres://... (PostgreSQL)")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from requests_app.models import DataRequest

    call_command("migrate", verbosity=0)
    ensure_lists()
    OUT.mkdir(parents=True, exist_ok=True)
    path = data_file(ROWS)
    if not path.exists():
        started = time.perf_counter()
        generate(path, ROWS)
        print(f"generated {path.relative_to(ROOT)} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    # The pair (COPY, import) REPEATS times over: this machine's speed drifts by a third within
    # a minute, and one pair can land on either side of the target; the median ratio is quoted.
    ratios = []
    for repeat in range(1, REPEATS + 1):
        reset_tables()
        checkpoint()
        connection.close()
        copy_seconds = copy_baseline(path)
        checkpoint()
        connection.close()
        import_seconds, peak_mb, summary = run_importer(path)
        ratios.append(import_seconds / copy_seconds)
        print(f"[{repeat}/{REPEATS}] PostgreSQL COPY into a plain table: {copy_seconds:.2f} s; "
              f"import_requests (every check, COPY into DataRequest): {import_seconds:.2f} s; "
              f"ratio {ratios[-1]:.2f}x")  # fmt: skip
    print(f"  {summary}")
    imported = DataRequest.objects.count()
    held = DataRequest.objects.filter(held_by__isnull=False).count()
    assert imported == ROWS, imported
    ratio = statistics.median(ratios)
    print(f"ratio importer / COPY, median of {REPEATS}: {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x) "
          f"{'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}")  # fmt: skip
    print(f"peak RSS of the importer: {peak_mb:.0f} MB (target < {TARGET_RSS_MB} MB) "
          f"{'OK' if peak_mb < TARGET_RSS_MB else 'OVER TARGET'}")  # fmt: skip
    print(f"rows in DataRequest: {imported:,} ({held:,} held by the HK pause)")
    if os.environ.get("BENCH_IMPORT_FLOORS", "1") == "0":
        return

    from requests_app.intake.columns import BULK_FIELDS

    dumped = OUT / "datarequest_rows.copy"
    columns = dump_rows(dumped)
    live = copy_floor(dumped, columns, bulk_load=False)
    print(f"floor: COPY of the imported rows into DataRequest as it stands: {live:.2f} s "
          f"({live / copy_seconds:.2f}x the last COPY into the plain table)")  # fmt: skip
    columns = dump_rows(dumped, BULK_FIELDS)
    rebuilt = copy_floor(dumped, columns, bulk_load=True)
    print(f"floor: the same as the importer writes them (its COPY columns, defaults, indexes and keys "
          f"dropped and rebuilt), no reading or checking: {rebuilt:.2f} s "
          f"({rebuilt / copy_seconds:.2f}x the last COPY into the plain table); "
          f"the last import / this floor: {import_seconds / rebuilt:.2f}x")  # fmt: skip
    dumped.unlink()


if __name__ == "__main__":
    main()
