"""Reads of the reviewers' desk (staff only; never used by a public page)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from .models import DataRequest, PauseDecision


@dataclass
class QueueSummary:
    open_by_status: list[dict]
    overdue: int
    on_hold: int
    mine: int
    active_pauses: list[PauseDecision]
    overdue_after_days: int


def queue_summary(*, user, today: datetime.date | None = None) -> QueueSummary:
    """The admin index's view of the queue: open by status, overdue, held, mine, active pauses."""
    today = today or timezone.localdate()
    open_requests = DataRequest.objects.filter(status__in=DataRequest.OPEN_STATUSES)
    by_status = {
        row["status"]: row["count"] for row in open_requests.values("status").annotate(count=Count("id"))
    }
    return QueueSummary(
        open_by_status=[
            {"status": s, "label": DataRequest.Status(s).label, "count": by_status.get(s, 0)}
            for s in DataRequest.OPEN_STATUSES
        ],
        overdue=overdue(DataRequest.objects.all(), today=today).count(),
        on_hold=by_status.get(DataRequest.Status.ON_HOLD, 0),
        mine=open_requests.filter(assignee_id=user.pk).count(),
        active_pauses=list(PauseDecision.objects.in_force_on(today).order_by("country")),
        overdue_after_days=settings.OVERDUE_AFTER_DAYS,
    )


def overdue(queryset, *, today: datetime.date):
    """Open requests older than OVERDUE_AFTER_DAYS. A request held by a pause is not overdue:
    nobody may work on it until the pause ends (it is counted as held)."""
    cutoff = today - datetime.timedelta(days=settings.OVERDUE_AFTER_DAYS)
    workable = [s for s in DataRequest.OPEN_STATUSES if s != DataRequest.Status.ON_HOLD]
    return queryset.filter(status__in=workable, received_on__lt=cutoff)
