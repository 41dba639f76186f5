"""Every public URL, read from the URLconf (the ``public`` namespace), not listed by hand.

A page added to ``requests_app/urls.py`` is covered by the abuse and outage tests without
editing them. Path parameters are filled with a sample that the route's converter accepts
(``HK`` for a country, ``2020-H2`` for a period) or with arbitrary text. The URLs are the English
ones (no language prefix); ``PublicRoute.in_language`` gives a route's URL in another language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import LocalePrefixPattern, URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

NAMESPACE = "public"

# Samples tried for a path parameter, by what its name says it is; the first one the route's
# converter accepts is used.
COUNTRY_SAMPLE, PERIOD_SAMPLE = "HK", "2020-H2"
FALLBACK_SAMPLES = [COUNTRY_SAMPLE, PERIOD_SAMPLE, "1", "sample"]


@dataclass(frozen=True)
class PublicRoute:
    name: str  # e.g. "public:country"
    template: str  # e.g. "/countries/{code}/"
    params: tuple[str, ...]
    converters: tuple  # one per param; None for a regex group
    localized: bool = False  # under i18n_patterns: the page exists in every language

    def url(self, **values: str) -> str:
        """The URL with each parameter replaced by ``values`` (percent-encoded, any text)."""
        return self.template.format(**{name: quote(values[name], safe="") for name in self.params})

    def sample_url(self) -> str:
        return self.url(**{n: sample_value(n, c) for n, c in zip(self.params, self.converters, strict=True)})

    def in_language(self, language: str, url: str | None = None) -> str:
        """``url`` (the sample URL by default) in ``language``: under its prefix, except in the
        default language."""
        from django.conf import settings

        url = url or self.sample_url()
        return url if language == settings.LANGUAGE_CODE else f"/{language}{url}"


def _accepts(converter, value: str) -> bool:
    if converter is None:
        return True
    if not re.fullmatch(converter.regex, value):
        return False
    try:
        converter.to_python(value)
    except ValueError:
        return False
    return True


def sample_value(name: str, converter) -> str:
    lowered = name.lower()
    preferred = []
    if "country" in lowered or lowered in {"cc", "code", "iso", "iso_code"}:
        preferred.append(COUNTRY_SAMPLE)
    if "period" in lowered:
        preferred.append(PERIOD_SAMPLE)
    for candidate in preferred + FALLBACK_SAMPLES:
        if _accepts(converter, candidate):
            return candidate
    raise AssertionError(f"No sample value for path parameter {name!r}; add one in tests/public_urls.py")


def _template(pattern) -> tuple[str, tuple[str, ...], tuple]:
    """A route's text with ``{name}`` slots, its parameter names and their converters."""
    if isinstance(pattern, LocalePrefixPattern):
        return "", (), ()  # the default language's URLs have no prefix
    if isinstance(pattern, RoutePattern):
        params = tuple(pattern.converters)
        text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern._route))
        return text, params, tuple(pattern.converters[name] for name in params)
    if isinstance(pattern, RegexPattern):
        regex = pattern._regex
        params = tuple(re.findall(r"\(\?P<(\w+)>", regex))
        text = re.sub(r"\(\?P<(\w+)>[^()]*\)", r"{\1}", regex).lstrip("^").rstrip("$").replace("\\", "")
        if re.search(r"[()\[\]*+?|]", text):
            raise AssertionError(f"Cannot turn the regex route {regex!r} into a URL; use path() instead")
        return text, params, (None,) * len(params)
    raise AssertionError(f"Unknown URL pattern type {type(pattern).__name__}")


def public_routes() -> list[PublicRoute]:
    """Every named route under the ``public`` namespace, in URLconf order."""
    routes: list[PublicRoute] = []

    def walk(patterns, prefix: str, params: tuple, converters: tuple, public: bool, localized=False) -> None:
        for entry in patterns:
            is_public = public or getattr(entry, "namespace", None) == NAMESPACE
            if not is_public and isinstance(entry, URLPattern):
                continue
            try:
                text, own_params, own_converters = _template(entry.pattern)
            except AssertionError:
                if is_public:
                    raise
                continue  # e.g. the admin's regex routes: not public, nothing below is
            if isinstance(entry, URLResolver):
                walk(
                    entry.url_patterns,
                    prefix + text,
                    params + own_params,
                    converters + own_converters,
                    is_public,
                    localized or isinstance(entry.pattern, LocalePrefixPattern),
                )
            elif entry.name:
                routes.append(
                    PublicRoute(
                        f"{NAMESPACE}:{entry.name}",
                        "/" + prefix + text,
                        params + own_params,
                        converters + own_converters,
                        localized,
                    )
                )

    walk(get_resolver().url_patterns, "", (), (), False)
    return routes
