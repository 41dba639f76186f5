"""The managed lists (legal processes, products): defining an entry, and the codes a file names."""

from __future__ import annotations

from django.db import transaction

from ..models import LegalProcess, Product

ManagedModel = type[LegalProcess] | type[Product]


@transaction.atomic
def catalog_define(*, model: ManagedModel, code: str, name: str, description: str = "", position: int = 100):
    """Create the entry ``code`` of ``model``'s list, or bring its name, description and position
    up to date; the code itself never changes (files and the public data carry it)."""
    entry = model.objects.select_for_update().filter(code=code).first() or model(code=code)
    entry.name, entry.description, entry.position = name, description, position
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def catalog_create_missing(*, model: ManagedModel, codes: set[str]) -> list[str]:
    """Create an entry named after its code for each of ``codes`` not yet defined (an import's
    ``--create-missing``); the codes created, sorted. A Publisher names them properly later."""
    missing = sorted(codes - set(model.objects.filter(code__in=codes).values_list("code", flat=True)))
    for code in missing:
        entry = model(code=code, name=code.replace("_", " ").capitalize())
        entry.full_clean()
        entry.save()
    return missing
