"""The managed lists a report breaks its figures down by: kinds of legal process and products.

Platforms and countries differ (US search warrants and 2703(d) orders, Irish police requests, UK
CLOUD Act orders, requests for a local subsidiary's data; one service or several), so these are
rows a Publisher edits, not fixed choices. Requests and published figure rows refer to them by
code, which is what files and the public data carry; PROTECT keeps a code in use from vanishing.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from .base import HistoricalRecords

# A code is what files, URLs and the public data carry: lower case, digits and underscores.
CODE_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
code_validator = RegexValidator(
    CODE_PATTERN, "Use lower-case letters, digits and underscores, starting with a letter or digit."
)


class ManagedEntry(models.Model):
    code = models.CharField(
        max_length=40,
        unique=True,
        validators=[code_validator],
        help_text="Used in import files and in the public data, e.g. search_warrant. Lower case, "
        "digits and underscores; cannot change once used.",
    )
    name = models.CharField(max_length=100, help_text="Shown in the report, e.g. Search warrant.")
    description = models.TextField(blank=True, help_text="Shown on the methodology page.")
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in lists and tables.")

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class LegalProcess(ManagedEntry):
    """A kind of legal process a legal-process request can be (subpoena, search warrant, ...)."""

    history = HistoricalRecords()

    class Meta(ManagedEntry.Meta):
        verbose_name_plural = "legal processes"
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=CODE_PATTERN), name="legal_process_code_valid")
        ]


class Product(ManagedEntry):
    """A product or service of the platform that requests are about (mail, messaging, cloud...)."""

    history = HistoricalRecords()

    class Meta(ManagedEntry.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=CODE_PATTERN), name="product_code_valid")
        ]
