"""The work queue: requests and the authorities they come from."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import rules, services
from ..models import Authority, DataRequest
from ..models.requests import EMERGENCIES_FIRST
from . import workflow
from .actions import apply_each, confirmation_page, report
from .filters import (
    AssigneeFilter,
    CountryFilter,
    OnHoldFilter,
    OverdueFilter,
    PeriodFilter,
    QueueFilter,
    country_label,
    is_work_queue,
)
from .forms import (
    CompleteForm,
    ConcurrentEditRefusal,
    KeyCheckingAutocompleteSelect,
    VersionedForm,
    staff_users_only,
)
from .history import ReadOnlyHistoryAdmin
from .intake import RequestImportExportMixin
from .workflow import RequestWorkflowMixin

WORKFLOW_FIELDS = list(rules.WORKFLOW_FIELDS)


@admin.register(Authority)
class AuthorityAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "country", "kind"]
    list_filter = ["kind", CountryFilter]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        # Reference data is PROTECTed by requests; only a superuser may remove an unused one.
        return request.user.is_superuser


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows: an exact count of a million-row queue costs more than the page.

    The list then offers the first CAP / per_page pages; narrowing with a filter finds the rest.
    """

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.CAP].count()


def _requests_done(verb: str):
    return lambda done: gettext("%(verb)s: %(count)d request(s).") % {"verb": verb, "count": len(done)}


@admin.register(DataRequest)
class DataRequestAdmin(
    ConcurrentEditRefusal, RequestWorkflowMixin, RequestImportExportMixin, ReadOnlyHistoryAdmin
):
    form = VersionedForm
    readonly_fields = WORKFLOW_FIELDS  # a history page makes every field read-only (history.py)
    list_display = [
        "reference",
        "country_display",
        "request_type",
        "accounts_specified",
        "status",
        "age_in_days",
        "assignee",
    ]
    list_filter = [
        QueueFilter,
        "status",
        OnHoldFilter,
        OverdueFilter,
        AssigneeFilter,
        PeriodFilter,
        "request_type",
        CountryFilter,
        # Choices from the managed lists (small tables), never from the requests table. No index
        # behind them: within the work queue (the default) the open requests' index serves; over
        # all requests a common entry fills a page at once (docs/performance.md).
        "legal_process",
        "product",
    ]
    # Searched by reference prefix or authority name (see get_search_results). No date_hierarchy:
    # its year list scans the whole table; the period filter does the same job from an index.
    search_fields = ["reference", "authority__name"]
    search_help_text = _("A reference (or its beginning) or part of an authority's name.")
    autocomplete_fields = ["authority"]
    list_select_related = ["assignee"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100
    actions = ["assign_to_me", "start_review", "complete_with_outcome", "withdraw", "export_as_csv"]
    fieldsets = [
        (None, {"fields": ["reference", "country", "authority", "request_type", "legal_process", "product"]}),
        (_("Intake"), {"fields": ["accounts_specified", "received_on", "acknowledged_on", "assignee"]}),
        (
            _("Decision"),
            {
                "description": _(
                    "Changed only through the workflow: the buttons above, or the list's actions."
                ),
                "fields": WORKFLOW_FIELDS,
            },
        ),
        (_("User notification"), {"fields": ["user_notification", "notification_delayed_until"]}),
        (_("Internal"), {"fields": ["internal_notes", "expected_version"]}),
    ]

    def get_ordering(self, request):
        # The work queue: emergencies first, then the oldest; the overdue list, the oldest first.
        # A column click still re-sorts either; other lists show the newest first.
        if request.GET.get(OverdueFilter.parameter_name) == "yes":
            return ["received_on", "reference"]
        if is_work_queue(request.GET):
            return [EMERGENCIES_FIRST.asc(), "received_on", "reference"]
        return super().get_ordering(request)

    def get_search_results(self, request, queryset, search_term):
        # A LIKE '%term%' over a million references is a full scan; a prefix uses the
        # reference index, and matching authorities are a small table looked up first.
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(reference__startswith=term) | Q(reference__startswith=term.upper())
        authority_ids = list(
            Authority.objects.filter(name__icontains=term).values_list("id", flat=True)[:1000]
        )
        if authority_ids:
            condition |= Q(authority_id__in=authority_ids)
        return queryset.filter(condition), False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        staff_users_only(db_field, kwargs)
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = KeyCheckingAutocompleteSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("country"), ordering="country")
    def country_display(self, obj):
        return country_label(obj.country)

    @admin.display(description=_("age (days)"), ordering="received_on")
    def age_in_days(self, obj):
        end = obj.decided_on if obj.decided_on else timezone.localdate()
        return (end - obj.received_on).days

    def save_model(self, request, obj, form, change):
        if change:
            changed = [name for name in form.changed_data if name != "expected_version"]
            fields = {name: form.cleaned_data[name] for name in changed}
            updated = services.request_update(
                request=obj,
                actor=request.user,
                expected_version=form.cleaned_data.get("expected_version"),
                **fields,
            )
        else:
            data = {
                name: value
                for name, value in form.cleaned_data.items()
                if name in form.fields and name != "expected_version" and name not in WORKFLOW_FIELDS
            }
            updated = services.request_create(actor=request.user, **data)
            if updated.status == DataRequest.Status.ON_HOLD:
                messages.warning(
                    request,
                    gettext("%(reference)s arrived on hold: %(pause)s.")
                    % {"reference": updated.reference, "pause": updated.held_by},
                )
        obj.pk, obj.version = updated.pk, updated.version

    # --- actions ---------------------------------------------------------------------------

    def _each(self, request, queryset, verb: str, apply) -> None:
        apply_each(self, request, queryset, apply, done=_requests_done(verb), name=lambda obj: obj.reference)

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            gettext("Assigned to you"),
            lambda obj: workflow.assign_to_me(obj, request.user),
        )

    @admin.action(description=_("Start review"), permissions=["change"])
    def start_review(self, request, queryset):
        self._each(
            request,
            queryset,
            gettext("Review started"),
            lambda obj: workflow.start_review(obj, request.user),
        )

    @admin.action(description=_("Withdraw (the authority withdrew the request)"), permissions=["change"])
    def withdraw(self, request, queryset):
        self._each(
            request,
            queryset,
            gettext("Withdrawn"),
            lambda obj: workflow.withdraw(obj, request.user),
        )

    @admin.action(description=_("Complete with outcome…"), permissions=["change"])
    def complete_with_outcome(self, request, queryset):
        form = CompleteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            result = services.requests_complete_bulk(
                requests=queryset, decision=services.Decision(**form.cleaned_data), actor=request.user
            )
            done = _requests_done(gettext("Completed"))(result.done) if result.done else None
            report(self, request, done=done, refused=result.refused)
            return None
        return confirmation_page(
            self,
            request,
            "admin/requests_app/complete_requests.html",
            title=gettext("Complete requests with one outcome"),
            form=form,
            queryset=queryset,
        )
