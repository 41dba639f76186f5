"""The managed lists in the desk: legal processes and products (Publishers keep them).

Every write goes through ``services.catalog_*``. An entry's code is read-only once a request or a
published figure row uses it, and such an entry cannot be deleted: the refusal says how many use
it (Django's own delete page would fetch and list every protected request).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import LegalProcess, Product
from .history import ReadOnlyHistoryAdmin


class UsageChangeList(ChangeList):
    """The list as Django finds and counts it, then what uses each entry shown: one grouped
    query over the requests and one over the figure rows, whatever the number of entries."""

    def get_results(self, request):
        super().get_results(request)
        shown = list(self.result_list)
        usage = services.catalog_usage_of(shown)
        for entry in shown:
            entry.usage = usage[entry.code]
        self.result_list = shown


class ManagedListAdmin(ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "position", "requests_using", "figure_rows_using"]
    list_display_links = ["code", "name"]
    search_fields = ["code", "name", "description"]
    ordering = ["position", "name"]
    fields = ["code", "name", "description", "position"]

    def get_changelist(self, request, **kwargs):
        return UsageChangeList

    @admin.display(description=_("requests"))
    def requests_using(self, obj):
        return obj.usage.requests

    @admin.display(description=_("published figure rows"))
    def figure_rows_using(self, obj):
        return obj.usage.figure_rows

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and "code" not in fields and self._usage(obj).in_use:
            fields.append("code")  # request records and the public data carry it
        return fields

    @staticmethod
    def _usage(obj):
        # Counted once per page (the change view asks for the read-only fields several times).
        if not hasattr(obj, "usage"):
            obj.usage = services.catalog_usage(obj)
        return obj.usage

    # --- writes, through the services ------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = services.catalog_update(entry=obj, actor=request.user, **changes)
        else:
            saved = services.catalog_define(model=self.model, actor=request.user, **form.cleaned_data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.catalog_delete(entry=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            services.catalog_delete(entry=entry, actor=request.user)

    def get_deleted_objects(self, objs, request):
        """An entry in use is "protected" by what uses it, said as counts: Django would fetch
        and list every request that names it (a million rows, for a common one)."""
        usage = services.catalog_usage_of(objs)
        protected = [
            gettext("%(entry)s (%(code)s): used by %(usage)s")
            % {"entry": o, "code": o.code, "usage": usage[o.code]}
            for o in objs
            if usage[o.code].in_use
        ]
        if protected:
            return [str(obj) for obj in objs], {}, set(), protected
        return super().get_deleted_objects(objs, request)

    # --- a refusal the page could not foresee (an entry came into use meanwhile) -----------

    def _refused(self, request, error: ValidationError, url: str):
        self.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(url)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            return self._refused(request, error, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            opts = self.model._meta
            return self._refused(
                request, error, reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            )

    def response_action(self, request, queryset):
        try:
            with transaction.atomic():  # "delete selected" deletes all of them or none
                return super().response_action(request, queryset)
        except ValidationError as error:
            return self._refused(request, error, request.get_full_path())


@admin.register(LegalProcess)
class LegalProcessAdmin(ManagedListAdmin):
    pass


@admin.register(Product)
class ProductAdmin(ManagedListAdmin):
    pass
