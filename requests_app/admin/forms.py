"""The desk's forms: versioned change forms, the action forms, the import upload."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import intake, services
from ..models import DataRequest, PauseDecision
from ..periods import Period
from ..services import versions


class VersionedForm(forms.ModelForm):
    """Carries the version the reviewer opened, so a save over someone else's is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not versions.is_current(
            type(self.instance), pk=self.instance.pk, expected_version=cleaned.get("expected_version")
        ):
            raise ValidationError(
                _(
                    "Someone else saved this record after you opened it. Your changes were not "
                    "saved: reload the page to see the current version, then apply them again."
                ),
                code="concurrent_edit",
            )
        return cleaned


class ConcurrentEditRefusal:
    """For the admin of a VersionedForm: the race the form's check cannot see (a save between
    the check and the service's claim) ends on a 409 page that says so, not a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except versions.ConcurrentEditError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return TemplateResponse(
                request, "admin/requests_app/concurrent_edit.html", {"error": error}, status=409
            )


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
# Requests
# --------------------------------------------------------------------------------------------


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DataRequest.Outcome.choices)
    outcome_reason = forms.ChoiceField(
        label=_("Outcome reason"),
        choices=[("", "—")] + DataRequest.OutcomeReason.choices,
        required=False,
        help_text=_("Required when the outcome is Rejected or No data."),
    )
    disclosure = forms.ChoiceField(
        label=_("Disclosure"), choices=[("", "—")] + DataRequest.Disclosure.choices, required=False
    )
    pause_exception = forms.ChoiceField(
        label=_("Pause exception"),
        choices=[("", "—")] + DataRequest.PauseException.choices,
        required=False,
        help_text=_("Only to produce data for a request held by a pause, under an exception it allows."),
    )
    decided_on = forms.DateField(
        label=_("Decided on"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What is stored, to tell an edit of the translations (the instance takes the form's).
        self.stored_translations = dict(self.instance.statement_translations or {})
        for code, text in self.stored_translations.items():
            if translation_field(code) in self.fields:
                self.fields[translation_field(code)].initial = text

    def _update_errors(self, errors):
        """The model's errors about the translations belong to the form as a whole (they are
        entered in one box per language, not in a field of that name)."""
        if hasattr(errors, "error_dict") and "statement_translations" in errors.error_dict:
            moved = errors.error_dict.pop("statement_translations")
            errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(moved)
        super()._update_errors(errors)

    def clean(self):
        cleaned = super().clean()
        cleaned["statement_translations"] = {
            code: text.strip()
            for code, _ in settings.LANGUAGES
            if (text := cleaned.get(translation_field(code)) or "").strip()
        }
        if cleaned.get("statement_language") in cleaned["statement_translations"]:
            self.add_error(
                translation_field(cleaned["statement_language"]),
                "This is the statement's own language: its text goes in the public statement.",
            )
        # The model's own check (``_post_clean``) reads them from the instance, as it does the
        # other fields: not the stored ones.
        self.instance.statement_translations = cleaned["statement_translations"]
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


def translation_field(code: str) -> str:
    return "translation_" + code.replace("-", "_")


# One box per language of the report for a translation of the public statement (the original,
# in ``statement_language``, stays in ``public_statement``).
for _code, _name in settings.LANGUAGES:
    PauseDecisionForm.base_fields[translation_field(_code)] = PauseDecisionForm.declared_fields[
        translation_field(_code)
    ] = forms.CharField(
        required=False,
        label=f"Statement translated into {_name}",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Leave blank for the statement's own language and where there is no published translation.",
    )


class LiftForm(forms.Form):
    ended_on = forms.DateField(
        label=_("Ended on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


# --------------------------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------------------------


class PublishPeriodForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=7,
        help_text=_("Half-year label, e.g. 2020-H2. Only a period that has ended can be published."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Public changelog note. Required when the period is already published: say what changed."
        ),
    )

    def clean_period(self) -> str:
        return Period.parse(self.cleaned_data["period"]).label


class RepublishForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Public changelog note shown with the new versions: say what changed."),
    )


# --------------------------------------------------------------------------------------------
# Bulk intake
# --------------------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    """The largest file the import page takes (REQUEST_IMPORT_MAX_UPLOAD_MB, in 2**20 bytes)."""
    return int(getattr(settings, "REQUEST_IMPORT_MAX_UPLOAD_MB", 20)) * 1024 * 1024


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    update = forms.BooleanField(
        required=False,
        label=_("Update requests already in the database"),
        help_text=_(
            "Otherwise a reference that already exists is an error. Updates go through the "
            "workflow and are recorded in each request's history."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext(
            "UTF-8 (with or without BOM), header row first. Required columns: %(required)s; optional: "
            "%(optional)s. At most %(cap)s MB here; larger files: python manage.py import_requests "
            "FILE.csv on the server."
        ) % {
            "required": ", ".join(intake.REQUIRED_COLUMNS),
            "optional": ", ".join(intake.COLUMNS[len(intake.REQUIRED_COLUMNS) :]),
            "cap": settings.REQUEST_IMPORT_MAX_UPLOAD_MB,
        }

    def clean_file(self):
        # Django has streamed the upload to a temporary file of its own (over
        # FILE_UPLOAD_MAX_MEMORY_SIZE), which it removes after the request; the refusal comes
        # before anything is written to the upload directory.
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _(
                    "This file is %(size).1f MB; the import page takes files up to %(cap)s MB. "
                    "Import larger files on the server with: python manage.py import_requests FILE.csv"
                ),
                code="too_large",
                params={"size": upload.size / (1024 * 1024), "cap": settings.REQUEST_IMPORT_MAX_UPLOAD_MB},
            )
        return upload
