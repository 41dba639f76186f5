"""What the models share: a constraint helper, two fields, the history recorder."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField
from simple_history import models as simple_history

from ..jurisdictions import Jurisdictions


def choices_check(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    """``field`` holds one of the choice values (or is blank when allowed).

    The blank comes first: PostgreSQL tries the values in order, once per row written, and most
    requests leave the optional choices blank (up to 26 comparisons fewer per row, six fields)."""
    values = ([""] if blank else []) + list(choices.values)
    return Q(**{f"{field}__in": values})


class BytewiseCharField(models.CharField):
    """A CharField that PostgreSQL compares byte by byte (collation "C"), for codes and case ids.

    With the database's linguistic collation every comparison of an index build or look-up
    goes through strcoll(); with "C" it is a memcmp() and a plain index also serves prefix
    search (LIKE 'X%'). Byte order is the natural order of such identifiers. SQLite compares
    bytes already and has no collation named "C".
    """

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class JurisdictionField(CountryField):
    """A jurisdiction code (``jurisdictions``): django-countries' CountryField whose list also
    holds the international bodies publishers added, for its choices, validation and names."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("countries", Jurisdictions)
        # Given, not computed from the list: that would read the database at import time.
        kwargs.setdefault("max_length", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("countries") is Jurisdictions:
            del kwargs["countries"]  # the default
        return name, path, args, kwargs

    def _check_choices(self):
        # Django's check walks the choices, and the added bodies come from the database, which
        # system checks (run before `migrate` creates its tables) must not read.
        return []


class HistoricalRecords(simple_history.HistoricalRecords):
    """simple_history's recorder, keeping each historical model in the module of its model.

    simple_history declares the historical model of a model outside ``<app>.models`` to live in
    the app's package (``requests_app``), yet stores it in the model's module: nothing can import
    it by its declared path (``manage.py shell`` lists each one as "could not be automatically
    imported"; django-simple-history #343, #1479). Its table, app label and migrations are the
    same either way."""

    def create_history_model(self, model, inherited):
        history_model = super().create_history_model(model, inherited)
        if not inherited:
            history_model.__module__ = self.module
        return history_model
