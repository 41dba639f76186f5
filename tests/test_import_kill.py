"""`kill -9` in the middle of `manage.py import_requests` leaves the database as it was."""

import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def write_rows(path: Path, count: int) -> None:
    with path.open("w") as out:
        out.write("reference,country,received_on,request_type,accounts_specified\n")
        out.writelines(f"K-{n:07d},DE,2020-03-10,legal_process,1\n" for n in range(count))


@pytest.fixture
def scratch_database(tmp_path):
    """A database of its own (same engine as the test run), migrated by a child process."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        name = f"transparency_kill_{uuid.uuid4().hex[:8]}"
        server = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

        def count(table: str) -> int:
            with psycopg.connect(f"{server}/{name}") as conn:
                return conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                ).fetchone()[0]

        yield f"{server}/{name}", count
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    else:
        path = tmp_path / "kill.sqlite3"

        def count(table: str) -> int:
            with sqlite3.connect(path) as conn:
                return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608

        yield f"sqlite:///{path}", count


def schema_of(url: str) -> list[tuple]:
    """Indexes and constraints of the requests table (PostgreSQL)."""
    with psycopg.connect(url) as conn:
        table = "'requests_app_datarequest'::regclass"
        return conn.execute(
            f"SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = {table} "
            f"UNION ALL SELECT conname FROM pg_constraint WHERE conrelid = {table} ORDER BY 1"
        ).fetchall()


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["--no-bulk-load", "--bulk-load"])
def test_kill_9_during_an_import_leaves_no_rows(tmp_path, scratch_database, strategy):
    if strategy == "--bulk-load" and connection.vendor != "postgresql":
        pytest.skip("the bulk-load strategy is PostgreSQL's")
    url, count = scratch_database
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {"DATABASE_URL": url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    schema = schema_of(url) if connection.vendor == "postgresql" else None
    csv_path = tmp_path / "big.csv"
    write_rows(csv_path, 200_000)

    process = subprocess.Popen(
        [
            *manage,
            "import_requests",
            str(csv_path),
            strategy,
            "--batch-size",
            "2000",
            "--progress-every",
            "2000",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    progress = []
    try:
        for line in process.stderr:
            progress.append(line)
            if "rows checked and written" in line and len(progress) >= 5:
                break  # at least 10,000 rows are in the table, uncommitted
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, progress
    assert len(progress) >= 5, "the import ended before it could be killed"
    assert count("requests_app_datarequest") == 0
    assert count("requests_app_importrun") == 0
    assert count("requests_app_authority") == 0
    if schema is not None:  # the bulk loader's dropped indexes and constraints are all back
        assert schema_of(url) == schema
