"""International bodies a publisher adds as jurisdictions: add, rename or describe, delete."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import InternationalBody

EDITABLE = ("name", "description")


def _save(body: InternationalBody, actor) -> InternationalBody:
    body._history_user = actor
    body.full_clean()
    body.save()  # jurisdictions.forget runs (post_save): this process knows the change at once
    return body


@transaction.atomic
def international_body_create(
    *, code: str, name: str, description: str = "", actor=None
) -> InternationalBody:
    """Add a body: from now on its code is a jurisdiction everywhere a country code is."""
    return _save(InternationalBody(code=code, name=name, description=description), actor)


@transaction.atomic
def international_body_update(*, body: InternationalBody, actor=None, **fields) -> InternationalBody:
    """Rename or describe a body. Its code never changes: requests and figures hold it."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: "cannot be changed once the body is added" for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(body, name, value)
    return _save(body, actor)


@transaction.atomic
def international_body_delete(*, body: InternationalBody, actor=None) -> None:
    """Delete a body that nothing records; refused (ValidationError) while anything uses its code."""
    body = InternationalBody.objects.select_for_update().get(pk=body.pk)
    uses = body.uses()
    if uses:
        raise ValidationError(f"{body} cannot be deleted: its code is used by {', '.join(uses)}.")
    body._history_user = actor
    body.delete()
