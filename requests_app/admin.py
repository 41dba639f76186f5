"""The reviewers' desk in Django admin: declarative, every write goes through the services."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from . import admin_import, selectors, services
from .admin_history import HistoryIsReadOnly, ReadOnlyHistoryAdmin
from .models import Authority, DataRequest, FigureRow, PauseDecision, Publication
from .periods import Period

# --------------------------------------------------------------------------------------------
# Authorities
# --------------------------------------------------------------------------------------------


@admin.register(Authority)
class AuthorityAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "country", "kind"]
    list_filter = ["kind", "country"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        # Reference data is PROTECTed by requests; only a superuser may remove an unused one.
        return request.user.is_superuser


def staff_users_only(db_field, kwargs) -> None:
    """Assignees and deciders are desk staff; reviewers need no access to the user admin."""
    if db_field.name in {"assignee", "decided_by"}:
        from django.contrib.auth import get_user_model

        kwargs["queryset"] = (
            get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")
        )


class KeyCheckingAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks a submitted value up as it is when it re-renders a
    form with errors, and a value that is no key (``1.5``, ``1e309``) makes that lookup raise:
    a 500 instead of the form's own "Select a valid choice". Such a value selects nothing."""

    MAX_KEY = 2**63 - 1

    def optgroups(self, name, value, attr=None):
        keys = [v for v in value if str(v).isascii() and str(v).isdigit() and int(v) <= self.MAX_KEY]
        return super().optgroups(name, keys, attr)


# --------------------------------------------------------------------------------------------
# Requests: the work queue
# --------------------------------------------------------------------------------------------


class PeriodFilter(admin.SimpleListFilter):
    title = "period"
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
    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("mine", "Assigned to me"), ("unassigned", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", f"Open more than {settings.OVERDUE_AFTER_DAYS} days")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            cutoff = timezone.localdate() - datetime.timedelta(days=settings.OVERDUE_AFTER_DAYS)
            return queryset.filter(status__in=DataRequest.OPEN_STATUSES, received_on__lt=cutoff)
        return queryset


class OnHoldFilter(admin.SimpleListFilter):
    title = "on hold"
    parameter_name = "on_hold"

    def lookups(self, request, model_admin):
        return [("yes", "On hold by a pause"), ("no", "Not on hold")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=DataRequest.Status.ON_HOLD)
        if self.value() == "no":
            return queryset.exclude(status=DataRequest.Status.ON_HOLD)
        return queryset


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows: an exact count of a million-row queue costs more than the page.

    The list then offers the first CAP / per_page pages; narrowing with a filter finds the rest.
    """

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.CAP].count()


class VersionedForm(forms.ModelForm):
    """Carries the version the reviewer opened, so a save over someone else's is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            expected = cleaned.get("expected_version")
            current = (
                type(self.instance).objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            )
            if expected is None or expected != current.first():
                raise ValidationError(
                    "Someone else saved this record after you opened it. Your changes were not "
                    "saved: reload the page to see the current version, then apply them again.",
                    code="concurrent_edit",
                )
        return cleaned


WORKFLOW_FIELDS = services.WORKFLOW_FIELDS


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(choices=DataRequest.Outcome.choices)
    outcome_reason = forms.ChoiceField(
        choices=[("", "—")] + DataRequest.OutcomeReason.choices,
        required=False,
        help_text="Required when the outcome is Rejected or No data.",
    )
    disclosure = forms.ChoiceField(choices=[("", "—")] + DataRequest.Disclosure.choices, required=False)
    pause_exception = forms.ChoiceField(
        choices=[("", "—")] + DataRequest.PauseException.choices,
        required=False,
        help_text="Only to produce data for a request held by a pause, under an exception it allows.",
    )
    decided_on = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))


@admin.register(DataRequest)
class DataRequestAdmin(admin_import.RequestImportExportMixin, ReadOnlyHistoryAdmin):
    form = VersionedForm
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
        "status",
        OnHoldFilter,
        OverdueFilter,
        AssigneeFilter,
        PeriodFilter,
        "request_type",
        "country",
    ]
    # Searched by reference prefix or authority name (see get_search_results). No date_hierarchy:
    # its year list scans the whole table; the period filter does the same job from an index.
    search_fields = ["reference", "authority__name"]
    search_help_text = "A reference (or its beginning) or part of an authority's name."
    autocomplete_fields = ["authority"]
    list_select_related = ["assignee"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100
    actions = ["assign_to_me", "start_review", "complete_with_outcome", "withdraw", "export_as_csv"]
    fieldsets = [
        (None, {"fields": ["reference", "country", "authority", "request_type", "legal_process", "product"]}),
        ("Intake", {"fields": ["accounts_specified", "received_on", "acknowledged_on", "assignee"]}),
        (
            "Decision",
            {
                "description": "Changed only through the workflow actions of the request list.",
                "fields": WORKFLOW_FIELDS,
            },
        ),
        ("User notification", {"fields": ["user_notification", "notification_delayed_until"]}),
        ("Internal", {"fields": ["internal_notes", "expected_version"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return WORKFLOW_FIELDS

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

    @admin.display(description="country", ordering="country")
    def country_display(self, obj):
        return format_html(
            '<span title="{}">{} {}</span>', obj.country.code, obj.country.unicode_flag, obj.country.name
        )

    @admin.display(description="age (days)", ordering="received_on")
    def age_in_days(self, obj):
        end = obj.decided_on if obj.decided_on else timezone.localdate()
        return (end - obj.received_on).days

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name != "expected_version"}
        if change:
            updated = services.request_update(
                request=obj,
                actor=request.user,
                expected_version=form.cleaned_data.get("expected_version"),
                **fields,
            )
        else:
            data = {
                name: form.cleaned_data[name] for name in form.fields if name not in ("expected_version",)
            }
            data = {k: v for k, v in data.items() if k not in WORKFLOW_FIELDS}
            updated = services.request_create(actor=request.user, **data)
            if updated.status == DataRequest.Status.ON_HOLD:
                messages.warning(request, f"{updated.reference} arrived on hold: {updated.held_by}.")
        obj.pk, obj.version = updated.pk, updated.version

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ConcurrentEditError as error:
            # The race the form check could not see: the conditional update refused it.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return TemplateResponse(
                request, "admin/requests_app/concurrent_edit.html", {"error": error}, status=409
            )

    # --- actions ---------------------------------------------------------------------------

    def _report(self, request, verb: str, done: list[str], refused: dict[str, str]) -> None:
        if done:
            self.message_user(request, f"{verb}: {len(done)} request(s).", messages.SUCCESS)
        for reference, reason in refused.items():
            self.message_user(request, f"{reference} refused: {reason}", messages.ERROR)

    def _each(self, request, queryset, verb: str, apply) -> None:
        done, refused = [], {}
        for obj in queryset:
            try:
                apply(obj)
            except ValidationError as error:
                refused[obj.reference] = " ".join(error.messages)
            else:
                done.append(obj.reference)
        self._report(request, verb, done, refused)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            "Assigned to you",
            lambda obj: services.request_assign(request=obj, assignee=request.user, actor=request.user),
        )

    @admin.action(description="Start review", permissions=["change"])
    def start_review(self, request, queryset):
        self._each(
            request,
            queryset,
            "Review started",
            lambda obj: services.request_start_review(request=obj, actor=request.user),
        )

    @admin.action(description="Withdraw (the authority withdrew the request)", permissions=["change"])
    def withdraw(self, request, queryset):
        self._each(
            request,
            queryset,
            "Withdrawn",
            lambda obj: services.request_withdraw(request=obj, actor=request.user),
        )

    @admin.action(description="Complete with outcome…", permissions=["change"])
    def complete_with_outcome(self, request, queryset):
        form = CompleteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            result = services.requests_complete_bulk(
                requests=queryset, decision=services.Decision(**form.cleaned_data), actor=request.user
            )
            self._report(request, "Completed", result.done, result.refused)
            return None
        return TemplateResponse(
            request,
            "admin/requests_app/complete_requests.html",
            {
                **self.admin_site.each_context(request),
                "title": "Complete requests with one outcome",
                "form": form,
                "queryset": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            },
        )


# --------------------------------------------------------------------------------------------
# Pause decisions
# --------------------------------------------------------------------------------------------


class PauseDecisionForm(VersionedForm):
    allowed_exceptions = forms.MultipleChoiceField(
        choices=DataRequest.PauseException.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Grounds on which data may still be produced for a held request.",
    )
    confirm_hold_changes = forms.BooleanField(
        required=False,
        label="Apply the hold changes",
        help_text="Required when saving would hold or release requests.",
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = PauseDecision(pk=self.instance.pk)
        for name, value in cleaned.items():
            if name in {f.name for f in PauseDecision._meta.fields} and name != "id":
                setattr(candidate, name, value)
        self.hold_change = services.pause_hold_preview(pause=candidate)
        if (self.hold_change.to_hold or self.hold_change.to_release) and not cleaned.get(
            "confirm_hold_changes"
        ):
            raise ValidationError(
                f"Saving this decision will put {self.hold_change.to_hold} open request(s) on hold "
                f"and release {self.hold_change.to_release} held request(s) back to review. Tick "
                f"'Apply the hold changes' and save again to confirm.",
                code="confirm_holds",
            )
        return cleaned


class LiftForm(forms.Form):
    ended_on = forms.DateField(
        label="Ended on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


@admin.register(PauseDecision)
class PauseDecisionAdmin(ReadOnlyHistoryAdmin):
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
    list_filter = ["status", "is_published", "country"]
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
        ("Public", {"fields": ["public_statement", "statement_url", "is_published", "published_at"]}),
        ("Internal", {"fields": ["trigger", "internal_rationale", "expected_version"]}),
        ("Confirm", {"fields": ["confirm_hold_changes"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(held=models.Count("held_requests", filter=models.Q(held_requests__status="on_hold")))
        )

    @admin.display(description="country", ordering="country")
    def country_display(self, obj):
        return format_html("{} {}", obj.country.unicode_flag, obj.country.name)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        staff_users_only(db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="requests on hold", ordering="held")
    def held_count(self, obj):
        return obj.held

    def save_model(self, request, obj, form, change):
        model_fields = {f.name for f in PauseDecision._meta.fields} - {
            "id",
            "version",
            "is_published",
            "published_at",
        }
        if change:
            changes = {n: form.cleaned_data[n] for n in form.changed_data if n in model_fields}
            saved, hold_change = services.pause_update(
                pause=obj,
                actor=request.user,
                expected_version=form.cleaned_data.get("expected_version"),
                **changes,
            )
        else:
            fields = {n: form.cleaned_data[n] for n in form.cleaned_data if n in model_fields}
            saved, hold_change = services.pause_create(actor=request.user, **fields)
        obj.pk, obj.version = saved.pk, saved.version
        if hold_change.to_hold or hold_change.to_release:
            self.message_user(
                request,
                f"{hold_change.to_hold} request(s) put on hold, {hold_change.to_release} released to review.",
                messages.WARNING,
            )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ConcurrentEditError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return TemplateResponse(
                request, "admin/requests_app/concurrent_edit.html", {"error": error}, status=409
            )

    @admin.action(description="Lift selected decisions…", permissions=["change"])
    def lift(self, request, queryset):
        open_decisions = [p for p in queryset if p.ended_on is None]
        form = LiftForm(
            request.POST if "apply" in request.POST else None, initial={"ended_on": timezone.localdate()}
        )
        if form.is_valid():
            ended_on = form.cleaned_data["ended_on"]
            lifted = released = 0
            for pause in open_decisions:
                try:
                    _, change = services.pause_lift(pause=pause, ended_on=ended_on, actor=request.user)
                except ValidationError as error:
                    self.message_user(request, f"{pause}: {' '.join(error.messages)}", messages.ERROR)
                else:
                    lifted += 1
                    released += change.to_release
            self.message_user(
                request, f"Lifted {lifted} decision(s); {released} request(s) back in review."
            )
            return None
        return TemplateResponse(
            request,
            "admin/requests_app/lift_pauses.html",
            {
                **self.admin_site.each_context(request),
                "title": "Lift pause decisions",
                "decisions": [
                    (p, p.held_requests.filter(status=DataRequest.Status.ON_HOLD).count())
                    for p in open_decisions
                ],
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            },
        )

    # Publishing is its own permission and goes through services.pause_publish / pause_unpublish.
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


# --------------------------------------------------------------------------------------------
# Publications (immutable snapshots)
# --------------------------------------------------------------------------------------------


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
            service(decision=decision, actor=request.user)
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
                        period=period, note=form.cleaned_data["note"], actor=request.user
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
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "action": "republish_periods",
        }
        return TemplateResponse(request, "admin/requests_app/publication/republish.html", context)


# --------------------------------------------------------------------------------------------
# Bulk intake: the import page and the export action live in admin_import.py (mixed into
# DataRequestAdmin above); the record of each import is read-only.
# --------------------------------------------------------------------------------------------

admin_import.register(admin.site)
