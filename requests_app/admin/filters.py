"""The request list's own filters (the rest are model fields)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import jurisdictions
from ..desk import overdue
from ..models import Authority, DataRequest, PauseDecision
from ..periods import Period


def country_label(country) -> str:
    """A jurisdiction as the desk reads it: "Hong Kong (HK)". No flag emoji: they show as empty
    boxes on desktops without a colour emoji font."""
    return f"{country.name} ({country.code})"


class PeriodFilter(admin.SimpleListFilter):
    title = _("period")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        bounds = DataRequest.objects.aggregate(
            first=models.Min("received_on"), last=models.Max("received_on")
        )
        if not bounds["first"]:
            return []
        period, last = Period.containing(bounds["last"]), Period.containing(bounds["first"])
        choices = []
        while period >= last:
            choices.append((period.label, period.label))
            period = period.previous()
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            period = Period.parse(self.value())
        except ValidationError:
            return queryset.none()
        return queryset.filter(received_on__range=(period.start, period.end))


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("mine", _("Assigned to me")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", gettext("Open more than %(days)d days") % {"days": settings.OVERDUE_AFTER_DAYS})]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return overdue(queryset, today=timezone.localdate())
        return queryset


class OnHoldFilter(admin.SimpleListFilter):
    title = _("on hold")
    parameter_name = "on_hold"

    def lookups(self, request, model_admin):
        return [("yes", _("On hold by a pause")), ("no", _("Not on hold"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=DataRequest.Status.ON_HOLD)
        if self.value() == "no":
            return queryset.exclude(status=DataRequest.Status.ON_HOLD)
        return queryset


# Parameters that ask for particular requests: with one of them the list shows what was asked
# for, not the work queue (a status filter, a search for a reference, the rows of one import).
EXPLICIT_PARAMETERS = ("status__exact", "status__in", "on_hold", "overdue", "q", "import_run__exact")


def is_work_queue(params) -> bool:
    """Whether the request list shows the work queue (open requests, emergencies first, then the
    oldest): by default, or with queue=open, unless a parameter asks for particular requests."""
    if params.get(QueueFilter.parameter_name) == "all":
        return False
    return not any(name in params for name in EXPLICIT_PARAMETERS)


class QueueFilter(admin.SimpleListFilter):
    """The list opens on the work queue (open requests); "All requests" shows every one."""

    title = _("requests")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", _("Open (the work queue)")), ("all", _("All requests"))]

    def queryset(self, request, queryset):
        if is_work_queue(request.GET):
            return queryset.filter(status__in=DataRequest.OPEN_STATUSES)
        return queryset

    def choices(self, changelist):
        current = "open" if is_work_queue(self.request.GET) else "all"
        for value, label in self.lookup_choices:
            yield {
                "selected": value == current,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value}, EXPLICIT_PARAMETERS
                ),
                "display": label,
            }


class CountryFilter(admin.SimpleListFilter):
    """A jurisdiction typed with completion from the ones the desk has met, not a list of 250.

    Its values are the jurisdictions of the authorities and pause decisions on record (small
    tables; the requests table is not scanned for them). A code or a name is accepted."""

    title = _("country")
    parameter_name = "country__exact"  # the name Django's own field filter used: links keep working
    template = "admin/requests_app/country_filter.html"

    def lookups(self, request, model_admin):
        codes = set(Authority.objects.values_list("country", flat=True).distinct())
        codes |= set(PauseDecision.objects.values_list("country", flat=True).distinct())
        labels = ((code, f"{jurisdictions.name(code)} ({code})") for code in codes if code)
        return sorted(labels, key=lambda c: c[1])

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        code = jurisdictions.code_for(value)
        return queryset.filter(country=code) if code else queryset.none()

    def choices(self, changelist):
        kept = [(k, v) for k, v in changelist.params.items() if k not in (self.parameter_name, "p")]
        yield {
            "value": self.value() or "",
            "kept": kept,
            "options": self.lookup_choices,
            "clear": changelist.get_query_string(remove=[self.parameter_name]),
        }
