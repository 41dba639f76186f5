"""International bodies a publisher adds as jurisdictions (Interpol, Europol), beside UN and EU."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .. import jurisdictions
from .base import HistoricalRecords


class InternationalBody(models.Model):
    """A requesting international body, under a code ISO 3166 leaves to its users."""

    code = models.CharField(
        max_length=2,
        unique=True,
        help_text=f"Two letters, one of {jurisdictions.USER_ASSIGNED_RANGES} (not XK, Kosovo's). "
        "Requests, figures and the public pages use it like a country code; it cannot change later.",
    )
    name = models.CharField(max_length=100, unique=True, help_text="As the public pages show it.")
    description = models.TextField(blank=True, help_text="Shown on the methodology page.")
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "international bodies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__in=sorted(jurisdictions.USER_ASSIGNED)),
                name="international_body_code_user_assigned",
            ),
            models.CheckConstraint(
                condition=~Q(code=jurisdictions.KOSOVO), name="international_body_code_not_kosovo"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        self.code = self.code.strip().upper()
        problems = {}
        if self._state.adding:
            problem = jurisdictions.body_code_problem(self.code)
            if problem:
                problems["code"] = problem
        # A body named like a country would make "France" mean two jurisdictions.
        named = jurisdictions.code_named(self.name)
        if named and named != self.code:
            problems["name"] = f"{named} is already the jurisdiction named {jurisdictions.name(named)}."
        if problems:
            raise ValidationError(problems)

    def uses(self) -> list[str]:
        """What records this body's code, e.g. ["3 data requests", "1 authority"]; empty if nothing."""
        from . import Authority, DataRequest, FigureRow, NationalSecurityBand, OutcomeReasonRow, PauseDecision

        # (National-security requests never carry an added body's code: see their clean().)
        found = []
        recorders = (DataRequest, Authority, PauseDecision, FigureRow, OutcomeReasonRow, NationalSecurityBand)
        for model in recorders:
            count = model._default_manager.filter(country=self.code).count()
            if count:
                opts = model._meta
                found.append(f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}")
        return found
