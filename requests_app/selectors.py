"""Every read the public side makes goes through here: the single visibility gate.

Public code never touches ``DataRequest`` or ``PauseDecision.objects`` directly; it reads
published ``Publication`` snapshots and published pause decisions only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max, OuterRef, Subquery, Sum

from .models import FigureRow, PauseDecision, Publication


@dataclass(frozen=True)
class Totals:
    requests: int
    accounts_specified: int
    requests_with_data_produced: int


def latest_publications():
    """The latest version of every published period, newest period first."""
    latest_version = (
        Publication.objects.filter(period=OuterRef("period")).order_by("-version").values("version")[:1]
    )
    return Publication.objects.filter(version=Subquery(latest_version)).order_by("-period")


def latest_publication() -> Publication | None:
    """The latest version of the most recent published period, or None."""
    return latest_publications().first()


def publication_totals(publication: Publication) -> Totals:
    """Global totals of one publication."""
    sums = FigureRow.objects.filter(publication=publication).aggregate(
        requests=Sum("requests"),
        accounts=Sum("accounts_specified"),
        produced=Sum("requests_with_data_produced"),
    )
    return Totals(sums["requests"] or 0, sums["accounts"] or 0, sums["produced"] or 0)


def published_pauses():
    """Pause decisions the public may see."""
    return PauseDecision.objects.published()


def current_published_pauses():
    """Published decisions that are still open (no end date)."""
    return published_pauses().filter(ended_on__isnull=True).order_by("country")


def last_pause_change():
    return published_pauses().aggregate(last=Max("updated_at"))["last"]
