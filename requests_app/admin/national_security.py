"""National-security requests in the desk: for cleared staff only.

Without the clearance permission (the "National security reviewer" role) these admins grant
nothing whatever the model permissions say, and their querysets are empty, so a page answers the
same whether a reference exists or not. Nothing else in the desk points at these tables.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import CLEARED_PERMISSION, NationalSecurityCategory, NationalSecurityRequest
from .forms import ConcurrentEditRefusal, VersionedForm
from .history import HistoryIsReadOnly, ReadOnlyHistoryAdmin


def cleared_users():
    """Active staff who may see national-security requests (the role, or superusers)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    app_label, codename = CLEARED_PERMISSION.split(".")
    holds = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    holds |= Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | holds, is_active=True, is_staff=True)
        .distinct()
        .order_by("username")
    )


def is_cleared(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.has_perm(CLEARED_PERMISSION)


class ClearedOnly:
    """Every permission of the ModelAdmin also needs the clearance."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if is_cleared(request) else queryset.none()

    def history_view(self, request, object_id, extra_context=None):
        if not is_cleared(request):  # before the object is looked up: the same answer for any id
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not is_cleared(request):  # simple_history looks the version up first: refuse before
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # Django's admin log feeds "Recent actions" on the index, which outlives a user's clearance;
    # the history (who changed what, when) is these records' audit trail.
    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None

    def has_module_permission(self, request):
        return is_cleared(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_cleared(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_cleared(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_cleared(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # a record of legal process is completed or withdrawn, never erased


class NationalSecurityRequestForm(VersionedForm):
    class Meta:
        model = NationalSecurityRequest
        fields = [
            "reference",
            "country",
            "category",
            "accounts_specified",
            "received_on",
            "status",
            "outcome",
            "decided_on",
            "assignee",
            "internal_notes",
        ]
        widgets = {"internal_notes": forms.Textarea(attrs={"rows": 3})}


_EDITABLE = NationalSecurityRequestForm.Meta.fields


@admin.register(NationalSecurityRequest)
class NationalSecurityRequestAdmin(ClearedOnly, ConcurrentEditRefusal, ReadOnlyHistoryAdmin):
    form = NationalSecurityRequestForm
    list_display = ["reference", "country", "category", "received_on", "status", "outcome", "assignee"]
    list_filter = ["category", "status"]
    search_fields = ["reference"]
    date_hierarchy = "received_on"
    actions = None
    fieldsets = [
        (None, {"fields": ["reference", "country", "category", "accounts_specified", "received_on"]}),
        (_("Decision"), {"fields": ["status", "outcome", "decided_on", "assignee"]}),
        (_("Internal"), {"fields": ["internal_notes", "expected_version"]}),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":  # someone who may see the request
            kwargs["queryset"] = cleared_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in _EDITABLE if name in form.cleaned_data}
        if change:
            changed = {name: value for name, value in fields.items() if name in form.changed_data}
            saved = services.ns_request_update(
                request=obj,
                actor=request.user,
                expected_version=form.cleaned_data.get("expected_version"),
                **changed,
            )
        else:
            saved = services.ns_request_create(actor=request.user, **fields)
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(NationalSecurityCategory)
class NationalSecurityCategoryAdmin(ClearedOnly, HistoryIsReadOnly, admin.ModelAdmin):
    list_display = ["code", "name", "requests_band", "accounts_band", "delay_days", "position"]
    fields = ["code", "name", "description", "requests_band", "accounts_band", "delay_days", "position"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []


_HIDDEN_MODELS = {"nationalsecurityrequest", "historicalnationalsecurityrequest", "nationalsecuritycategory"}


@admin.site.admin_view
def view_on_site_shortcut(request, content_type_id: int, object_id: str):
    """The admin's ``r/<content type>/<id>/`` shortcut, except for national-security records: its
    answer (with DEBUG on) differs between an id that exists and one that does not."""
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.contenttypes.views import shortcut
    from django.http import Http404

    content_type = ContentType.objects.filter(pk=content_type_id).first()
    if content_type is not None and (content_type.app_label, content_type.model) in {
        ("requests_app", model) for model in _HIDDEN_MODELS
    }:
        raise Http404("No such page.")
    return shortcut(request, content_type_id, object_id)
