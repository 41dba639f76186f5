import argparse
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from requests_app import intake
from requests_app.models import ImportRun


class Command(BaseCommand):
    # A data command, often scripted: the project's checks belong to deploys (check, migrate,
    # runserver), not to every import (they cost a tenth of a second each time).
    requires_system_checks = []
    help = (
        "Import request records from a CSV file, all or nothing: any bad row and nothing is written, "
        "every problem is listed on stderr with its line, and the exit status is 1. "
        f"Columns: {', '.join(intake.COLUMNS)} (required: {', '.join(intake.REQUIRED_COLUMNS)})."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", type=Path, help="CSV file, UTF-8 (with or without BOM), header row first."
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Update requests whose reference is already in the database (through the workflow, "
            "with history) instead of refusing them.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report everything, then roll back."
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="The desk user responsible for the import: recorded on the import record and in the "
            "history of updated requests.",
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=100_000,
            metavar="ROWS",
            help="Print a progress line every ROWS rows (default 100000; 0 for none).",
        )
        parser.add_argument(
            "--bulk-load",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="PostgreSQL: drop and rebuild the requests table's indexes around one COPY (locks the "
            "table while it runs). Default: only for a large file into a smaller table.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=intake.BATCH_SIZE, help="Rows written per batch."
        )
        # Without requires_system_checks Django no longer adds --skip-checks; scripts written
        # when it was needed still pass it.
        parser.add_argument("--skip-checks", action="store_true", help=argparse.SUPPRESS)

    def handle(
        self,
        *args,
        file: Path,
        update,
        dry_run,
        user,
        progress_every,
        bulk_load,
        batch_size,
        verbosity,
        **options,
    ):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        actor = None
        if user:
            actor = (
                get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: user}).first()
            )
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        try:
            source = file.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None

        next_report = progress_every

        def progress(rows: int, seconds: float) -> None:
            nonlocal next_report
            if progress_every > 0 and verbosity > 0 and rows >= next_report:
                rate = rows / seconds if seconds else 0
                self.stderr.write(f"  {rows:,} rows checked and written, {rate:,.0f} rows/s, {seconds:.1f} s")
                self.stderr.flush()
                next_report = (rows // progress_every + 1) * progress_every

        def reading_again() -> None:
            nonlocal next_report
            next_report = progress_every
            if verbosity > 0:
                self.stderr.write("  errors found: reading the file again for the full list")

        with source:
            result = intake.import_requests(
                source,
                file_name=file.name,
                update=update,
                dry_run=dry_run,
                actor=actor,
                origin=ImportRun.Source.COMMAND,
                batch_size=batch_size,
                bulk_load=bulk_load,
                progress=progress,
                reading_again=reading_again,
            )
        if not result.ok:
            for line in result.error_lines():
                self.stderr.write(line)
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))
