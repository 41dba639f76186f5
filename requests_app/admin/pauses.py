"""The pause register: record, change and lift decisions; publish them on the public register."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.utils import timezone

from .. import services
from ..models import DataRequest, PauseDecision
from .actions import apply_each, confirmation_page
from .filters import CountryFilter, country_label
from .forms import ConcurrentEditRefusal, LiftForm, PauseDecisionForm, staff_users_only, translation_field
from .history import ReadOnlyHistoryAdmin

# What the change form may pass to the services (the rest is bookkeeping or publishing).
_NOT_EDITED = {"id", "version", "is_published", "published_at"}
_EDITABLE_FIELDS = {f.name for f in PauseDecision._meta.fields} - _NOT_EDITED


@admin.register(PauseDecision)
class PauseDecisionAdmin(ConcurrentEditRefusal, ReadOnlyHistoryAdmin):
    form = PauseDecisionForm
    list_display = [
        "country_display",
        "status",
        "effective_from",
        "ended_on",
        "holds_pending",
        "held_count",
        "is_published",
    ]
    list_filter = ["status", "is_published", CountryFilter]
    search_fields = ["public_statement", "trigger"]
    date_hierarchy = "effective_from"
    readonly_fields = ["is_published", "published_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["lift", "publish_decisions", "unpublish_decisions"]
    fieldsets = [
        (
            None,
            {"fields": ["country", "status", "effective_from", "ended_on", "next_review_on", "decided_by"]},
        ),
        (
            "Scope",
            {"fields": ["covers_legal_process", "covers_emergency", "covers_preservation", "holds_pending"]},
        ),
        ("Exceptions", {"fields": ["allowed_exceptions", "exceptions_policy"]}),
        (
            "Public",
            {
                "fields": [
                    "public_statement",
                    "statement_language",
                    *(translation_field(code) for code, _ in settings.LANGUAGES),
                    "statement_url",
                    "is_published",
                    "published_at",
                ]
            },
        ),
        ("Internal", {"fields": ["trigger", "internal_rationale", "expected_version"]}),
        ("Confirm", {"fields": ["confirm_hold_changes"]}),
    ]

    def get_queryset(self, request):
        on_hold = models.Q(held_requests__status=DataRequest.Status.ON_HOLD)
        return super().get_queryset(request).annotate(held=models.Count("held_requests", filter=on_hold))

    @admin.display(description="country", ordering="country")
    def country_display(self, obj):
        return country_label(obj.country)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        staff_users_only(db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="requests on hold", ordering="held")
    def held_count(self, obj):
        return obj.held

    def save_model(self, request, obj, form, change):
        if change:
            changes = {n: form.cleaned_data[n] for n in form.changed_data if n in _EDITABLE_FIELDS}
            if form.cleaned_data["statement_translations"] != form.stored_translations:
                changes["statement_translations"] = form.cleaned_data["statement_translations"]
            saved, hold_change = services.pause_update(
                pause=obj,
                actor=request.user,
                expected_version=form.cleaned_data.get("expected_version"),
                **changes,
            )
        else:
            fields = {n: value for n, value in form.cleaned_data.items() if n in _EDITABLE_FIELDS}
            saved, hold_change = services.pause_create(actor=request.user, **fields)
        obj.pk, obj.version = saved.pk, saved.version
        if hold_change.to_hold or hold_change.to_release:
            self.message_user(
                request,
                f"{hold_change.to_hold} request(s) put on hold, {hold_change.to_release} released to review.",
                messages.WARNING,
            )

    @admin.action(description="Lift selected decisions…", permissions=["change"])
    def lift(self, request, queryset):
        open_decisions = [p for p in queryset if p.ended_on is None]
        form = LiftForm(
            request.POST if "apply" in request.POST else None, initial={"ended_on": timezone.localdate()}
        )
        if form.is_valid():
            ended_on = form.cleaned_data["ended_on"]
            result = apply_each(
                self,
                request,
                open_decisions,
                lambda pause: services.pause_lift(pause=pause, ended_on=ended_on, actor=request.user)[1],
                done=lambda changes: (
                    f"Lifted {len(changes)} decision(s); "
                    f"{sum(change.to_release for change in changes)} request(s) back in review."
                ),
            )
            if not result.done:
                self.message_user(request, "Lifted 0 decision(s); 0 request(s) back in review.")
            return None
        return confirmation_page(
            self,
            request,
            "admin/requests_app/lift_pauses.html",
            title="Lift pause decisions",
            decisions=[
                (p, p.held_requests.filter(status=DataRequest.Status.ON_HOLD).count()) for p in open_decisions
            ],
            form=form,
        )

    # Publishing is its own permission and goes through services.pause_publish / pause_unpublish.
    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("requests_app.publish_pausedecision")

    @admin.action(
        permissions=["publish"], description="Publish the selected decisions on the public register"
    )
    def publish_decisions(self, request, queryset):
        self._set_published(request, queryset, services.pause_publish, "published")

    @admin.action(
        permissions=["publish"], description="Withdraw the selected decisions from the public register"
    )
    def unpublish_decisions(self, request, queryset):
        self._set_published(request, queryset, services.pause_unpublish, "withdrawn")

    def _set_published(self, request, queryset, service, verb: str) -> None:
        apply_each(
            self,
            request,
            queryset,
            lambda decision: service(decision=decision, actor=request.user),
            done=lambda done: f"{len(done)} decision(s) {verb}.",
        )
