"""A pause statement in more than one language: entered in the desk, shown in the reader's
language (else the original, saying so), its history kept per language."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from requests_app import roles, selectors, services
from requests_app.models import PauseDecision
from requests_app.templatetags.report import statement_in
from tests.factories import PauseDecisionFactory, UserFactory
from tests.test_security_review import pause_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    from django.core.management import call_command

    call_command("seed_demo", scale=0.02)


ZH = "我們已暫停處理香港當局的要求。"


def test_a_translation_is_shown_to_its_readers_and_the_original_to_the_others():
    decision = PauseDecisionFactory(statement_translations={"zh-hant": ZH})
    shown = statement_in(decision, "zh-hant")
    assert (shown.text, shown.language) == (ZH, "zh-hant")
    assert "English" in shown.note  # a translation says what the original is
    english = statement_in(decision, "en-us")  # a variant of a report language reads that language
    assert (english.text, english.language, english.note) == (decision.public_statement, "en", "")


def test_without_a_translation_the_original_is_shown_and_the_page_says_so():
    decision = PauseDecisionFactory()
    shown = statement_in(decision, "zh-hant")
    assert (shown.text, shown.language) == (decision.public_statement, "en")
    assert "no published translation" in shown.note


@pytest.mark.parametrize(
    "translations, language, problem",
    [
        ({"fr": "Suspendu."}, "en", "keyed by a language of the report"),
        ({"zh-hant": "   "}, "en", "keyed by a language of the report"),
        ({"en": "Paused."}, "en", "its original, not a translation"),
    ],
)
def test_translations_are_checked(translations, language, problem):
    decision = PauseDecisionFactory.build(statement_translations=translations, statement_language=language)
    with pytest.raises(ValidationError) as raised:
        decision.full_clean()
    assert problem in raised.value.message_dict["statement_translations"][0]


def test_the_desk_enters_each_language_and_the_history_covers_each(client):
    decision = PauseDecisionFactory()
    publisher = UserFactory(username="publisher.zh")
    publisher.groups.add(Group.objects.get(name=roles.PUBLISHER))
    client.force_login(publisher)
    url = reverse("admin:requests_app_pausedecision_change", args=[decision.pk])
    assert "Statement translated into 繁體中文" in client.get(url).content.decode()
    response = client.post(url, pause_form(decision, translation_zh_hant=ZH))
    assert response.status_code == 302, response.content.decode()[:2000]
    decision.refresh_from_db()
    assert decision.statement_translations == {"zh-hant": ZH}
    assert decision.public_revision >= 1  # a public change: the register's validators move

    (entry,) = selectors.pause_register_entries(country="HK")
    assert ("public statement (Traditional Chinese)", "—", ZH) in entry.changes[-1].changes

    # The original's language cannot carry a translation.
    decision.refresh_from_db()
    response = client.post(url, pause_form(decision, translation_en="Paused."))
    assert response.status_code == 200
    assert "This is the statement&#x27;s own language" in response.content.decode()


def test_the_register_page_marks_the_language_of_what_it_shows(client):
    PauseDecisionFactory(statement_translations={"zh-hant": ZH})
    page = client.get(reverse("public:paused")).content.decode()
    assert '<blockquote lang="en">' in page and ZH not in page


def test_data_files_keep_the_original_statement_only(client):
    decision = PauseDecisionFactory(statement_translations={"zh-hant": ZH})
    rows = client.get("/data/pauses.json").json()["results"]
    assert [row["public_statement"] for row in rows] == [decision.public_statement]
    assert ZH not in client.get("/data/pauses.csv").content.decode()
    assert PauseDecision.objects.count() == 1


def test_a_chinese_reader_sees_the_chinese_statement_on_the_page_and_in_the_feed(client):
    decision = PauseDecisionFactory(statement_translations={"zh-hant": ZH})
    page = client.get("/zh-hant/paused/").content.decode()
    assert f'<blockquote lang="zh-hant">{ZH}</blockquote>' in page
    assert "譯本；聲明原以英語發表。" in page
    assert decision.public_statement not in page
    feed = client.get("/zh-hant/paused/feed.atom").content.decode()
    assert 'xml:lang="zh-Hant-HK"' in feed and ZH in feed
    assert ZH not in client.get("/paused/feed.atom").content.decode()


def test_without_a_translation_a_chinese_reader_is_told_it_is_the_original(client):
    decision = PauseDecisionFactory()
    page = client.get("/zh-hant/paused/").content.decode()
    assert f'<blockquote lang="en">{decision.public_statement}</blockquote>' in page
    assert "以英語發表；沒有已發表的繁體中文譯本。" in page


# --- what a second reviewer found: each closed, each shown ------------------------------------


def test_swapping_the_original_language_keeps_every_feed_and_the_history_readable(client):
    decision = PauseDecisionFactory(statement_translations={"zh-hant": ZH})
    english = decision.public_statement
    services.pause_update(
        pause=decision,
        statement_language="zh-hant",
        public_statement=ZH,
        statement_translations={"en": english},
    )
    for url in ("/paused/feed.atom", "/zh-hant/paused/feed.atom", "/countries/HK/feed.atom"):
        response = client.get(url)
        assert response.status_code == 200, url
    (entry,) = selectors.pause_register_entries(country="HK")
    labels = [label for label, _, _ in entry.changes[-1].changes]
    assert labels == ["public statement", "statement language", "public statement (English)",
                      "public statement (Traditional Chinese)"]  # fmt: skip
    # A long text's change is named in the entry's title, not copied into it.
    feed = client.get("/paused/feed.atom").content.decode()
    assert f"{ZH} →" not in feed.split("<summary")[0]


def test_the_desk_can_swap_the_original_language_or_clear_the_statement(client):
    decision = PauseDecisionFactory(statement_translations={"zh-hant": ZH})
    publisher = UserFactory(username="publisher.swap")
    publisher.groups.add(Group.objects.get(name=roles.PUBLISHER))
    client.force_login(publisher)
    url = reverse("admin:requests_app_pausedecision_change", args=[decision.pk])
    english = decision.public_statement
    swapped = pause_form(
        decision,
        statement_language="zh-hant",
        public_statement=ZH,
        translation_zh_hant="",
        translation_en=english,
    )
    assert client.post(url, swapped).status_code == 302
    decision.refresh_from_db()
    assert (decision.statement_language, decision.statement_translations) == ("zh-hant", {"en": english})
    # A translation without an original is the form's error, not a 500.
    orphan = pause_form(decision, public_statement="", statement_language="zh-hant", translation_en=english)
    response = client.post(url, orphan)
    assert response.status_code == 200
    assert "A translation needs the original statement." in response.content.decode()


def test_a_chinese_feed_links_to_the_files_at_their_one_address(client, demo):
    feed = client.get("/zh-hant/publications/feed.atom").content.decode()
    links = re.findall(r"http://testserver(/[^\"&<]*requests\.(?:csv|json))", feed)
    assert links and all(not link.startswith("/zh-hant/") for link in links)
    assert client.get(links[0]).status_code == 200
    assert "2020年" in client.get("/zh-hant/paused/feed.atom").content.decode()  # dates as the page


def test_a_cached_page_does_not_hand_a_visitors_tracking_tags_to_the_next_reader(client):
    PauseDecisionFactory()
    assert client.get("/countries/?utm_source=EVIL")["X-Page-Cache"] == "miss"
    response = client.get("/countries/")
    assert response["X-Page-Cache"] == "hit"  # the page stored for the first visitor
    assert "EVIL" not in response.content.decode()
