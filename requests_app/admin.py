"""The reviewers' desk in Django admin: declarative, every write goes through the services."""

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from .models import Authority, DataRequest, FigureRow, PauseDecision, Publication


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


class FigureRowInline(admin.TabularInline):
    model = FigureRow
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in FigureRow._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["period", "version", "source", "published_at", "published_by"]
    list_filter = ["source", "period"]
    search_fields = ["period", "note"]
    date_hierarchy = "published_at"
    inlines = [FigureRowInline]
