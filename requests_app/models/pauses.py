"""The register of pause decisions: one jurisdiction's requests held, redirected or answered."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Q
from django.utils import timezone

from ..choices import (
    HOLDING_PAUSE_STATUSES,
    PUBLIC_PAUSE_STATUS_LABELS,
    PauseException,
    PauseStatus,
    RequestType,
)
from .base import HistoricalRecords, JurisdictionField, choices_check


class PauseDecisionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def in_force_on(self, day: datetime.date):
        """Decisions that hold or redirect requests on ``day``."""
        return self.filter(status__in=PauseDecision.HOLDING_STATUSES, effective_from__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day)
        )


# What a visitor sees of a published pause decision (the register pages, /data/pauses.*): the one
# list behind its public history (selectors), its public-change stamp (``PauseDecision.save``) and
# the public-state triggers (public_state.py). Add a field here before showing it anywhere public.
PUBLIC_PAUSE_FIELDS = (
    "country",
    "status",
    "covers_legal_process",
    "covers_emergency",
    "covers_preservation",
    "holds_pending",
    "effective_from",
    "ended_on",
    "public_statement",
    "statement_language",
    "statement_translations",
    "statement_url",
    "exceptions_policy",
)


class PauseDecision(models.Model):
    """A register entry: a decision about all requests from one jurisdiction."""

    Status = PauseStatus

    HOLDING_STATUSES = HOLDING_PAUSE_STATUSES

    country = JurisdictionField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ASSESSING)
    covers_legal_process = models.BooleanField(
        default=True, help_text="The decision applies to legal-process requests."
    )
    covers_emergency = models.BooleanField(
        default=False, help_text="The decision applies to emergency disclosure requests."
    )
    covers_preservation = models.BooleanField(
        default=False, help_text="The decision applies to preservation requests."
    )
    holds_pending = models.BooleanField(
        default=True, help_text="Requests already open when the decision takes effect are held too."
    )
    effective_from = models.DateField()
    ended_on = models.DateField(null=True, blank=True, help_text="Blank while the decision is open.")
    trigger = models.TextField(blank=True, help_text="The event that prompted the decision.")
    public_statement = models.TextField(blank=True, help_text="As published, in its original language.")
    statement_language = models.CharField(
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text="The language the statement was published in.",
    )
    # Published translations of the statement: {language code: text}, never the original's language.
    statement_translations = models.JSONField(default=dict, blank=True)
    statement_url = models.URLField(blank=True)
    internal_rationale = models.TextField(blank=True, help_text="Never published.")
    exceptions_policy = models.TextField(
        blank=True, help_text="Public description of when data may still be produced."
    )
    allowed_exceptions = models.JSONField(
        default=list,
        blank=True,
        help_text="Pause-exception reasons under which data may still be produced.",
    )
    next_review_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pause_decisions",
    )
    is_published = models.BooleanField(default=False, help_text="Visible on the public register.")
    published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The public counterparts of updated_at and version: they move only when what the register
    # shows of the decision changes (see ``save``), so they can be published (``last_changed``,
    # the validators of /data/pauses.*) without telling when the desk works on a decision.
    public_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When what the public register shows of this decision last changed (published, "
        "withdrawn, or a public field edited while published); blank if never published.",
    )
    public_revision = models.PositiveIntegerField(
        default=0, editable=False, help_text="Counts the changes of public_changed_at."
    )
    # Bookkeeping derived from the public fields, like version and updated_at: not history.
    history = HistoricalRecords(
        excluded_fields=["version", "updated_at", "public_changed_at", "public_revision"]
    )

    objects = PauseDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from", "country"]
        permissions = [("publish_pausedecision", "Can publish or withdraw a pause decision")]
        indexes = [
            models.Index(fields=["country", "effective_from"], name="pause_country_effective_idx"),
            models.Index(fields=["is_published", "status"], name="pause_published_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=choices_check("status", PauseStatus), name="pause_status_valid"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("effective_from")),
                name="pause_ended_not_before_effective",
            ),
            models.CheckConstraint(
                condition=~Q(status="lifted") | Q(ended_on__isnull=False),
                name="pause_lifted_has_end_date",
            ),
            models.CheckConstraint(
                condition=Q(covers_legal_process=True)
                | Q(covers_emergency=True)
                | Q(covers_preservation=True),
                name="pause_covers_some_request_type",
            ),
            models.UniqueConstraint(
                fields=["country"],
                condition=Q(ended_on__isnull=True),
                name="pause_one_open_per_country",
                violation_error_message="This country already has an open pause decision; "
                "end or lift it before recording a new one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country.name}: {self.get_status_display()} from {self.effective_from}"

    def save(self, *args, **kwargs):
        """Saves, stamping ``public_changed_at`` and ``public_revision`` when the save changes what
        a visitor sees (publication, withdrawal, a public field edited while published), and only
        then: every ORM save follows the rule (services, admin, demo, shell). Writes that bypass
        ``save`` (``update()``, SQL) still refresh the public pages through the public-state
        triggers, but do not move these two."""
        names = ("is_published", *PUBLIC_PAUSE_FIELDS)
        stored = None
        if not self._state.adding and self.pk is not None:
            using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
            stored = type(self)._base_manager.using(using).filter(pk=self.pk).values(*names).first()
        update_fields = kwargs.get("update_fields")
        new = {name: getattr(self, name) for name in names}
        if update_fields is not None and stored is not None:
            new = {name: new[name] if name in update_fields else stored[name] for name in names}
        if self.public_view(stored) != self.public_view(new):
            self.public_changed_at = timezone.now()
            self.public_revision += 1
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "public_changed_at", "public_revision"}
        super().save(*args, **kwargs)

    def statement_for(self, language: str) -> tuple[str, str]:
        """(text, its language) of the statement a reader of ``language`` sees: the published
        translation into it, else the original."""
        translated = (self.statement_translations or {}).get(language)
        if translated and language != self.statement_language:
            return translated, language
        return self.public_statement, self.statement_language

    @property
    def status_label(self) -> str:
        return self.label_of(self.status)

    @classmethod
    def label_of(cls, status: str) -> str:
        """The status as the public reads it everywhere: 'Paused', 'Redirected', 'Lifted',
        'Assessing' (the choice's text without the desk's explanation in brackets)."""
        return str(PUBLIC_PAUSE_STATUS_LABELS[cls.Status(status)])

    @property
    def public_anchor(self) -> str:
        """A stable fragment id on the register: jurisdiction and start, never a database id."""
        return f"pause-{self.country.code}-{self.effective_from:%Y-%m-%d}"

    @classmethod
    def public_view(cls, values: dict | None) -> tuple | None:
        """What a visitor sees of a decision with these field values: None while unpublished."""
        if values is None or not values["is_published"]:
            return None
        return tuple(cls._meta.get_field(name).get_prep_value(values[name]) for name in PUBLIC_PAUSE_FIELDS)

    @property
    def covered_request_types(self) -> list[str]:
        types = RequestType
        flags = [
            (types.LEGAL_PROCESS, self.covers_legal_process),
            (types.EMERGENCY, self.covers_emergency),
            (types.PRESERVATION, self.covers_preservation),
        ]
        return [value for value, covered in flags if covered]

    def covers(self, request_type: str) -> bool:
        return request_type in self.covered_request_types

    @property
    def holds_requests(self) -> bool:
        return self.status in self.HOLDING_STATUSES

    def in_force_on(self, day: datetime.date) -> bool:
        return (
            self.holds_requests
            and self.effective_from <= day
            and (self.ended_on is None or day <= self.ended_on)
        )

    def clean(self):
        errors: dict[str, list[str]] = {}
        if self.effective_from and self.ended_on and self.ended_on < self.effective_from:
            errors["ended_on"] = [
                f"The end date ({self.ended_on}) cannot be before the decision took effect "
                f"({self.effective_from})."
            ]
        if self.status == self.Status.LIFTED and not self.ended_on:
            errors.setdefault("ended_on", []).append("A lifted decision needs the date it ended.")
        if not (self.covers_legal_process or self.covers_emergency or self.covers_preservation):
            errors["covers_legal_process"] = ["A decision must cover at least one request type."]
        valid = set(PauseException.values)
        if not isinstance(self.allowed_exceptions, list) or not set(self.allowed_exceptions) <= valid:
            errors["allowed_exceptions"] = [
                f"Allowed exceptions must be a list drawn from: {', '.join(sorted(valid))}."
            ]
        if problem := self._translations_problem():
            errors["statement_translations"] = [problem]
        if errors:
            raise ValidationError(errors)

    def _translations_problem(self) -> str:
        translations = self.statement_translations
        languages = dict(settings.LANGUAGES)
        if not isinstance(translations, dict) or not all(
            code in languages and isinstance(text, str) and text.strip()
            for code, text in translations.items()
        ):
            return f"Translations are texts keyed by a language of the report: {', '.join(languages)}."
        if self.statement_language in translations:
            return "The statement's own language is its original, not a translation."
        if translations and not self.public_statement.strip():
            return "A translation needs the original statement."
        return ""
