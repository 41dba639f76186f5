"""Number and date formatting of the public report: one decimal, signs on changes, unknown vs zero,
dates as the reader's language writes them."""

from dataclasses import dataclass
from decimal import Decimal

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date as date_filter
from django.utils.translation import get_supported_language_variant, gettext, pgettext

from requests_app import languages, wording

register = template.Library()


ONE_DECIMAL = Decimal("0.1")


@register.filter
def percent(value) -> str:
    """One decimal; an old report's percentage with more decimals as it was published; "—" for
    none (not reported, or nothing to share)."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value == value.quantize(ONE_DECIMAL):
        return f"{value:.1f}%"
    return f"{value.normalize():f}%"


@register.filter
def count_or_dash(value) -> str:
    """A count, or "—" where it was not reported (an old report): never a misleading 0."""
    return "—" if value is None else intcomma(value)


@register.filter
def count_or_unknown(value) -> str:
    """Imported historical figures have no pause columns: show 'n/a', not a misleading 0."""
    return gettext("n/a") if value is None else intcomma(value)


@register.simple_tag
def change(current: int | None, previous: int | None) -> str:
    if current is None or previous is None:
        return "—"
    if not previous:
        return pgettext("a figure with nothing to compare to", "new")
    delta = (current - previous) / previous * 100
    return f"{delta:+.1f}%"


@register.simple_tag
def points(current, previous) -> str:
    if current is None or previous is None:
        return "—"
    return gettext("%(change)s points") % {"change": f"{Decimal(current) - Decimal(previous):+.1f}"}


@register.filter
def type_label(value: str) -> str:
    """A request type as a sentence names it ("legal process")."""
    return wording.type_in_sentence(value)


@register.filter
def types_label(values) -> str:
    """Request types as a sentence lists them ("legal process, emergency")."""
    return wording.types_in_sentence(values)


@register.filter
def status_label(pause) -> str:
    return pause.status_label


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key)


@dataclass(frozen=True)
class ShownStatement:
    text: str
    language: str  # the language of ``text``
    note: str  # which it is, when it is not the reader's language's own published text


@register.filter
def statement_in(decision, language: str) -> ShownStatement:
    """The statement of ``decision`` a reader of ``language`` sees, saying which one it is: the
    published translation into their language, else the original."""
    try:
        language = get_supported_language_variant(language)  # "en-us" reads the "en" text
    except LookupError:
        language = settings.LANGUAGE_CODE
    text, shown = decision.statement_for(language)
    if shown != language:
        note = gettext("Published in %(original)s; there is no published translation into %(reader)s.") % {
            "original": languages.name(shown),
            "reader": languages.name(language),
        }
    elif shown != decision.statement_language:
        note = gettext("Translation; the statement was published in %(original)s.") % {
            "original": languages.name(decision.statement_language)
        }
    else:
        note = ""
    return ShownStatement(text, shown, note)


@register.filter
def long_date(value) -> str:
    """A date as a sentence says it: "6 July 2020", "2020年7月6日"."""
    return date_filter(value, wording.long_date_format())


@register.filter
def short_date(value) -> str:
    """A date in a table: "6 Jul 2020", "2020年7月6日"."""
    return date_filter(value, pgettext("date format: a date in a table (6 Jul 2020)", "j M Y"))
