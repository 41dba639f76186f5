"""Bulk intake: the writes of a CSV import (the importer reads and checks the file).

New requests of an import are inserted by the importer's own writer; their creation record is
the ImportRun opened here. Updates of existing requests go through the request workflow
(``services.requests``), one history entry each.
"""

from __future__ import annotations

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from ..models import Authority, ImportRun


def authorities_create_bulk(
    *, authorities: list[tuple[str, str, str]], actor=None
) -> tuple[dict[tuple[str, str], Authority], set[tuple[str, str]]]:
    """Find or create each (name, country, kind) in a few queries, with history for the new ones.

    Returns every authority by (name, country), and which of them it created; an existing one
    keeps its kind.
    """
    wanted = {(name, country): kind for name, country, kind in authorities}
    found = {
        (authority.name, authority.country.code): authority
        for authority in Authority.objects.filter(
            name__in={name for name, _ in wanted}, country__in={country for _, country in wanted}
        )
        if (authority.name, authority.country.code) in wanted
    }
    new = [
        Authority(name=name, country=country, kind=kind)
        for (name, country), kind in wanted.items()
        if (name, country) not in found
    ]
    for authority in new:
        # The importer checked the country code; CountryField's 249 choices per authority cost
        # more than the rest of its import. Uniqueness and the kind are also DB constraints.
        authority.clean_fields(exclude=["country"])
    if new:
        bulk_create_with_history(
            new, Authority, default_user=actor, default_change_reason="created by import"
        )
        # Not every database returns ids from a bulk insert: read them back.
        for authority in Authority.objects.filter(
            name__in={a.name for a in new}, country__in={a.country.code for a in new}
        ):
            found.setdefault((authority.name, authority.country.code), authority)
    return found, {(authority.name, authority.country.code) for authority in new}


def import_run_start(*, actor, source: str, file_name: str, update_existing: bool) -> ImportRun:
    """Open the audit record of an import; the requests it creates point to it."""
    now = timezone.now()
    return ImportRun.objects.create(
        started_at=now,
        finished_at=now,
        user=actor,
        source=source,
        file_name=file_name[: ImportRun._meta.get_field("file_name").max_length],
        file_sha256="",
        file_size=0,
        update_existing=update_existing,
        rows=0,
        created=0,
        updated=0,
        unchanged=0,
        held=0,
        blank_lines=0,
    )


def import_run_finish(*, run: ImportRun, **counts) -> ImportRun:
    """Record what the import did (file hash and size, row counts) and when it finished."""
    for name, value in counts.items():
        setattr(run, name, value)
    run.finished_at = timezone.now()
    run.full_clean()
    run.save()
    return run
