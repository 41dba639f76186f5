"""The public pages' languages in templates: the page's language tag, links that have one
language (the overview for error pages, the /data/ files), and English data in other pages."""

from django import template
from django.conf import settings
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from requests_app import jurisdictions, languages, wording

register = template.Library()


@register.simple_tag
def html_lang() -> str:
    """The active language as a BCP 47 tag (``zh-Hant-HK``), for <html lang>."""
    return languages.tag(translation.get_language() or settings.LANGUAGE_CODE)


@register.simple_tag
def home_path() -> str:
    """The overview in the active language as a plain path (error pages reverse no URL)."""
    return languages.home_path()


@register.simple_tag
def data_url(name: str, *args) -> str:
    """A /data/ file's URL: the files have one address, without a language prefix."""
    return languages.data_path(name, *args)


@register.simple_tag
def english_data() -> str:
    """`` lang="en"`` on a page in another language, for an element holding text the desk keeps
    in English (names of legal processes, products, international bodies, free-text notes), so
    that a screen reader reads it as English (WCAG 3.1.2); nothing on an English page."""
    if (translation.get_language() or settings.LANGUAGE_CODE) == settings.LANGUAGE_CODE:
        return ""
    return mark_safe(' lang="en"')


@register.filter
def as_english(value) -> str:
    """``value`` (text the desk keeps in English) marked ``lang="en"`` on a page in another
    language; unchanged on an English page."""
    if (translation.get_language() or settings.LANGUAGE_CODE) == settings.LANGUAGE_CODE:
        return conditional_escape(value)
    return format_html('<span lang="en">{}</span>', value)


@register.simple_tag
def body_lang(code) -> str:
    """``english_data`` for the name of an international body a publisher added (its name is
    kept as entered, in English); nothing for other jurisdictions, whose names are translated."""
    return english_data() if _is_added_body(code) else ""


@register.filter
def as_data(value) -> str:
    """``as_english`` for text the desk wrote (``wording.KeptInEnglish``); other values as they are."""
    return as_english(value) if isinstance(value, wording.KeptInEnglish) else value


@register.simple_tag
def jurisdiction_name(code, name) -> str:
    """A jurisdiction's ``name``, marked ``lang="en"`` on a page in another language when it is
    an international body a publisher added (its name is kept as entered, in English)."""
    return as_english(name) if _is_added_body(code) else conditional_escape(name)


def _is_added_body(code) -> bool:
    # A fixed code (a country, XK, UN, EU) answers without reading the added bodies.
    code = str(code)
    return code not in jurisdictions.FIXED_CODES and code in jurisdictions.added()
