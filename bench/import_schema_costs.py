"""Experiment (not in ``make bench``): what each part of DataRequest's schema costs a bulk import.

``bench_import.py`` measures the importer against COPY of the same file, and PostgreSQL's own
share of it (the floor). This asks which part of the table the ratio hangs on: for each variant
it drops some of the table's indexes or CHECK constraints (or puts others in their stead) in a
scratch database, runs the same measurement as bench_import (COPY of the file into a plain
table, then ``manage.py import_requests`` in a child process, a CHECKPOINT before each), and
puts the schema back. The importer finds the table's indexes and constraints in the catalog, so
it rebuilds exactly what each variant has. The variants run in turn, REPEATS times over, so
that the machine's drift spreads over all of them.

    python bench/import_schema_costs.py    # ~6 min; BENCH_SCHEMA_REPEATS=3 by default
    BENCH_SCHEMA_VARIANTS=0,1 python bench/import_schema_costs.py   # only these variants

Uses the database of BENCH_SCHEMA_DATABASE_URL (default: transparency_schema_costs on the local
PostgreSQL), created if missing and migrated; never the one in DATABASE_URL.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_SCHEMA_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/transparency_schema_costs"
)
REPEATS = int(os.environ.get("BENCH_SCHEMA_REPEATS", "3"))

import bench_import as bench  # noqa: E402 - sets up the path and the settings module


def main() -> None:
    bench.ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from requests_app.models import DataRequest

    call_command("migrate", verbosity=0)
    bench.ensure_lists()
    bench.OUT.mkdir(parents=True, exist_ok=True)
    path = bench.data_file(bench.ROWS)
    if not path.exists():
        bench.generate(path, bench.ROWS)
    table = DataRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'c' ORDER BY conname",
            [table],
        )
        checks = cursor.fetchall()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = dict(cursor.fetchall())
    authority_index = next(name for name in indexes if "authority" in name)
    date_index = "request_date_country_type_idx"
    # (indexes dropped, CHECKs dropped, indexes added in their stead: name -> columns)
    variants = {
        "the table as it is": ([], [], {}),
        "the two date indexes it had before 0010": (
            [date_index],
            [],
            {
                "bench_country_received": "country, received_on",
                "bench_received_type": "received_on, request_type",
            },
        ),
        "without the authority index": ([authority_index], [], {}),
        "without the 8 CHECKs on choices": ([], [check for check in checks if "ANY" in check[1]], {}),
        "without all 16 CHECKs": ([], checks, {}),
    }
    only = os.environ.get("BENCH_SCHEMA_VARIANTS")  # e.g. "0,1": run only these
    if only:
        wanted = {number.strip() for number in only.split(",")}
        variants = {name: variants[name] for n, name in enumerate(variants) if str(n) in wanted}
    ratios: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(REPEATS):
        for name, (dropped_indexes, dropped_checks, added_indexes) in variants.items():
            bench.reset_tables()
            try:
                with connection.cursor() as cursor:
                    for index in dropped_indexes:
                        cursor.execute(f'DROP INDEX "{index}"')
                    for check, _ in dropped_checks:
                        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{check}"')
                    for index, columns in added_indexes.items():
                        cursor.execute(f"CREATE INDEX {index} ON {table} ({columns})")
                bench.checkpoint()
                connection.close()
                copy_seconds = bench.copy_baseline(path)
                bench.checkpoint()
                connection.close()
                import_seconds, _, _ = bench.run_importer(path)
            finally:
                bench.reset_tables()  # empty, so putting the schema back is instant
                with connection.cursor() as cursor:
                    # (whatever of the variant was put in place, even if it failed half-way)
                    for index in added_indexes:
                        cursor.execute(f"DROP INDEX IF EXISTS {index}")
                    for index in dropped_indexes:
                        definition = indexes[index].replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
                        cursor.execute(definition)
                    for check, definition in dropped_checks:
                        cursor.execute(
                            f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{check}", '
                            f'ADD CONSTRAINT "{check}" {definition}'
                        )
            ratios[name].append(import_seconds / copy_seconds)
            print(
                f"[{repeat + 1}/{REPEATS}] {name}: COPY {copy_seconds:.2f} s, "
                f"importer {import_seconds:.2f} s, {import_seconds / copy_seconds:.2f}x",
                flush=True,
            )
    print(f"\nimporter / COPY of {bench.ROWS:,} rows (target <= {bench.TARGET_RATIO:g}x):")
    for name, values in ratios.items():
        print(
            f"  {name:<44}{statistics.median(values):>6.2f}x median "
            f"({', '.join(f'{value:.2f}' for value in values)})"
        )


if __name__ == "__main__":
    main()
