"""Acceptance: every public page in Traditional Chinese has no English interface string left.

The demo data set (and what it lacks: an international body, a revision, a lifted decision whose
public text changed) is crawled in zh-hant: every page of the ``public`` namespace
(tests/public_urls.py) and its variants (filters, a bad filter, a page that does not exist). The
visible text (and what a screen reader or a tooltip reads: title, aria-label, placeholder, alt)
is scanned for

* an English message of the catalogue shown as it is, untranslated;
* any English word that is not a code (request types, column and parameter names, jurisdiction
  codes, file names), an acronym or proper name of the allowlist below, or data the desk keeps in
  English (the managed lists' names and descriptions, international bodies, statements, notes),
  which the pages mark ``lang="en"`` where they show it as text.

Statements (``<blockquote>``) are the publisher's text, in whatever languages the register keeps
them; ``<code>`` shows codes.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

from requests_app import choices, exports, services
from requests_app.models import (
    InternationalBody,
    LegalProcess,
    NationalSecurityCategory,
    PauseDecision,
    Product,
    Publication,
)
from tests.factories import FigureRowFactory, InternationalBodyFactory, PauseDecisionFactory
from tests.public_urls import public_routes

pytestmark = pytest.mark.django_db

LANGUAGE = "zh-hant"
CATALOGUE = Path(__file__).resolve().parent.parent / "locale/zh_Hant/LC_MESSAGES/django.po"
VARIANTS = [
    "/countries/HK/",
    "/countries/US/",
    "/countries/RU/",
    "/countries/UN/",
    "/countries/XP/",
    "/countries/ZW/",  # no figures, no decision
    "/countries/?request_type=emergency&sort=-percent",
    "/countries/?product=messaging",
    "/countries/?q=%E9%A6%99%E6%B8%AF",
    "/countries/?period=1999-H1",  # a 400 with the reasons
    "/countries/?q=%E6%B2%92%E6%9C%89",  # matches nothing
    "/no-such-page/",  # the 404 page
]
# Acronyms, standards and proper names a Hong Kong reader reads as they are.
ALLOWED_WORDS = {
    "CSV", "JSON", "ISO", "MLAT", "FISA", "CC", "BY", "USA", "FREEDOM", "Act", "U", "S", "C", "UTF",
    "BOM", "HTTP", "ETag", "UTC", "YYYY", "Python", "alpha", "N", "null", "true", "false", "Atom",
}  # fmt: skip
ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class VisibleText(HTMLParser):
    """The text a reader sees or hears, without what is marked English, statements and codes."""

    SKIPPED = {"script", "style", "code", "blockquote"}
    VOID = {"meta", "link", "br", "img", "input", "hr", "rect", "circle", "line", "path", "polyline"}

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.stack: list[bool] = []  # per open element: is its content skipped

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skipped = (
            (self.stack and self.stack[-1])
            or tag in self.SKIPPED
            or (attributes.get("lang") or "").lower().startswith("en")
        )
        if not skipped:
            self.texts += [attributes[name] for name in ATTRIBUTES if attributes.get(name)]
            if tag == "meta" and attributes.get("name") == "description":
                self.texts.append(attributes.get("content") or "")
        if tag not in self.VOID:
            self.stack.append(bool(skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.texts]


def english_messages() -> set[str]:
    """The catalogue's English messages of two letters or more that are translated differently."""
    messages = set()
    for entry in polib.pofile(str(CATALOGUE)):
        for msgid in filter(None, (entry.msgid, entry.msgid_plural)):
            if "%(" not in msgid and "<" not in msgid and len(WORD.findall(msgid)) and entry.msgstr != msgid:
                messages.add(" ".join(msgid.replace("%%", "%").split()))
    return messages


def codes() -> set[str]:
    """Every code a page may show: choices, columns, parameters, list entries, file names."""
    values = set()
    for name in dir(choices):
        kind = getattr(choices, name)
        if isinstance(kind, type) and hasattr(kind, "values"):
            values |= set(kind.values)
    documented = (exports.FIGURE_COLUMNS, exports.REASON_COLUMNS, exports.BAND_COLUMNS, exports.PAUSE_COLUMNS)
    values |= {column.name for columns in documented for column in columns}
    values |= {"period", "country", "request_type", "legal_process", "product", "version", "category"}
    values |= {"status"}
    values |= {"results", "schema_version", "generated_from", "published_at", "revised", "note", "source"}
    values |= {"requests", "pauses", "outcomes", "national_security", "csv", "json", "data", "methodology"}
    for model in (LegalProcess, Product, NationalSecurityCategory):
        values |= set(model.objects.values_list("code", flat=True))
    return values


def data_texts() -> list[str]:
    """Text the desk writes and keeps in English, longest first (removed before the scan)."""
    texts = []
    for model in (LegalProcess, Product, NationalSecurityCategory, InternationalBody):
        for name, description in model.objects.values_list("name", "description"):
            texts += [name, description]
    for decision in PauseDecision.objects.filter(is_published=True):
        texts += [decision.public_statement, decision.exceptions_policy, decision.statement_url]
    texts += list(Publication.objects.values_list("note", flat=True))
    return sorted({" ".join(text.split()) for text in texts if text}, key=len, reverse=True)


def english_left(text: str, *, data: list[str], allowed: set[str]) -> list[str]:
    for value in data:
        text = text.replace(value, " ")
    text = re.sub(r"\b\d{4}-H[12]\b|\b[\w.-]+\.(?:csv|json)\b|/[\w/.-]*", " ", text)
    return [
        word
        for word in WORD.findall(text)
        if word not in allowed and not re.fullmatch(r"[A-Z]{2}|H[12]|\d\w*", word)
    ]


@pytest.fixture
def demo(settings):
    settings.DEBUG = False  # the real 404 page, not Django's technical one
    call_command("seed_demo", scale=0.03)
    # What the demo lacks: an international body with figures, a revised period, a lifted
    # decision whose public text changed (its history shows the old and new text).
    InternationalBodyFactory(code="XP", name="Interpol")
    latest = Publication.objects.order_by("-period", "-version").first()
    revised = services.period_publish(period=latest.period, note="Two Interpol requests were counted twice.")
    FigureRowFactory(publication=revised, country="XP", requests=3, requests_with_data_produced=1)
    lifted = PauseDecisionFactory(
        country="MM", status=PauseDecision.Status.PAUSED, effective_from=datetime.date(2021, 2, 1)
    )
    lifted, _ = services.pause_update(pause=lifted, exceptions_policy="Threat to life, and child safety.")
    services.pause_lift(pause=lifted, ended_on=datetime.date(2022, 3, 1))


def test_no_public_page_in_chinese_shows_an_english_interface_string(client, demo):
    pages = [route for route in public_routes() if route.localized]
    # The files are English; the Atom feeds are XML (tests/test_feeds.py reads them in Chinese).
    routes = [route for route in pages if not route.name.endswith(("csv", "json", "feed"))]
    urls = [route.in_language(LANGUAGE) for route in routes] + [f"/{LANGUAGE}{path}" for path in VARIANTS]
    assert len(routes) >= 6
    messages, allowed, data = english_messages(), codes() | ALLOWED_WORDS, data_texts()
    problems = []
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        assert 'lang="zh-Hant-HK"' in response.text, url
        for text in visible_texts(response.text):
            if text in messages:
                problems.append((url, "untranslated message", text))
            elif left := english_left(text, data=data, allowed=allowed):
                problems.append((url, " ".join(left), text[:120]))
    assert problems == [], "\n".join(map(str, problems))


def test_the_scan_finds_an_untranslated_string():
    """The scan above can fail: an English message, or English words, are found."""
    assert "Methodology" in english_messages()
    page = '<p>Figures per period</p><p lang="en">Search warrant</p><p>搜查令 <code>search_warrant</code></p>'
    texts = visible_texts(page)
    assert texts == ["Figures per period", "搜查令"]
    assert english_left("Figures per period", data=[], allowed=set()) == ["Figures", "per", "period"]
    assert english_left("2020-H2 的 requests.csv：HK", data=[], allowed=set()) == []
