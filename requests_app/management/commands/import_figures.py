from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from requests_app.intake import FiguresFileInvalid, decode, parse_figures
from requests_app.services import figures_import


class Command(BaseCommand):
    help = (
        "Load figures published before this system existed, as publications marked 'imported'. "
        "Columns: period, country, request_type, requests, accounts_specified, "
        "requests_with_data_produced. All or nothing: any bad row and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file (UTF-8) with a header row.")
        parser.add_argument("--note", default="", help="Public note shown with the imported publications.")

    def handle(self, *args, file: Path, note: str, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        try:
            figures = parse_figures(decode(data))
            publications = figures_import(figures=figures, note=note)
        except FiguresFileInvalid as invalid:
            for problem in invalid.errors:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                f"{len(invalid.errors)} problem(s) in {file}; nothing was imported."
            ) from invalid
        except ValidationError as error:
            raise CommandError(" ".join(error.messages) + " Nothing was imported.") from error
        summary = ", ".join(f"{p.period} version {p.version}" for p in publications)
        self.stdout.write(self.style.SUCCESS(f"Imported {len(figures)} figure rows: {summary}."))
