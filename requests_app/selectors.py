"""Every read the public side makes goes through here: the single visibility gate.

Public code never touches ``DataRequest`` or ``PauseDecision.objects`` directly; it reads
published ``Publication`` snapshots and published pause decisions only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum

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


# =============================================================================================
# Published figures and the pause register, as the /data/ API and its page read them.
# Every publication is public by construction (a Publication exists only once published); pause
# decisions are public only while ``is_published``.
# =============================================================================================


@dataclass(frozen=True)
class DataState:
    """What a public data resource depends on: its validators for conditional requests."""

    fingerprint: str
    last_modified: datetime.datetime | None


def published_periods() -> list[str]:
    """Labels of every published period, newest first."""
    return list(Publication.objects.order_by("-period").values_list("period", flat=True).distinct())


def publication_versions(period: str) -> list[int]:
    """The published versions of one period, oldest first."""
    return list(
        Publication.objects.filter(period=period).order_by("version").values_list("version", flat=True)
    )


def all_publications():
    """Every publication, every version, newest period and version first (the version history)."""
    return Publication.objects.order_by("-period", "-version")


def selected_publications(*, periods: list[str] | None = None, version: int | None = None):
    """The latest version of each requested period (all periods when none are given), or the
    given ``version`` of them."""
    publications = Publication.objects.all() if version else latest_publications()
    if periods:
        publications = publications.filter(period__in=periods)
    if version:
        publications = publications.filter(version=version)
    return publications.order_by("period")


def published_figure_rows():
    """Figure rows of every publication (every version); narrow with ``latest_figure_rows`` or a
    publication filter before showing them."""
    return FigureRow.objects.select_related("publication").order_by(
        "publication__period", "country", "request_type"
    )


def latest_figure_rows():
    """Figure rows of the latest version of every published period."""
    return published_figure_rows().filter(publication__in=latest_publications())


def figures_state() -> DataState:
    """Validators of the published figures: they change exactly when a publication is added."""
    state = Publication.objects.aggregate(count=Count("pk"), last_id=Max("pk"), last=Max("published_at"))
    return DataState(f"{state['count']}.{state['last_id']}", state["last"])


def pause_register():
    """Published pause decisions for export, by country and date."""
    return published_pauses().order_by("country", "effective_from")


def pause_register_state() -> DataState:
    """Validators of the public register. A decision that was ever public (per its history) still
    counts after a withdrawal, so Last-Modified moves forward then too; drafts never published
    play no part, so editing them reveals nothing."""
    ever_public = Exists(PauseDecision.history.model.objects.filter(id=OuterRef("pk"), is_published=True))
    state = PauseDecision.objects.filter(Q(is_published=True) | ever_public).aggregate(
        count=Count("pk", filter=Q(is_published=True)), last=Max("updated_at"), versions=Sum("version")
    )
    return DataState(f"{state['count']}.{state['versions']}.{state['last']}", state["last"])
