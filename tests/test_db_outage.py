"""While the database is unreachable every page answers 503 "temporarily unavailable" (nothing
internal, nothing cached) and answers normally again once it is back, without a restart.

The outage is simulated by making the connection refuse to open, as it does while PostgreSQL is
down; `make loadtest` shows the same with a real PostgreSQL restart under load.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import InterfaceError, OperationalError, ProgrammingError, connections
from django.db.backends.utils import CursorWrapper
from django.urls import reverse

from tests.factories import FigureRowFactory, PauseDecisionFactory, UserFactory
from tests.public_urls import public_routes

pytestmark = pytest.mark.django_db

# What psycopg says when PostgreSQL is down, with details a reader must never see.
CANARY = "10.20.30.40"
REFUSED = OperationalError(
    f'connection failed: connection to server at "{CANARY}", port 5432 failed: Connection refused'
)


def database_down():
    return mock.patch.object(connections["default"], "ensure_connection", side_effect=REFUSED)


@pytest.fixture
def published(db):
    FigureRowFactory(country="HK")
    PauseDecisionFactory(country="HK")


def assert_unavailable(response, url: str, *, inside_view: bool = True) -> None:
    assert response.status_code == 503, (url, response.status_code)
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    if url.endswith(".json"):
        assert response.json()["error"] == "temporarily unavailable"
    else:
        assert "Temporarily unavailable" in body and "try again" in body
    assert CANARY not in body and "Traceback" not in body and "OperationalError" not in body
    # Still a page of this site: the security headers are set as on every other answer (only
    # the middleware outside the one that failed can add theirs).
    assert response["X-Content-Type-Options"] == "nosniff"
    if inside_view:
        assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("route", public_routes(), ids=lambda route: route.name)
def test_every_public_url_answers_503_while_the_database_is_down_and_recovers(client, published, route):
    url = route.sample_url()
    with database_down():
        assert_unavailable(client.get(url), url)
    assert client.get(url).status_code in (200, 404)  # back at once, same process


def test_the_desk_answers_503_for_a_signed_in_reviewer(client, published):
    client.force_login(UserFactory(is_superuser=True))
    url = reverse("admin:requests_app_datarequest_changelist")
    with database_down():
        assert_unavailable(client.get(url), url)
    assert client.get(url).status_code == 200


def every_query_fails_with(error):
    """The connection opens, then each query raises ``error`` (e.g. the server went away)."""
    return mock.patch.object(CursorWrapper, "execute", side_effect=error)


def test_a_lost_connection_mid_request_is_503(client, published):
    with every_query_fails_with(InterfaceError("connection already closed")):
        assert_unavailable(client.get("/"), "/")


def test_a_database_failure_outside_the_view_is_503_too(client, published):
    """E.g. saving a session after the view ran: handled by handler500, not by the view."""
    client.raise_request_exception = False
    with mock.patch.object(SessionMiddleware, "process_response", side_effect=REFUSED):
        assert_unavailable(client.get("/data/"), "/data/", inside_view=False)


def test_other_database_errors_stay_500(client, published):
    """A bug (bad SQL) is not an outage: it must not hide behind "try again later"."""
    client.raise_request_exception = False
    with every_query_fails_with(ProgrammingError("column does not exist")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text


def test_the_redis_page_cache_down_serves_the_pages_uncached(client, published, settings):
    """With REDIS_URL set the page cache is Redis; unreachable, the public pages and files are
    rendered for every request instead: never a 500, and nothing to wait for."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    for url in ("/", "/countries/HK/", "/data/requests.json", "/data/pauses.csv"):
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "X-Page-Cache" not in response, url
