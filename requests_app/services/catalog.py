"""The managed lists (legal processes, products): defining, changing and removing an entry, and
the codes a file names.

An entry's code is what request records, import files and the public data carry: once a request
or a published figure row uses it, the code neither changes nor disappears (PROTECT is the
database's backstop; these services say why in words).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from ..models import DataRequest, FigureRow, LegalProcess, Product

ManagedModel = type[LegalProcess] | type[Product]
CatalogEntry = LegalProcess | Product


@dataclass(frozen=True)
class CatalogUsage:
    """How many requests and published figure rows refer to one entry of a list."""

    requests: int
    figure_rows: int

    @property
    def in_use(self) -> bool:
        return bool(self.requests or self.figure_rows)

    def __str__(self) -> str:
        return f"{self.requests:,} request(s) and {self.figure_rows:,} published figure row(s)"


def _counts_by_code(model, field: str, codes: list[str]) -> dict[str, int]:
    rows = model.objects.filter(**{f"{field}__in": codes}).order_by().values(field).annotate(n=Count("pk"))
    return {row[field]: row["n"] for row in rows}


def catalog_usage_of(entries) -> dict[str, CatalogUsage]:
    """What uses each of ``entries`` (of one list), by code: two grouped queries, one per table.

    The requests table has no index on these columns (every import would pay its upkeep), so
    it is read once for all the entries; a count per entry would read it once per entry."""
    entries = list(entries)
    if not entries:
        return {}
    field = "legal_process" if isinstance(entries[0], LegalProcess) else "product"
    codes = [entry.code for entry in entries]
    requests = _counts_by_code(DataRequest, field, codes)
    figure_rows = _counts_by_code(FigureRow, field, codes)
    return {
        code: CatalogUsage(requests=requests.get(code, 0), figure_rows=figure_rows.get(code, 0))
        for code in codes
    }


def catalog_usage(entry: CatalogEntry) -> CatalogUsage:
    """How many requests and published figure rows use ``entry`` now."""
    return catalog_usage_of([entry])[entry.code]


def _locked(entry: CatalogEntry) -> tuple[CatalogEntry, CatalogUsage]:
    """``entry`` as stored, its row locked, and what uses it now. The lock makes the count hold
    until the transaction ends: a row that names the entry checks its foreign key with a share
    lock on the entry, so it was committed before the lock (and is counted) or waits for it."""
    current = type(entry).objects.select_for_update().get(pk=entry.pk)
    return current, catalog_usage(current)


def _save(entry: CatalogEntry, actor) -> CatalogEntry:
    entry._history_user = actor
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def catalog_define(
    *, model: ManagedModel, code: str, name: str, description: str = "", position: int = 100, actor=None
):
    """Create the entry ``code`` of ``model``'s list, or bring its name, description and position
    up to date; the code itself never changes (files and the public data carry it)."""
    entry = model.objects.select_for_update().filter(code=code).first() or model(code=code)
    entry.name, entry.description, entry.position = name, description, position
    return _save(entry, actor)


@transaction.atomic
def catalog_update(*, entry: CatalogEntry, actor=None, **changes) -> CatalogEntry:
    """Change an entry's name, description, position, or its code while nothing uses it yet."""
    current, usage = _locked(entry)
    if changes.get("code", current.code) != current.code and usage.in_use:
        raise ValidationError(
            f"The code {current.code} is used by {usage}: it cannot change (request records and "
            "the public data carry it). Change the name instead.",
            code="code_in_use",
        )
    for name, value in changes.items():
        setattr(current, name, value)
    return _save(current, actor)


@transaction.atomic
def catalog_delete(*, entry: CatalogEntry, actor=None) -> None:
    """Remove an entry nothing uses; one in use stays, and the refusal says what uses it."""
    current, usage = _locked(entry)
    if usage.in_use:
        raise ValidationError(
            f"{current.name} ({current.code}) is used by {usage}: it cannot be deleted.", code="entry_in_use"
        )
    current._history_user = actor
    current.delete()


@transaction.atomic
def catalog_create_missing(*, model: ManagedModel, codes: set[str], actor=None) -> list[str]:
    """Create an entry named after its code for each of ``codes`` not yet defined (an import's
    ``--create-missing``); the codes created, sorted. A Publisher names them properly later."""
    missing = sorted(codes - set(model.objects.filter(code__in=codes).values_list("code", flat=True)))
    for code in missing:
        _save(model(code=code, name=code.replace("_", " ").capitalize()), actor)
    return missing
