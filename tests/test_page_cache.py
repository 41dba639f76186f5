"""The public page cache (requests_app/caching.py): served before the rest of the middleware,
keyed by a public-state token that database triggers change on every write behind the pages."""

from __future__ import annotations

import datetime
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from requests_app import caching, selectors, services
from requests_app.models import FigureRow, PauseDecision, Publication
from tests.factories import FigureRowFactory, PauseDecisionFactory, PublicationFactory

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


@pytest.fixture
def published(db):
    FigureRowFactory(country="HK")
    return PauseDecisionFactory(country="HK", effective_from=D(2020, 7, 6))


# --- the token ---------------------------------------------------------------------------------


def changes_token(write) -> bool:
    before = selectors.public_state_token()
    write()
    return selectors.public_state_token() != before


def test_every_kind_of_write_behind_the_pages_changes_the_token(published):
    """Triggers, not application code: a service, a model save, a queryset update, a delete and
    raw SQL all count, on PostgreSQL and SQLite alike."""
    pause = PauseDecision.objects.get()
    row = FigureRow.objects.get()
    writes = {
        "a pause through the services": lambda: services.pause_update(pause=pause, public_statement="New."),
        "a pause saved": lambda: PauseDecision.objects.get().save(),
        "pauses updated in bulk": lambda: PauseDecision.objects.update(exceptions_policy="Threat to life."),
        "a new publication": lambda: PublicationFactory(period="2022-H1"),
        "a publication's note": lambda: Publication.objects.filter(period="2022-H1").update(note="Fixed."),
        "a figure row": lambda: FigureRow.objects.filter(pk=row.pk).update(requests=row.requests + 1),
        "a pause deleted": lambda: PauseDecisionFactory(country="RU", is_published=False).delete(),
        "raw SQL": lambda: connection.cursor().execute(
            f"UPDATE {PauseDecision._meta.db_table} SET public_statement = 'SQL'"
        ),
    }
    unchanged = [name for name, write in writes.items() if not changes_token(write)]
    assert unchanged == []


def test_writes_elsewhere_leave_the_token_alone(published):
    from tests.factories import DataRequestFactory

    assert not changes_token(lambda: DataRequestFactory(country="HK"))


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


def test_hostile_query_strings_cannot_grow_the_cache_without_bound(client, published, settings):
    """Every distinct URL is an entry; the local cache keeps at most PAGE_CACHE_ENTRIES of them."""
    cache = caches["default"]
    if not isinstance(cache, LocMemCache):
        pytest.skip("the bound is Redis's maxmemory policy")
    for n in range(settings.PAGE_CACHE_ENTRIES + 50):
        assert client.get(f"/methodology/?utm_source={n}")["X-Page-Cache"] == "miss"
    assert len(cache._cache) <= settings.PAGE_CACHE_ENTRIES
    client.get("/methodology/")
    assert client.get("/methodology/")["X-Page-Cache"] == "hit"  # the cache still works


def test_a_cached_page_is_refused_to_a_host_not_allowed(client, published):
    assert client.get("/")["X-Page-Cache"] == "miss"
    assert client.get("/", HTTP_HOST="attacker.example").status_code == 400
