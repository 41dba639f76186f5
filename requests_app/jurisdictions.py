"""Who a request can come from: the one set of codes for the models, the importers, the public
filters and the pages.

A jurisdiction is an ISO 3166-1 alpha-2 country or territory, Kosovo (XK), or an international
body: UN and EU (settings.COUNTRIES_OVERRIDE adds them to django-countries) and the bodies a
publisher adds in the desk (``InternationalBody``, under a code ISO 3166 leaves to its users).

Added bodies live in the database, so that a body saved by one process is known to all: each
request reads them once, when it first needs them (``forget`` runs as it starts), and a change
made in this process is read again at once. Nothing here reads the database at import time.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import NamedTuple

from asgiref.local import Local
from django.conf import settings
from django_countries import Countries, countries

# ISO 3166-1 alpha-2 countries and territories, Kosovo (XK) and the bodies UN and EU.
FIXED_CODES: frozenset[str] = frozenset(code for code, _ in countries)
FIXED_BODIES: frozenset[str] = frozenset({"UN", "EU"})
# The codes ISO 3166-1 leaves to its users (never assigned to a country); Kosovo uses XK.
USER_ASSIGNED: frozenset[str] = frozenset(
    {"AA", "ZZ"}
    | {f"Q{letter}" for letter in "MNOPQRSTUVWXYZ"}
    | {f"X{letter}" for letter in string.ascii_uppercase}
)
KOSOVO = "XK"
USER_ASSIGNED_RANGES = "AA, QM–QZ, XA–XZ or ZZ"


class _Known(NamedTuple):
    bodies: dict[str, str]  # code -> name of the bodies publishers added
    codes: frozenset[str]
    countries: Countries  # django-countries' list with those bodies


_state = Local()  # per thread: one request's view of the added bodies


def _known() -> _Known:
    known = getattr(_state, "known", None)
    if known is None:
        from .models import InternationalBody

        bodies = dict(InternationalBody.objects.values_list("code", "name"))
        with_bodies = _list_for(tuple(sorted(bodies.items())))
        known = _state.known = _Known(bodies, FIXED_CODES | bodies.keys(), with_bodies)
    return known


def forget(**kwargs) -> None:
    """Read the added bodies again when next needed (a request starts; a body was saved)."""
    _state.known = None


def added() -> dict[str, str]:
    """Code -> name of the international bodies publishers added."""
    return _known().bodies


def codes() -> frozenset[str]:
    """Every jurisdiction code: the fixed ones and the added bodies'."""
    return _known().codes


def listed() -> list:
    """Every jurisdiction, as django-countries' (code, name) pairs, by name."""
    return list(_known().countries)


def is_code(code: str) -> bool:
    """``code`` is a jurisdiction code (as stored: upper case)."""
    return code in FIXED_CODES or code in added()


def name(code: str) -> str:
    """The jurisdiction's English name ("" for an unknown code)."""
    return countries.name(code) or added().get(str(code).upper(), "")


def code_for(text: str) -> str | None:
    """The code of the jurisdiction named ``text`` (any case), or of the one "Name (CC)" labels."""
    text = text.strip()
    if text.endswith(")") and "(" in text:
        text = text.rsplit("(", 1)[1][:-1]
    if is_code(text.upper()):
        return text.upper()
    return code_named(text)


def code_named(text: str) -> str | None:
    """The code of the jurisdiction whose English name is ``text`` (any case), or None."""
    return _known().countries.by_name(text.strip()) or None


def body_code_problem(code: str) -> str | None:
    """Why ``code`` cannot be a new international body's code (None if it can)."""
    choose = f"an international body takes a code ISO 3166 leaves to its users: {USER_ASSIGNED_RANGES}."
    if len(code) != 2 or not (code.isascii() and code.isalpha() and code.isupper()):
        return f"'{code}' is not a code of two letters; {choose}"
    if code in FIXED_CODES - FIXED_BODIES - {KOSOVO}:
        return f"{code} is the ISO 3166-1 code of {countries.name(code)}; {choose}"
    if code in FIXED_CODES:
        return f"{code} is already the code of {countries.name(code)}; {choose}"
    if code not in USER_ASSIGNED:
        return f"{code} may yet be given to a country; {choose}"
    return None


@lru_cache(maxsize=4)
def _list_for(bodies: tuple[tuple[str, str], ...]) -> Countries:
    """django-countries' list with ``bodies`` added, built once per set of bodies and never
    changed afterwards (so a thread never reads a list another is refreshing)."""
    if not bodies:
        return countries
    with_bodies = Countries()
    # A Countries instance's own attributes come before the settings (django-countries' way of
    # customising one list).
    with_bodies.override = {**settings.COUNTRIES_OVERRIDE, **dict(bodies)}
    return with_bodies


class Jurisdictions(Countries):
    """The list of every jurisdiction field (``models.base.JurisdictionField``): each call goes to
    the current list, so that choices, validation and ``Country.name`` know the added bodies."""

    def __getattribute__(self, attribute):
        if attribute.startswith("__"):
            return super().__getattribute__(attribute)
        return getattr(_known().countries, attribute)

    # Special methods are looked up on the class, not through __getattribute__.
    def __iter__(self):
        return iter(_known().countries)

    def __len__(self):
        return len(_known().countries)

    def __bool__(self):
        return True

    def __contains__(self, code):
        return code in _known().countries

    def __getitem__(self, index):
        return _known().countries[index]
