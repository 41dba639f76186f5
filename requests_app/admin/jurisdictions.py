"""International bodies: Publishers add them as jurisdictions; every desk role reads them."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext

from .. import services
from ..models import InternationalBody
from ..services.jurisdictions import EDITABLE
from .history import ReadOnlyHistoryAdmin


@admin.register(InternationalBody)
class InternationalBodyAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    fields = ["code", "name", "description"]
    actions = None  # a body is deleted from its own page, which says what still uses it

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Requests, figures and public URLs hold the code: it is fixed once the body exists.
        return readonly + ["code"] if obj is not None and "code" not in readonly else readonly

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for body in objs:
            protected += [
                gettext("%(use)s with the code %(code)s") % {"use": use, "code": body.code}
                for use in body.uses()
            ]
        return deleted, counts, perms_needed, protected

    def save_model(self, request, obj, form, change):
        if change:
            edited = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE}
            services.international_body_update(body=obj, actor=request.user, **edited)
        else:
            saved = services.international_body_create(
                code=obj.code, name=obj.name, description=obj.description, actor=request.user
            )
            obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.international_body_delete(body=obj, actor=request.user)
