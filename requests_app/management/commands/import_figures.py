from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from requests_app.intake import (
    FiguresFile,
    FiguresFileInvalid,
    ManagedCodes,
    decode,
    is_banded,
    parse_bands,
    parse_figures,
)
from requests_app.models import LegalProcess, NationalSecurityCategory, Product
from requests_app.services import bands_import, catalog_create_missing, figures_import


class Command(BaseCommand):
    help = (
        "Load figures published before this system existed, as publications marked 'imported'. "
        "Columns: period, country, request_type, requests; optionally legal_process, product, "
        "accounts_specified, requests_with_data_produced, percent_with_data_produced (blank: not "
        "reported, or not broken down). Banded national-security history instead: period, country, "
        "category, requests_min, requests_max, accounts_min, accounts_max, as published. All or "
        "nothing: any bad row and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file (UTF-8) with a header row.")
        parser.add_argument("--note", default="", help="Public note shown with the imported publications.")
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create the legal processes and products the file names that are not defined yet "
            "(named after their codes; a Publisher names them properly in the admin) and list them.",
        )

    def handle(self, *args, file: Path, note: str, create_missing: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        try:
            text = decode(data)
            if is_banded(text.split("\n", 1)[0]):
                return self._import_bands(text, note)
            parsed = parse_figures(text, known=ManagedCodes.load(), create_missing=create_missing)
            with transaction.atomic():  # the codes created go with the figures, or not at all
                created = self._create_missing(parsed)
                publications = figures_import(figures=parsed.figures, note=note)
        except FiguresFileInvalid as invalid:
            for problem in invalid.errors:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                f"{len(invalid.errors)} problem(s) in {file}; nothing was imported."
            ) from invalid
        except ValidationError as error:
            raise CommandError(" ".join(error.messages) + " Nothing was imported.") from error
        for kind, codes in created.items():
            if codes:
                self.stdout.write(
                    f"Created {kind} (named after their codes; a Publisher names them in "
                    f"the admin): {', '.join(codes)}."
                )
        summary = ", ".join(f"{p.period} version {p.version}" for p in publications)
        self.stdout.write(self.style.SUCCESS(f"Imported {len(parsed.figures)} figure rows: {summary}."))

    def _import_bands(self, text: str, note: str) -> None:
        categories = frozenset(NationalSecurityCategory.objects.values_list("code", flat=True))
        bands = parse_bands(text, categories=categories)
        publications = bands_import(bands=bands, note=note)
        summary = ", ".join(f"{p.period} version {p.version}" for p in publications)
        self.stdout.write(self.style.SUCCESS(f"Imported {len(bands)} national-security bands: {summary}."))

    @staticmethod
    def _create_missing(parsed: FiguresFile) -> dict[str, list[str]]:
        """The new codes the file names, created: what was created, per list."""
        return {
            "legal processes": catalog_create_missing(
                model=LegalProcess, codes=set(parsed.new_legal_processes)
            ),
            "products": catalog_create_missing(model=Product, codes=set(parsed.new_products)),
        }
