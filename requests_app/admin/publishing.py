"""Publishing in the desk: publications are immutable snapshots.

"Add publication" is the publish-a-period form; re-publishing selected periods is an action;
neither figures nor publications can be changed or deleted here. Both need the
requests_app.publish_period permission (Publishers).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import selectors, services
from ..models import FigureRow, Publication
from ..periods import Period
from .actions import apply_each, confirmation_page
from .forms import PublishPeriodForm, RepublishForm
from .history import HistoryIsReadOnly


class FigureRowInline(admin.TabularInline):
    model = FigureRow
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in FigureRow._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(HistoryIsReadOnly, admin.ModelAdmin):
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
                    period=form.cleaned_data["period"], note=form.cleaned_data["note"], actor=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    gettext("Published %(period)s version %(version)s (%(rows)s figure rows).")
                    % {
                        "period": publication.period,
                        "version": publication.version,
                        "rows": publication.rows.count(),
                    },
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:requests_app_publication_change", args=[publication.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Publish a report period"),
            "opts": self.model._meta,
            "form": form,
            "latest": selectors.latest_publications()[:6],
        }
        return TemplateResponse(request, "admin/requests_app/publication/publish.html", context)

    @admin.action(permissions=["publish"], description=_("Re-publish the selected periods (new version)"))
    def republish_periods(self, request, queryset):
        periods = sorted(set(queryset.values_list("period", flat=True)))
        form = RepublishForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            note = form.cleaned_data["note"]
            apply_each(
                self,
                request,
                periods,
                lambda period: services.period_publish(period=period, note=note, actor=request.user),
                done=lambda publications: " ".join(
                    gettext("Published %(period)s version %(version)s.")
                    % {"period": p.period, "version": p.version}
                    for p in publications
                ),
            )
            return None
        return confirmation_page(
            self,
            request,
            "admin/requests_app/publication/republish.html",
            title=gettext("Re-publish report periods"),
            form=form,
            periods=periods,
            action="republish_periods",
        )
