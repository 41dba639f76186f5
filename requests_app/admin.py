"""The reviewers' desk in Django admin: declarative, every write goes through the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from . import selectors, services
from .models import Authority, DataRequest, FigureRow, PauseDecision, Publication
from .periods import Period


@admin.register(Authority)
class AuthorityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "country", "kind"]
    list_filter = ["kind", "country"]
    search_fields = ["name"]


@admin.register(DataRequest)
class DataRequestAdmin(SimpleHistoryAdmin):
    list_display = [
        "reference",
        "country",
        "request_type",
        "accounts_specified",
        "status",
        "received_on",
        "assignee",
    ]
    list_filter = ["status", "request_type", "country"]
    search_fields = ["reference", "authority__name"]
    date_hierarchy = "received_on"
    autocomplete_fields = ["authority", "assignee"]
    list_select_related = ["assignee"]
    show_full_result_count = False
    raw_id_fields = ["held_by"]


@admin.register(PauseDecision)
class PauseDecisionAdmin(SimpleHistoryAdmin):
    list_display = ["country", "status", "effective_from", "ended_on", "holds_pending", "is_published"]
    list_filter = ["status", "is_published", "country"]
    search_fields = ["public_statement", "trigger"]
    date_hierarchy = "effective_from"
    autocomplete_fields = ["decided_by"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Publishing is its own permission and goes through services.pause_publish / pause_unpublish.
    readonly_fields = ["is_published", "published_at"]
    actions = ["publish_decisions", "unpublish_decisions"]

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("requests_app.publish_pausedecision")

    @admin.action(
        permissions=["publish"], description="Publish the selected decisions on the public register"
    )
    def publish_decisions(self, request, queryset):
        _pause_set_published_action(self, request, queryset, services.pause_publish, "published")

    @admin.action(
        permissions=["publish"], description="Withdraw the selected decisions from the public register"
    )
    def unpublish_decisions(self, request, queryset):
        _pause_set_published_action(self, request, queryset, services.pause_unpublish, "withdrawn")


class FigureRowInline(admin.TabularInline):
    model = FigureRow
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in FigureRow._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False


# =============================================================================================
# Publishing: publications are immutable snapshots. "Add publication" is the publish-a-period
# form; re-publishing selected periods is an action; neither figures nor publications can be
# changed or deleted here. Both need the requests_app.publish_period permission (Publishers).
# =============================================================================================


def _pause_set_published_action(model_admin, request, queryset, service, done: str) -> None:
    changed = 0
    for decision in queryset:
        try:
            service(decision=decision, by=request.user)
        except ValidationError as error:
            model_admin.message_user(request, f"{decision}: {' '.join(error.messages)}", messages.ERROR)
        else:
            changed += 1
    if changed:
        model_admin.message_user(request, f"{changed} decision(s) {done}.", messages.SUCCESS)


class PublishPeriodForm(forms.Form):
    period = forms.CharField(
        max_length=7,
        help_text="Half-year label, e.g. 2020-H2. Only a period that has ended can be published.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Public changelog note. Required when the period is already published: say what changed.",
    )

    def clean_period(self) -> str:
        return Period.parse(self.cleaned_data["period"]).label


class RepublishForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Public changelog note shown with the new versions: say what changed.",
    )


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["period", "version", "source", "published_at", "published_by", "note"]
    list_filter = ["source", "period"]
    search_fields = ["period", "note"]
    date_hierarchy = "published_at"
    readonly_fields = ["period", "version", "source", "published_at", "published_by", "note"]
    inlines = [FigureRowInline]
    actions = ["republish_periods"]

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("requests_app.publish_period")

    def has_add_permission(self, request) -> bool:
        return self.has_publish_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """Publishing a period is the only way a publication comes to exist."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"period": Period.containing(timezone.localdate()).previous().label}
        form = PublishPeriodForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                publication = services.period_publish(
                    period=form.cleaned_data["period"], note=form.cleaned_data["note"], by=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    f"Published {publication.period} version {publication.version} "
                    f"({publication.rows.count()} figure rows).",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:requests_app_publication_change", args=[publication.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish a report period",
            "opts": self.model._meta,
            "form": form,
            "latest": selectors.latest_publications()[:6],
        }
        return TemplateResponse(request, "admin/requests_app/publication/publish.html", context)

    @admin.action(permissions=["publish"], description="Re-publish the selected periods (new version)")
    def republish_periods(self, request, queryset):
        periods = sorted(set(queryset.values_list("period", flat=True)))
        form = RepublishForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            for period in periods:
                try:
                    publication = services.period_publish(
                        period=period, note=form.cleaned_data["note"], by=request.user
                    )
                except ValidationError as error:
                    self.message_user(request, f"{period}: {' '.join(error.messages)}", messages.ERROR)
                else:
                    self.message_user(
                        request, f"Published {period} version {publication.version}.", messages.SUCCESS
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Re-publish report periods",
            "opts": self.model._meta,
            "form": form,
            "periods": periods,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action": "republish_periods",
        }
        return TemplateResponse(request, "admin/requests_app/publication/republish.html", context)
