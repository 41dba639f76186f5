"""What the models share: a constraint helper, a field, the history recorder."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history import models as simple_history


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
