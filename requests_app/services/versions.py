"""Optimistic locking: an edit applies only to the version it started from.

Requests and pause decisions carry a ``version`` that every save through the services moves on.
A form remembers the version it showed; the service claims the row from that version. Of two
people who opened version 3, exactly one moves it to 4; the other is refused, never overwrites.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils import timezone


class ConcurrentEditError(ValidationError):
    """Somebody saved the same record after this edit started; nothing was written."""


def is_current(model: type[Model], *, pk, expected_version: int | None) -> bool:
    """Whether the stored record ``pk`` is still at ``expected_version`` (a form's early check)."""
    current = model.objects.filter(pk=pk).values_list("version", flat=True).first()
    return expected_version is not None and expected_version == current


def claim(instance: Model, *, expected_version: int | None, what: str) -> Model:
    """Move the stored row from ``expected_version`` (default: the instance's) to the next one
    and return it fresh; raise ConcurrentEditError, naming who saved last, if it moved since.

    The conditional UPDATE is atomic on PostgreSQL and SQLite alike. ``what`` names the record
    in the message ("Request HK-1", "The Hong Kong decision").
    """
    model = type(instance)
    if expected_version is None:
        expected_version = instance.version
    claimed = model.objects.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise ConcurrentEditError(
            f"{what} was changed{_last_change(model, instance.pk)} after you opened it. Your changes "
            "were not saved; reload it to see the current version and apply them again.",
            code="concurrent_edit",
        )
    return model.objects.get(pk=instance.pk)


def _last_change(model: type[Model], pk) -> str:
    current = model.objects.filter(pk=pk).first()
    if current is None:
        return ""
    who = ""
    last = current.history.select_related("history_user").first()
    if last and last.history_user:
        who = f" by {last.history_user.get_username()}"
    return f"{who} at {timezone.localtime(current.updated_at):%Y-%m-%d %H:%M}"
