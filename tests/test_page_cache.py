"""The public page cache (requests_app/caching.py): served before the rest of the middleware,
keyed by a public-state token that database triggers change on every write behind the pages."""

from __future__ import annotations

import datetime
import io
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import OperationalError, ProgrammingError, connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from redis import exceptions as redis_exceptions

from requests_app import caching, selectors, services
from requests_app.jurisdictions import FIXED_CODES
from requests_app.models import FigureRow, LegalProcess, PauseDecision, Product, Publication
from tests.factories import (
    DataRequestFactory,
    FigureRowFactory,
    LegalProcessFactory,
    PauseDecisionFactory,
    ProductFactory,
    PublicationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)
CACHED_URLS = ["/", "/countries/", "/countries/HK/", "/paused/", "/methodology/", "/data/"]
CACHED_URLS += ["/data/requests.json", "/data/requests.csv", "/data/pauses.json", "/data/pauses.csv"]
CACHED_URLS += ["/paused/feed.atom", "/publications/feed.atom", "/countries/HK/feed.atom"]


@pytest.fixture
def published(db):
    FigureRowFactory(country="HK")
    return PauseDecisionFactory(country="HK", effective_from=D(2020, 7, 6))


# --- the token ---------------------------------------------------------------------------------


def changes_token(write) -> bool:
    before = selectors.public_state_token()
    write()
    return selectors.public_state_token() != before


def saved_with(**changes):
    pause = PauseDecision.objects.get(country="HK")
    for name, value in changes.items():
        setattr(pause, name, value)
    pause.save()


def test_every_kind_of_write_behind_the_pages_changes_the_token(published):
    """Triggers, not application code: a service, a model save, a queryset update, a delete and
    raw SQL all count, on PostgreSQL and SQLite alike, when they change something public."""
    pause = PauseDecision.objects.get()
    row = FigureRow.objects.get()
    writes = {
        "a pause through the services": lambda: services.pause_update(pause=pause, public_statement="New."),
        "a pause saved": lambda: saved_with(status=PauseDecision.Status.REDIRECTED),
        "pauses updated in bulk": lambda: PauseDecision.objects.update(exceptions_policy="None at all."),
        "a pause's country": lambda: PauseDecision.objects.update(country="MO"),
        "a pause's end date set": lambda: PauseDecision.objects.update(ended_on=D(2021, 1, 1)),
        "a pause's public-change stamp": lambda: PauseDecision.objects.update(public_revision=99),
        "a new publication": lambda: PublicationFactory(period="2022-H1"),
        "a publication's note": lambda: Publication.objects.filter(period="2022-H1").update(note="Fixed."),
        "a figure row": lambda: FigureRow.objects.filter(pk=row.pk).update(requests=row.requests + 1),
        "a legal process renamed": lambda: services.catalog_update(
            entry=LegalProcess.objects.get(code="subpoena"), name="Subpoena (grand jury)"
        ),
        "a product defined": lambda: services.catalog_define(model=Product, code="maps", name="Maps"),
        "a product described": lambda: Product.objects.update(description="Where you went."),
        "a product deleted": lambda: services.catalog_delete(entry=Product.objects.get(code="maps")),
        "a history row of a published pause removed": lambda: pause.history.filter(
            history_id=pause.history.earliest().history_id
        ).delete(),
        "a published pause deleted": lambda: PauseDecisionFactory(country="RU").delete(),
        "raw SQL": lambda: connection.cursor().execute(
            f"UPDATE {PauseDecision._meta.db_table} SET public_statement = 'SQL'"
        ),
    }
    unchanged = [name for name, write in writes.items() if not changes_token(write)]
    assert unchanged == []


def test_work_on_drafts_and_requests_changes_nothing_a_visitor_can_observe(client, published):
    """Not even whether a page was just re-rendered (X-Page-Cache, timing)."""
    client.get("/paused/")
    draft = PauseDecisionFactory(country="RU", is_published=False)
    writes = {
        "a draft created": lambda: PauseDecisionFactory(country="BY", is_published=False),
        "a draft edited": lambda: services.pause_update(pause=draft, public_statement="Not yet."),
        "a draft deleted": lambda: PauseDecision.objects.filter(country="BY").delete(),
        "a request logged": lambda: DataRequestFactory(country="HK"),
    }
    changed = [name for name, write in writes.items() if changes_token(write)]
    assert changed == []
    assert client.get("/paused/")["X-Page-Cache"] == "hit"
    # Nor does internal work on a published decision, however it is written.
    hk = PauseDecision.objects.get(country="HK")
    internal = {
        "through the services": lambda: services.pause_update(
            pause=hk, internal_rationale="Re-read.", next_review_on=D(2027, 1, 1), trigger="NSL."
        ),
        "who decided": lambda: services.pause_update(
            pause=PauseDecision.objects.get(pk=hk.pk), decided_by=UserFactory()
        ),
        "a model save": lambda: saved_with(internal_rationale="Saved again.", allowed_exceptions=[]),
        "a save that changes nothing": lambda: PauseDecision.objects.get(pk=hk.pk).save(),
        "an update in bulk": lambda: PauseDecision.objects.update(internal_rationale="Bulk."),
        "raw SQL": lambda: connection.cursor().execute(
            f"UPDATE {PauseDecision._meta.db_table} SET trigger = 'SQL', next_review_on = NULL"
        ),
    }
    changed = [name for name, write in internal.items() if changes_token(write)]
    assert changed == []
    assert client.get("/paused/")["X-Page-Cache"] == "hit"
    # Publishing it is a change, and so is withdrawing it again.
    assert changes_token(lambda: services.pause_publish(decision=PauseDecision.objects.get(country="RU")))
    assert changes_token(lambda: services.pause_unpublish(decision=PauseDecision.objects.get(country="RU")))


def test_the_managed_lists_the_pages_show_change_the_token(client, published):
    """Legal processes and products: their names head the country page's tables and the
    methodology page lists them with their descriptions, in their order."""
    product = ProductFactory(code="messaging", name="Messenger")
    publication = PublicationFactory(period="2021-H1")
    for code in ("subpoena", "search_warrant"):
        FigureRowFactory(publication=publication, country="US", legal_process_id=code, product_id="messaging")
    writes = {
        "a legal process renamed through the services": lambda: services.catalog_define(
            model=LegalProcess, code="subpoena", name="Grand jury subpoena", description="Issued by a clerk."
        ),
        "a product's description": lambda: Product.objects.filter(pk=product.pk).update(description="Chats."),
        "a product moved in the list": lambda: Product.objects.filter(pk=product.pk).update(position=7),
        "a legal process added": lambda: LegalProcessFactory(code="order_2703d"),
        "a legal process removed": lambda: LegalProcess.objects.filter(code="order_2703d").delete(),
        "raw SQL": lambda: connection.cursor().execute(f"UPDATE {Product._meta.db_table} SET name = 'Chat'"),
    }
    unchanged = [name for name, write in writes.items() if not changes_token(write)]
    assert unchanged == []

    for url in ("/methodology/", "/countries/US/"):
        assert client.get(url)["X-Page-Cache"] == "miss"
        assert client.get(url)["X-Page-Cache"] == "hit"
    services.catalog_define(model=LegalProcess, code="search_warrant", name="Warrant (judge-issued)")
    for url in ("/methodology/", "/countries/US/"):
        response = client.get(url)
        assert response["X-Page-Cache"] == "miss" and "Warrant (judge-issued)" in response.text, url


# --- the middleware ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", CACHED_URLS)
def test_a_hit_costs_one_query_and_answers_exactly_what_the_miss_did(client, published, url):
    miss = client.get(url)
    assert miss.status_code == 200 and miss["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        hit = client.get(url)
    assert hit["X-Page-Cache"] == "hit"
    assert [q["sql"] for q in queries] == ["SELECT token FROM requests_app_publicstate WHERE id = 1"]
    assert hit.content == miss.content
    for name in SECURITY_HEADERS + ("Content-Type", "ETag", "Last-Modified", "Cache-Control"):
        assert hit.get(name) == miss.get(name), name
    assert all(miss.get(name) for name in SECURITY_HEADERS)
    assert not hit.cookies


def test_a_page_is_fresh_once_something_public_changes(client, published):
    assert "New statement" not in client.get("/paused/").text
    client.get("/paused/")  # a hit
    services.pause_update(pause=published, public_statement="New statement for Hong Kong.")
    fresh = client.get("/paused/")
    assert fresh["X-Page-Cache"] == "miss" and "New statement for Hong Kong." in fresh.text


def test_a_hit_answers_304_to_a_client_that_holds_the_file(client, published):
    first = client.get("/data/requests.csv")
    assert client.get("/data/requests.csv")["X-Page-Cache"] == "hit"
    again = client.get("/data/requests.csv", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    stale = client.get("/data/requests.csv", HTTP_IF_NONE_MATCH='"something-else"')
    assert stale.status_code == 200 and stale.content == first.content


def test_bad_parameters_and_unknown_pages_are_never_stored(client, published):
    for url in ("/data/requests.json?period=2099-H9", "/countries/?period=nonsense", "/countries/ZZ/"):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code in (400, 404), url
            assert "X-Page-Cache" not in response, url


def test_answers_that_set_a_cookie_or_vary_by_cookie_are_never_stored():
    def marked(**headers):
        response = HttpResponse("page")
        setattr(response, caching.MARK, True)
        for name, value in headers.items():
            response[name] = value
        return response

    assert caching.storable(marked())
    with_cookie = marked()
    with_cookie.set_cookie("sessionid", "x")
    assert not caching.storable(with_cookie)
    assert not caching.storable(marked(Vary="Accept-Encoding, Cookie"))
    assert not caching.storable(HttpResponse("an unmarked view"))


def test_the_desk_never_touches_the_page_cache(admin_client, published):
    with mock.patch.object(caching, "current_token", side_effect=AssertionError("token read")):
        assert admin_client.get("/" + settings.ADMIN_URL).status_code == 200
        assert admin_client.get(f"/{settings.ADMIN_URL}requests_app/pausedecision/").status_code == 200


def test_posts_are_never_answered_from_the_cache(client, published):
    client.get("/")
    assert client.post("/").status_code == 405  # the view's answer, not the stored page


# --- a connection lost between requests ------------------------------------------------------


def test_the_token_query_reconnects_once_after_a_lost_connection(client, published):
    real = selectors.public_state_token
    calls = []

    def lost_once():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real()

    client.get("/")  # the connection is open from here on
    with (
        mock.patch.object(connection, "in_atomic_block", False),
        mock.patch.object(connection, "close") as close,
        mock.patch.object(selectors, "public_state_token", side_effect=lost_once),
    ):
        assert client.get("/").status_code == 200
    assert len(calls) == 2 and close.called


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates a PostgreSQL backend")
def test_pages_survive_the_database_dropping_the_connection(client, published):
    """What a PostgreSQL restart does to each app process's connection: the next page must
    not be a 503 (CONN_HEALTH_CHECKS' ping is folded into the token query)."""
    assert client.get("/").status_code == 200
    backend = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    assert client.get("/").status_code == 200
    assert connection.connection.info.backend_pid != backend
    assert client.get(f"/{settings.ADMIN_URL}login/").status_code == 200


def test_parameters_a_view_ignores_share_one_entry(client, published):
    assert client.get("/methodology/")["X-Page-Cache"] == "miss"
    for junk in ("?utm_source=1", "?utm_source=2&x=y", "?&&", "?%75tm=1"):
        assert client.get("/methodology/" + junk)["X-Page-Cache"] == "hit", junk
    # The view's own parameters, however ordered, encoded or padded, are one entry per value.
    first = client.get("/countries/?request_type=emergency&sort=-requests")
    assert first["X-Page-Cache"] == "miss"
    for same in ("?sort=-requests&request_type=emergency", "?&%73ort=-requests&request_type=emergency&utm=1"):
        again = client.get("/countries/" + same)
        assert again["X-Page-Cache"] == "hit" and again.content == first.content, same


def test_parameters_a_strict_view_refuses_bypass_the_cache(client, published):
    client.get("/data/requests.json")
    refused = client.get("/data/requests.json?utm_source=1")
    assert refused.status_code == 400 and "utm_source" in refused.text
    assert "X-Page-Cache" not in refused


def test_distinct_pages_cannot_grow_a_process_cache_without_bound(client, published, settings):
    """Every distinct page is an entry; the local cache keeps at most PAGE_CACHE_ENTRIES."""
    if settings.REDIS_URL:
        pytest.skip("the bound is Redis's maxmemory policy")
    assert settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"] == settings.PAGE_CACHE_ENTRIES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20},
        }
    }
    codes = sorted(FIXED_CODES)[:30]
    for code in codes:
        assert client.get(f"/countries/{code}/")["X-Page-Cache"] == "miss"
    assert len(caches["default"]._cache) <= 20
    assert client.get(f"/countries/{codes[-1]}/")["X-Page-Cache"] == "hit"  # the newest stay


def test_a_cached_page_is_refused_to_a_host_not_allowed(client, published):
    assert client.get("/")["X-Page-Cache"] == "miss"
    assert client.get("/", HTTP_HOST="attacker.example").status_code == 400


@pytest.mark.parametrize(
    "failure",
    [
        ("get", redis_exceptions.ReadOnlyError("You can't write against a read only replica.")),
        ("set", redis_exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'")),
        ("get", redis_exceptions.ConnectionError("Connection refused")),
    ],
    ids=["read-only", "full", "gone"],
)
def test_a_redis_that_refuses_means_pages_served_uncached(client, published, failure):
    method, error = failure
    with mock.patch.object(caching.cache, method, side_effect=error):
        for _ in range(2):
            response = client.get("/countries/HK/")
            assert response.status_code == 200 and "X-Page-Cache" not in response


def test_a_database_not_yet_migrated_means_pages_rendered_not_a_500(client, published):
    """New code started before `migrate` (no public-state table yet): the view decides."""
    missing = ProgrammingError('relation "requests_app_publicstate" does not exist')
    with mock.patch.object(selectors, "public_state_token", side_effect=missing):
        response = client.get("/paused/")
    assert response.status_code == 200 and "X-Page-Cache" not in response


def test_refresh_public_pages_puts_back_lost_triggers(client, published):
    """E.g. a restore with triggers disabled, or a table rebuilt without them."""
    table = "requests_app_pausedecision"
    with connection.cursor() as cursor:
        for event in ("insert", "update", "delete"):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {table}_public_state_{event} ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER {table}_public_state_{event}")
    assert not changes_token(lambda: PauseDecision.objects.update(public_statement="Lost."))
    assert changes_token(lambda: call_command("refresh_public_pages", stdout=io.StringIO()))
    assert changes_token(lambda: PauseDecision.objects.update(public_statement="Seen again."))


def register_as_shown() -> list:
    return [
        (entry.decision.pk, [(c.date, c.changes, c.status_label) for c in entry.changes])
        for entry in selectors.pause_register_entries()
    ]


def test_a_version_added_to_the_history_changes_the_token_exactly_when_the_register_shows_it(published):
    """The history triggers compare a new published version with the one before it, as the
    register does: a copy (what an internal edit adds) shows nothing and changes nothing."""
    history = PauseDecision.history.model
    first = history.objects.get(id=published.pk)
    names = [f.attname for f in history._meta.fields if f.attname != "history_id"]

    def add_version(day: int, **changes):
        values = {name: getattr(first, name) for name in names}
        values.update(history_date=first.history_date + datetime.timedelta(days=day), **changes)
        history.objects.create(**values)

    versions = {
        "a copy of the latest (an internal edit)": lambda: add_version(2, internal_rationale="x"),
        "a new public statement": lambda: add_version(3, public_statement="Changed."),
        "the same statement again": lambda: add_version(4, public_statement="Changed.", trigger="y"),
        "an unpublished version": lambda: add_version(5, public_statement="Draft.", is_published=False),
        "back to the first statement": lambda: add_version(6),
        "a copy dated between two equal versions": lambda: add_version(1),
        "another country, dated in the middle": lambda: add_version(3, country="MO"),
    }
    seen = {}
    for name, write in versions.items():
        before = register_as_shown()
        seen[name] = (changes_token(write), register_as_shown() != before)
    assert seen == {
        "a copy of the latest (an internal edit)": (False, False),
        "a new public statement": (True, True),
        "the same statement again": (False, False),
        "an unpublished version": (False, False),
        "back to the first statement": (True, True),
        "a copy dated between two equal versions": (False, False),
        "another country, dated in the middle": (True, True),
    }
