"""Who a request can come from: one set of codes for the models' forms, the importers, the
public filters and the pages."""

from __future__ import annotations

from django_countries import countries

# Every code django-countries knows (ISO 3166-1 alpha-2, with its settings' additions).
CODES: frozenset[str] = frozenset(code for code, _ in countries)


def name(code: str) -> str:
    """The jurisdiction's English name ("" for an unknown code)."""
    return countries.name(code)
