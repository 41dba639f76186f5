"""Who a request can come from: one set of codes for the models' forms, the importers, the
public filters and the pages."""

from __future__ import annotations

from django_countries import countries

# ISO 3166-1 alpha-2 countries and territories, Kosovo (XK) and the international bodies UN and EU
# (settings.COUNTRIES_OVERRIDE adds them to django-countries, so every CountryField takes them).
CODES: frozenset[str] = frozenset(code for code, _ in countries)
INTERNATIONAL_BODIES: frozenset[str] = frozenset({"UN", "EU"})


def name(code: str) -> str:
    """The jurisdiction's English name ("" for an unknown code)."""
    return countries.name(code)


def code_for(text: str) -> str | None:
    """The code of the jurisdiction named ``text`` (any case), or of the one "Name (CC)" labels."""
    text = text.strip()
    if text.endswith(")") and "(" in text:
        text = text.rsplit("(", 1)[1][:-1]
    if text.upper() in CODES:
        return text.upper()
    return countries.by_name(text) or None

