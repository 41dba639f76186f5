"""Version history in the desk: readable by every role that may view the record, never writable.

django-simple-history's history detail page renders the record's change form filled with an
old version, and saves it on POST after checking only the *view* permission; its
``SIMPLE_HISTORY_REVERT_DISABLED`` setting hides the button but not the write. Reverting is not
a desk operation (every write goes through a service, with its own rules and audit), so here
the page is a read-only rendering and any other method is refused, for superusers too.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

_READ_ONLY_HISTORY = "_transparency_read_only_history"
SAFE_METHODS = ("GET", "HEAD")


def refuse_unless_safe(request) -> None:
    if request.method not in SAFE_METHODS:
        raise PermissionDenied("The version history is read-only.")


class HistoryIsReadOnly:
    """For any ModelAdmin: its history list answers GET and HEAD only."""

    def history_view(self, request, object_id, extra_context=None):
        refuse_unless_safe(request)
        return super().history_view(request, object_id, extra_context)


class ReadOnlyHistoryAdmin(HistoryIsReadOnly, SimpleHistoryAdmin):
    """SimpleHistoryAdmin whose history pages show old versions and change nothing."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        refuse_unless_safe(request)
        setattr(request, _READ_ONLY_HISTORY, True)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not getattr(request, _READ_ONLY_HISTORY, False):
            return fieldsets
        # Only stored fields: form-only inputs (a version token, a confirmation box) mean
        # nothing for an old version and cannot be rendered read-only.
        stored = self._stored_field_names()
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f in stored]})
            for name, options in fieldsets
            if any(f in stored for f in options["fields"])
        ]

    def get_readonly_fields(self, request, obj=None):
        if getattr(request, _READ_ONLY_HISTORY, False):
            return sorted(self._stored_field_names())
        return super().get_readonly_fields(request, obj)

    def _stored_field_names(self) -> set[str]:
        return {field.name for field in self.model._meta.get_fields() if field.concrete}
