"""How the public pages word what is not a sentence of a template: request types inside a
sentence, lists, dates and durations, in the reader's language (docs/translation.md)."""

from __future__ import annotations

from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy

# A request type inside a sentence or a chart's legend ("legal process requests"), lower case in
# English; "all" is an imported report that did not split its figures by type.
TYPES_IN_SENTENCE = {
    "legal_process": pgettext_lazy("request type inside a sentence", "legal process"),
    "emergency": pgettext_lazy("request type inside a sentence", "emergency"),
    "preservation": pgettext_lazy("request type inside a sentence", "preservation"),
    "all": pgettext_lazy("request type inside a sentence", "all types"),
}


def type_in_sentence(request_type: str) -> str:
    label = TYPES_IN_SENTENCE.get(request_type)
    return str(label) if label is not None else request_type.replace("_", " ")


def listed(items) -> str:
    """Items as a sentence lists them: "a, b" in English, "a、b" in Chinese."""
    return pgettext("separator of a list of a few words", ", ").join(str(item) for item in items)


def types_in_sentence(request_types) -> str:
    return listed(type_in_sentence(t) for t in request_types)


def long_date_format() -> str:
    """The date format of a sentence ("6 July 2020"), in Django's date-format syntax."""
    return pgettext("date format: a date in a sentence (6 July 2020)", "j F Y")


def duration(years: int, months: int, days: int) -> str:
    """A duration as a reader says it: "4 years 5 months", "3 months", "12 days" (days only
    when under a month)."""
    if not years and not months:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    years_text = ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    months_text = ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    if not months:
        return years_text
    if not years:
        return months_text
    return pgettext("a duration of years and months", "%(years)s %(months)s") % {
        "years": years_text,
        "months": months_text,
    }


def yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


class KeptInEnglish(str):
    """Text the desk wrote, shown as written (in English) whatever the page's language: a page in
    another language marks it ``lang="en"`` (the ``as_data`` template filter)."""
