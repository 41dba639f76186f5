"""The Atom feeds: /paused/feed.atom, /publications/feed.atom and /countries/<CC>/feed.atom.

Read with a real Atom parser (feedparser) and checked against RFC 4287's required elements; what
they show passes the same visibility gate as the pages, their entry ids never change, and they
answer conditional requests and come from the page cache like the /data/ files.
"""

from __future__ import annotations

import datetime
import itertools
import xml.etree.ElementTree as ET
from unittest import mock

import feedparser
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from requests_app import services
from requests_app.models import PauseDecision, Publication
from tests.factories import (
    DataRequestFactory,
    FigureRowFactory,
    InternationalBodyFactory,
    PauseDecisionFactory,
    PublicationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ["/paused/feed.atom", "/publications/feed.atom", "/countries/HK/feed.atom"]
HK_TAG = "tag:testserver,2020:pause-HK-2020-07-06"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


class Clock:
    """timezone.now() one hour later at each tick (HTTP dates have a resolution of a second)."""

    def __init__(self):
        self.now = at(2024, 1, 1, 12)

    def tick(self):
        self.now += datetime.timedelta(hours=1)


@pytest.fixture
def clock():
    moving = Clock()
    with mock.patch.object(timezone, "now", lambda: moving.now):
        yield moving


def required_element_problems(content: bytes) -> list[str]:
    """What RFC 4287 requires and a parser forgives: the feed's id, title, updated, author (or one
    on every entry) and self link; each entry's id, title, updated and link; ids unique."""
    root = ET.fromstring(content)
    problems = []
    if root.tag != f"{ATOM}feed":
        return [f"root is {root.tag}"]
    for name in ("id", "title", "updated"):
        if not (root.findtext(f"{ATOM}{name}") or "").strip():
            problems.append(f"feed without {name}")
    if not any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link")):
        problems.append("feed without a self link")
    entries = root.findall(f"{ATOM}entry")
    if root.find(f"{ATOM}author/{ATOM}name") is None and any(
        e.find(f"{ATOM}author/{ATOM}name") is None for e in entries
    ):
        problems.append("no author")
    ids = []
    for entry in entries:
        for name in ("id", "title", "updated"):
            if not (entry.findtext(f"{ATOM}{name}") or "").strip():
                problems.append(f"entry without {name}")
        if entry.find(f"{ATOM}link") is None:
            problems.append("entry without a link")
        ids.append(entry.findtext(f"{ATOM}id"))
    if len(ids) != len(set(ids)):
        problems.append("duplicate entry ids")
    return problems


def read_feed(client, url: str, **headers):
    """The feed at ``url``, parsed; it must be well-formed Atom 1.0 with every required element."""
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    assert parsed.version == "atom10", url
    assert required_element_problems(response.content) == [], url
    parsed.response = response
    return parsed


def entries_by_id(parsed) -> dict:
    return {entry.id: entry for entry in parsed.entries}


def comparable(parsed) -> dict:
    """Each entry as a reader stores it: id -> (title, updated, summary)."""
    return {entry.id: (entry.title, entry.updated, entry.summary) for entry in parsed.entries}


# --- the demo ----------------------------------------------------------------------------------


@pytest.fixture
def demo(db):
    call_command("seed_demo", scale=0.02)


def test_the_demo_feeds_are_valid_atom_with_the_hong_kong_decision_and_its_history(client, demo):
    paused = read_feed(client, "/paused/feed.atom")
    assert paused.feed.title == "Transparency report: the pause register"
    assert paused.feed.link == "http://testserver/paused/"
    entries = entries_by_id(paused)
    # Hong Kong: published while assessing on 3 July 2020, paused from 6 July.
    first, second = entries[f"{HK_TAG}/1"], entries[f"{HK_TAG}/2"]
    assert first.title == "Hong Kong: Assessing from 6 July 2020 (published)"
    assert first.updated == "2020-07-03T12:00:00+00:00"
    assert second.title == "Hong Kong: status Assessing → Paused"
    assert second.updated == "2020-07-06T12:00:00+00:00"
    assert second.link == "http://testserver/paused/#pause-HK-2020-07-06"
    for entry in (first, second):
        assert "We have paused the review of all legal-process requests" in entry.summary
        assert "https://example.org/newsroom/2020/07/hong-kong-requests" in entry.summary
        assert "imminent threat to life or serious physical injury" in entry.summary
    assert "Status: Assessing → Paused" in second.summary
    assert [e.id for e in paused.entries if "RU" in e.id] == ["tag:testserver,2020:pause-RU-2022-03-04/1"]
    # The statement in Traditional Chinese, published a few days later, is a change of its own.
    third = entries[f"{HK_TAG}/3"]
    assert third.updated == "2020-07-09T10:00:00+00:00"
    assert "Traditional Chinese" in third.title and "香港" in third.summary
    assert len(paused.entries) == 4  # the Belarus draft is not one of them
    # Newest first.
    assert [e.updated for e in paused.entries] == sorted((e.updated for e in paused.entries), reverse=True)

    publications = read_feed(client, "/publications/feed.atom")
    periods = set(Publication.objects.values_list("period", flat=True))
    assert {e.id for e in publications.entries} == {
        f"tag:testserver,2020:publication-{period}/1" for period in periods
    }

    hong_kong = read_feed(client, "/countries/HK/feed.atom")
    assert hong_kong.feed.title == "Transparency report: Hong Kong"
    ids = {e.id for e in hong_kong.entries}
    assert {f"{HK_TAG}/1", f"{HK_TAG}/2"} <= ids
    assert not any("RU" in i for i in ids)
    # The publications with figures for Hong Kong, each counting its requests.
    hk_periods = {e.id.rsplit(":", 1)[1] for e in hong_kong.entries if "publication-" in e.id}
    assert hk_periods and hk_periods <= {f"publication-{p}/1" for p in periods}
    assert all("Hong Kong: " in e.summary for e in hong_kong.entries if "publication-" in e.id)


# --- the gate ----------------------------------------------------------------------------------

CANARIES = [
    "CANARY-RATIONALE",
    "CANARY-TRIGGER",
    "CANARY-DRAFT",
    "canary-draft-url",
    "CANARY-WITHDRAWN",
    "CANARY-NOTE",
    "Quibbleworth",
    "Xanthippe",
    "rev.canary",
    "threat_to_life",  # the code of an allowed exception (the policy's text is public)
    "child_safety",
    "2031-09-17",  # the next review
    "17 September 2031",
    "2021-H1",  # a period with requests, never published
]


@pytest.fixture
def world_with_secrets(db):
    reviewer = UserFactory(username="rev.canary", first_name="Xanthippe", last_name="Quibbleworth")
    for country, received in [("HK", D(2020, 3, 1)), ("DE", D(2020, 9, 1)), ("HK", D(2020, 9, 1))]:
        DataRequestFactory(
            country=country, received_on=received, assignee=reviewer, internal_notes="CANARY-NOTE"
        )
    DataRequestFactory(country="MO", received_on=D(2021, 2, 1), internal_notes="CANARY-NOTE")
    hk = PauseDecisionFactory(
        country="HK",
        effective_from=D(2020, 7, 6),
        internal_rationale="CANARY-RATIONALE",
        trigger="CANARY-TRIGGER",
        decided_by=reviewer,
        next_review_on=D(2031, 9, 17),
        allowed_exceptions=["threat_to_life", "child_safety"],
    )
    # Internal-only edits of a published decision: versions in its history, no public change.
    hk, _ = services.pause_update(pause=hk, internal_rationale="CANARY-RATIONALE again", actor=reviewer)
    hk, _ = services.pause_update(pause=hk, trigger="CANARY-TRIGGER again", next_review_on=D(2031, 9, 17))
    PauseDecisionFactory(
        country="BY",
        effective_from=D(2020, 2, 1),
        is_published=False,
        public_statement="CANARY-DRAFT statement",
        statement_url="https://example.org/canary-draft-url",
        exceptions_policy="CANARY-DRAFT exceptions",
        internal_rationale="CANARY-RATIONALE",
        decided_by=reviewer,
    )
    withdrawn = PauseDecisionFactory(
        country="VE", effective_from=D(2021, 1, 4), public_statement="CANARY-WITHDRAWN statement"
    )
    services.pause_unpublish(decision=withdrawn)
    # Published after its draft wording was rewritten: the draft is in its history, never public.
    drafted, _ = services.pause_create(
        country="TR",
        effective_from=D(2021, 5, 3),
        status=PauseDecision.Status.ASSESSING,
        public_statement="CANARY-DRAFT wording",
        internal_rationale="CANARY-RATIONALE",
    )
    drafted, _ = services.pause_update(
        pause=drafted, public_statement="We are assessing requests from Turkey."
    )
    services.pause_publish(decision=drafted)
    services.period_publish(period="2020-H1", actor=reviewer)
    services.period_publish(period="2020-H2", actor=reviewer)
    services.period_publish(period="2020-H2", actor=reviewer, note="Second look at the emergencies.")
    # 2021-H1 has requests but is never published.
    return hk


def test_nothing_internal_or_unpublished_appears_in_any_feed(client, world_with_secrets):
    urls = ["/paused/feed.atom", "/publications/feed.atom"]
    urls += [f"/countries/{code}/feed.atom" for code in ("HK", "DE", "MO", "BY", "VE", "US")]
    for url in urls:
        parsed = read_feed(client, url)
        body = parsed.response.content.decode()
        for canary in CANARIES:
            assert canary not in body, (canary, url)

    paused = read_feed(client, "/paused/feed.atom")
    # One entry for Hong Kong (the internal edits made none) and Turkey, none for the draft and the
    # withdrawn decision.
    assert sorted(e.id for e in paused.entries) == [
        f"{HK_TAG}/1",
        "tag:testserver,2020:pause-TR-2021-05-03/1",
    ]
    for code in ("BY", "VE", "MO"):
        assert read_feed(client, f"/countries/{code}/feed.atom").entries == [], code
    revision = entries_by_id(read_feed(client, "/publications/feed.atom"))[
        "tag:testserver,2020:publication-2020-H2/2"
    ]
    assert revision.title == "2020-H2 revised: version 2"
    assert "Second look at the emergencies." in revision.summary


def test_an_internal_edit_changes_no_feed_at_all(client, clock, world_with_secrets):
    before = {url: client.get(url) for url in FEEDS}
    for changes in (
        {"internal_rationale": "CANARY-RATIONALE, third pass"},
        {"trigger": "CANARY-TRIGGER, revised"},
        {"next_review_on": D(2032, 1, 1)},
        {"decided_by": UserFactory()},
        {"allowed_exceptions": ["other"]},
    ):
        clock.tick()
        services.pause_update(pause=PauseDecision.objects.get(country="HK"), **changes)
        for url, response in before.items():
            again = client.get(url)
            assert again.content == response.content, (url, changes)
            assert again["ETag"] == response["ETag"] and again["Last-Modified"] == response["Last-Modified"]
            assert again["X-Page-Cache"] == "hit", (url, changes)


# --- stable ids, dates of public changes -------------------------------------------------------


def test_entry_ids_never_change_and_each_public_change_adds_one_entry(client, clock, world_with_secrets):
    hk = world_with_secrets
    seen = {url: comparable(read_feed(client, url)) for url in FEEDS}
    assert seen == {url: comparable(read_feed(client, url)) for url in FEEDS}  # a second fetch

    # Unrelated changes: another jurisdiction's decision, another period, an internal edit.
    clock.tick()
    PauseDecisionFactory(country="RU", effective_from=D(2022, 3, 4), status=PauseDecision.Status.REDIRECTED)
    DataRequestFactory(country="HK", received_on=D(2019, 8, 1))
    services.period_publish(period="2019-H2")
    services.pause_update(pause=PauseDecision.objects.get(pk=hk.pk), internal_rationale="CANARY-RATIONALE 4")
    for url in FEEDS:
        now = comparable(read_feed(client, url))
        assert {i: now[i] for i in seen[url]} == seen[url], url  # every entry as it was
    assert "tag:testserver,2020:pause-RU-2022-03-04/1" in comparable(read_feed(client, "/paused/feed.atom"))
    assert "tag:testserver,2020:publication-2019-H2/1" in comparable(
        read_feed(client, "/countries/HK/feed.atom")
    )

    # Hong Kong's decision changes in public: its start, then lifted. The entry id keeps the
    # anchor it was first published under; the link follows the decision.
    clock.tick()
    services.pause_update(pause=PauseDecision.objects.get(pk=hk.pk), effective_from=D(2020, 7, 7))
    clock.tick()
    services.pause_lift(pause=PauseDecision.objects.get(pk=hk.pk), ended_on=D(2023, 5, 1))
    for url in ("/paused/feed.atom", "/countries/HK/feed.atom"):
        entries = entries_by_id(read_feed(client, url))
        assert {i: comparable_entry(entries[i]) for i in seen[url]} == seen[url], url
        moved, lifted = entries[f"{HK_TAG}/2"], entries[f"{HK_TAG}/3"]
        assert moved.title == "Hong Kong: effective from 2020-07-06 → 2020-07-07"
        assert moved.updated == "2024-01-01T14:00:00+00:00"  # when it became public
        assert lifted.title == "Hong Kong: status Paused → Lifted; ended on — → 2023-05-01"
        assert lifted.updated == "2024-01-01T15:00:00+00:00"
        assert "<strong>Lifted</strong> from 7 July 2020 to 1 May 2023" in lifted.summary
        assert lifted.link == "http://testserver/paused/#pause-HK-2020-07-07"


def comparable_entry(entry) -> tuple:
    return (entry.title, entry.updated, entry.summary)


def test_a_changed_statement_is_an_entry_with_the_new_statement(client, clock, world_with_secrets):
    clock.tick()
    services.pause_update(
        pause=world_with_secrets,
        public_statement="We continue to pause requests; see our updated assessment.",
        exceptions_policy="Threat to life, and child safety.",
    )
    entry = entries_by_id(read_feed(client, "/paused/feed.atom"))[f"{HK_TAG}/2"]
    assert entry.title == "Hong Kong: public statement changed; exceptions policy changed"
    assert "We continue to pause requests; see our updated assessment." in entry.summary
    assert "Threat to life, and child safety." in entry.summary
    assert entry.updated == "2024-01-01T13:00:00+00:00"


def test_a_withdrawn_decision_leaves_the_feeds_and_a_republished_one_keeps_its_ids(
    client, world_with_secrets
):
    hk = world_with_secrets
    before = comparable(read_feed(client, "/paused/feed.atom"))
    services.pause_unpublish(decision=hk)
    assert not any("HK" in e.id for e in read_feed(client, "/paused/feed.atom").entries)
    hong_kong = read_feed(client, "/countries/HK/feed.atom").entries
    assert hong_kong and all("publication-" in e.id for e in hong_kong)  # its figures stay
    services.pause_publish(decision=PauseDecision.objects.get(pk=hk.pk))
    assert comparable(read_feed(client, "/paused/feed.atom")) == before


def test_an_empty_feed_is_valid_and_the_same_at_any_time(client, clock):
    first = read_feed(client, "/paused/feed.atom")
    assert first.entries == [] and first.feed.updated == "2020-01-01T00:00:00+00:00"
    cache.clear()
    clock.tick()
    assert client.get("/paused/feed.atom").content == first.response.content


def test_feed_level_updated_is_the_last_public_change(client, world_with_secrets):
    parsed = read_feed(client, "/paused/feed.atom")
    stamp = PauseDecision.objects.filter(public_changed_at__isnull=False).latest("public_changed_at")
    assert parsed.feed.updated_parsed[:6] == stamp.public_changed_at.utctimetuple()[:6]


# --- HTTP: validators, methods, addresses ------------------------------------------------------


@pytest.mark.parametrize("url", FEEDS)
def test_conditional_requests_answer_304_until_something_public_changes(client, world_with_secrets, url):
    first = client.get(url)
    assert first["ETag"] and first["Last-Modified"] and first["Cache-Control"] == "public, no-cache"
    for cached in (False, True):  # rendered by the view, then replayed from the page cache
        if not cached:
            cache.clear()
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and not again.content, cached
        assert again["ETag"] == first["ETag"]
        since = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304, cached
    services.pause_update(
        pause=PauseDecision.objects.get(country="HK"), public_statement="A new public statement."
    )
    services.period_publish(period="2020-H1", note="Recounted.")
    fresh = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200 and fresh["ETag"] != first["ETag"]


def test_a_cached_feed_is_fresh_once_something_public_changes(client, world_with_secrets):
    for url in FEEDS:
        assert client.get(url)["X-Page-Cache"] == "miss"
        assert client.get(url)["X-Page-Cache"] == "hit"
    services.pause_update(
        pause=PauseDecision.objects.get(country="HK"), public_statement="A statement nobody has read yet."
    )
    for url in ("/paused/feed.atom", "/countries/HK/feed.atom"):
        fresh = client.get(url)
        assert fresh["X-Page-Cache"] == "miss" and "A statement nobody has read yet." in fresh.text, url
    PublicationFactory(period="2019-H1", note="A period nobody has read yet.")
    fresh = client.get("/publications/feed.atom")
    assert fresh["X-Page-Cache"] == "miss" and "A period nobody has read yet." in fresh.text


def test_each_host_gets_its_own_links_and_ids_from_the_cache(client, world_with_secrets, settings):
    settings.ALLOWED_HOSTS = ["testserver", "reports.example.org"]
    here = read_feed(client, "/paused/feed.atom")
    there = read_feed(client, "/paused/feed.atom", HTTP_HOST="reports.example.org")
    assert there.response["X-Page-Cache"] == "miss"
    assert "tag:reports.example.org,2020:pause-HK-2020-07-06/1" in [e.id for e in there.entries]
    assert there.feed.link == "http://reports.example.org/paused/"
    assert here.response["ETag"] != there.response["ETag"]
    again = read_feed(client, "/paused/feed.atom")
    assert again.response["X-Page-Cache"] == "hit" and again.response.content == here.response.content
    assert client.get("/paused/feed.atom", HTTP_HOST="evil.example.com").status_code == 400


@pytest.mark.parametrize("url", FEEDS)
def test_feeds_answer_get_and_head_only(client, world_with_secrets, url):
    assert client.head(url).status_code == 200
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)(url).status_code == 405, method


def test_a_jurisdiction_feed_is_found_like_its_page(client, world_with_secrets):
    assert client.get("/countries/ZQ/feed.atom").status_code == 404
    assert client.get("/countries/HKG/feed.atom").status_code == 404
    lower = client.get("/countries/hk/feed.atom")
    assert lower.status_code == 301 and lower["Location"] == "/countries/HK/feed.atom"
    InternationalBodyFactory(code="XP", name="Interpol")
    parsed = read_feed(client, "/countries/XP/feed.atom")
    assert parsed.feed.title == "Transparency report: Interpol" and parsed.entries == []


def test_the_pages_link_their_feeds(client, world_with_secrets):
    alternate = '<link rel="alternate" type="application/atom+xml" href="{}"'
    assert alternate.format("/paused/feed.atom") in client.get("/paused/").text
    overview = client.get("/").text
    assert alternate.format("/publications/feed.atom") in overview
    assert alternate.format("/paused/feed.atom") in overview
    country = client.get("/countries/HK/").text
    assert alternate.format("/countries/HK/feed.atom") in country
    assert 'href="/countries/HK/feed.atom" type="application/atom+xml"' in country
    data = client.get("/data/").text
    for url in ("/paused/feed.atom", "/publications/feed.atom", "/countries/HK/feed.atom"):
        assert f'href="{url}"' in data, url


# --- cost --------------------------------------------------------------------------------------


def grow_history(step: int) -> None:
    """More of everything a feed lists: decisions, public versions of them, publications."""
    for n, code in enumerate(("RU", "TR", "IN", "BR")):
        decision = PauseDecisionFactory(
            country=code,
            status=PauseDecision.Status.LIFTED,
            effective_from=D(2021, 1, 1 + n + step * 5),
            ended_on=D(2021, 6, 1),
        )
        for k in range(3):
            decision, _ = services.pause_update(
                pause=decision, public_statement=f"Statement {step}.{k}, {code}."
            )
    for n in range(3):
        publication = PublicationFactory(period=f"{2010 + step * 3 + n}-H1")
        for code in ("HK", "DE", "RU"):
            FigureRowFactory(publication=publication, country=code)
    services.pause_update(
        pause=PauseDecision.objects.get(country="HK"), public_statement=f"Hong Kong statement {step}."
    )


# The page cache's token; the view's savepoint and its release; the validators (both states for
# a jurisdiction); the entries: the decisions and their public history, the publications with
# their totals; the international bodies' names (read once per request, wherever a name is).
FEED_QUERIES = {"/paused/feed.atom": 7, "/publications/feed.atom": 5, "/countries/HK/feed.atom": 9}


@pytest.mark.parametrize("url", FEED_QUERIES)
def test_a_feed_costs_a_fixed_number_of_queries_however_long_its_history(
    client, world_with_secrets, url, django_assert_num_queries
):
    for step in range(3):
        cache.clear()
        with django_assert_num_queries(FEED_QUERIES[url]):
            assert client.get(url)["X-Page-Cache"] == "miss"
        grow_history(step)
    assert len(read_feed(client, "/paused/feed.atom").entries) > 30


def test_every_feed_url_is_public_and_covered_by_the_abuse_and_outage_tests():
    from tests.public_urls import public_routes

    templates = {route.template for route in public_routes()}
    assert {"/paused/feed.atom", "/publications/feed.atom", "/countries/{code}/feed.atom"} <= templates


def test_every_combination_of_feed_and_host_stays_well_formed(client, world_with_secrets, settings):
    settings.ALLOWED_HOSTS = ["testserver", "[::1]", "reports.example.org"]
    urls = FEEDS + ["/countries/DE/feed.atom"]
    for url, host in itertools.product(urls, ["testserver", "[::1]:8000", "reports.example.org:8443"]):
        read_feed(client, url, HTTP_HOST=host)
