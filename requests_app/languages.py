"""The public site's languages: which one a path is in, and the same page in the others.

English is at the URLs the site always had; every other language of ``settings.LANGUAGES`` is
the same path under its code (``/zh-hant/countries/HK/``): transparency/urls.py puts the pages in
``i18n_patterns(prefix_default_language=False)``. Nothing else in a URL differs between
languages, so the same page in another language is found from the path alone, without resolving
it: error pages (rendered whatever the URLconf) and the page cache (which runs before the view)
use these functions too. The desk and the /data/ files have no prefix and one language.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.urls import get_script_prefix
from django.utils import translation

# The tag a page declares (<html lang>, hreflang): the Traditional Chinese here is written for
# Hong Kong readers (its words and its numbers), so it says so.
LANGUAGE_TAGS = {"en": "en", "zh-hant": "zh-Hant-HK"}


def default() -> str:
    return settings.LANGUAGE_CODE


def prefixed() -> list[str]:
    """The languages whose pages live under a prefix: every one but the default."""
    return [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def path_language(path_info: str) -> str:
    """The language a page at ``path_info`` is rendered in, as LocaleMiddleware decides it: its
    prefix's, or the default language without one (a header or cookie never changes it)."""
    return translation.get_language_from_path(path_info) or settings.LANGUAGE_CODE


def split(path_info: str) -> tuple[str, str]:
    """(language, the path without its language prefix): ``/zh-hant/paused/`` -> ``zh-hant``,
    ``/paused/``."""
    for code in prefixed():
        prefix = f"/{code}/"
        if path_info.startswith(prefix) or path_info == prefix[:-1]:
            return code, "/" + path_info[len(prefix) :]
    return settings.LANGUAGE_CODE, path_info


def path_in(language: str, neutral_path: str) -> str:
    """The path of a page (given without prefix) in ``language``."""
    return neutral_path if language == settings.LANGUAGE_CODE else f"/{language}{neutral_path}"


def data_path(url_name: str, *args) -> str:
    """A /data/ file's path: the files have one address, without a language prefix."""
    from django.urls import reverse

    with translation.override(settings.LANGUAGE_CODE):
        return reverse(url_name, args=args)


def name(language: str) -> str:
    """The language's name in the reader's language ("English", "英語"): Django's own catalogue."""
    from django.utils.translation import get_language_info

    return get_language_info(language)["name_translated"]


def tag(language: str) -> str:
    """The BCP 47 tag of a language code of LANGUAGES (``zh-hant`` -> ``zh-Hant-HK``)."""
    return LANGUAGE_TAGS.get(language, language)


def home_path(language: str | None = None) -> str:
    """The overview in ``language`` (the active one by default), as a plain path: error pages
    link to it without reversing a URL."""
    return path_in(language or translation.get_language() or settings.LANGUAGE_CODE, "/")


@dataclass(frozen=True)
class LanguageLink:
    code: str  # as in LANGUAGES ("zh-hant")
    tag: str  # BCP 47 ("zh-Hant-HK")
    name: str  # in its own language ("繁體中文")
    path: str  # the same page in this language, query string included
    current: bool


def links(path_info: str, query_string: str = "") -> list[LanguageLink]:
    """The page at ``path_info`` (with its query string) in every language, the current first
    flagged: the language switcher and the hreflang alternates."""
    current, neutral = split(path_info)
    query = f"?{query_string}" if query_string else ""
    return [
        LanguageLink(code, tag(code), str(name), path_in(code, neutral) + query, code == current)
        for code, name in settings.LANGUAGES
    ]


def _own_query(request) -> str:
    """The query string the links to the page in another language keep: of a cached page, only
    the view's own parameters in their canonical order (the cached page is everyone's: a visitor's
    tracking tags must not reach the next reader's links); of any other page, as asked."""
    from .caching import page_params

    found = page_params(request.path_info)
    if found is None:
        return request.META.get("QUERY_STRING", "")
    try:
        own = sorted(found[0] & set(request.GET))
        return urlencode([(key, value) for key in own for value in request.GET.getlist(key)])
    except (SuspiciousOperation, ValueError):  # a query Django refuses to read (its 400 page)
        return ""


def context(request) -> dict:
    """Template context of every page rendered with a request: ``page_path`` (the path without
    its language prefix, for the navigation's current page), ``language_links`` (the switcher)
    and ``alternate_urls`` ((tag, absolute URL) of the page in every language, for hreflang)."""
    neutral = split(request.path_info)[1]
    if neutral.startswith("/" + settings.ADMIN_URL):  # the desk (its error pages too) is English only
        return {"page_path": neutral, "language_links": [], "alternate_urls": []}
    script = get_script_prefix().rstrip("/")
    language_links = [
        LanguageLink(link.code, link.tag, link.name, script + link.path, link.current)
        for link in links(request.path_info, _own_query(request))
    ]
    try:
        alternates = [(link.tag, request.build_absolute_uri(link.path)) for link in language_links]
    except DisallowedHost:  # the 400 page of a request whose host is refused
        alternates = []
    return {
        "page_path": split(request.path_info)[1],
        "language_links": language_links,
        "alternate_urls": alternates,
    }
