"""Database expressions the figures need and Django does not ship: whole days between two dates
and a median, both computed inside the database on PostgreSQL and on SQLite."""

from __future__ import annotations

from django.db.models import Aggregate, FloatField, Func, IntegerField


class DaysBetween(Func):
    """Whole days from ``start`` to ``end`` (two DateFields): ``end - start``."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


class Median(Aggregate):
    """The median of a numeric expression per group (NULLs ignored).

    PostgreSQL computes it with the ordered-set aggregate ``percentile_cont(0.5)``; SQLite has no
    percentile function, so ``register_sqlite_functions`` adds a ``MEDIAN`` aggregate to every
    SQLite connection. Either way it is part of the one GROUP BY query.
    """

    function = "MEDIAN"
    name = "Median"
    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra_context):
        # Set on a copy rather than passed as template=: Aggregate.as_sql derives its FILTER
        # template from self.template when the aggregate is filtered.
        ordered_set = self.copy()
        ordered_set.function = "PERCENTILE_CONT"
        ordered_set.template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        return super(Median, ordered_set).as_sql(compiler, connection, **extra_context)


class _SqliteMedian:
    """SQLite aggregate: collects the group's values and returns their median."""

    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        ordered = sorted(self.values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return float(ordered[middle])
        return (ordered[middle - 1] + ordered[middle]) / 2


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite connections the MEDIAN aggregate."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("MEDIAN", 1, _SqliteMedian)
