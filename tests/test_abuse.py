"""Hostile input never breaks a public URL: arbitrary text, unicode, huge and repeated parameters,
broken percent-encoding, odd conditional headers and arbitrary path segments get 200, 304, 400 or
404 — never a 500.

The URLs come from the URLconf's ``public`` namespace (tests/public_urls.py), so every page added
there is covered without touching this file. Examples are derandomized (tests/conftest.py).
"""

from __future__ import annotations

import datetime
from urllib.parse import quote, urlencode

import pytest
from django.http import Http404, HttpResponse
from django.urls import include, path, reverse
from hypothesis import example, given
from hypothesis import strategies as st

from requests_app.models import FigureRow, PauseDecision
from requests_app.urls import urlpatterns as public_urlpatterns
from tests.factories import FigureRowFactory, PauseDecisionFactory, PublicationFactory, UserFactory
from tests.public_urls import public_routes

pytestmark = pytest.mark.django_db

ANSWERS = {200, 304, 400, 404}
# A page addressed by a path parameter may send a reader to the canonical address (``/countries/hk/``
# to ``/countries/HK/``); anything else is an answer from ANSWERS.
REDIRECTS = {301, 302, 308}

DATA_FILTERS = ["period", "country", "request_type", "version", "status"]
OTHER_NAMES = ["page", "sort", "o", "ordering", "format", "q", "callback", "period[]", "__all__", ""]

# --- strategies ------------------------------------------------------------------------------

any_text = st.text(st.characters(codec="utf-8"), max_size=40)
latin1_text = st.text(st.characters(codec="latin-1"), max_size=60)
# Up to ~60 kB: well past what reaches Django in production (gunicorn refuses a request line over
# 4094 bytes), small enough that one request stays far inside the deadline.
huge = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["9", "A", "2020-H2,", "HK,", "é", "%", "\x00"]),
    st.integers(min_value=1_000, max_value=20_000),
)
tricky = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "HK\x00",
        "'",
        '"',
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "2020-H3",
        "0000-H1",
        "1899-H2",
        "9999-H2",
        "2020-H2\n",
        "２０２０-H2",
        "-1",
        "0",
        "1",
        "2",
        "99999999999999999999999",
        "1e9",
        "NaN",
        "0x10",
        "hk",
        "ZZ",
        "XK",
        "EU",
        "ＨＫ",
        "H\u200bK",
        "\u202eKH",
        "𝕳𝕶",
        "LEGAL_PROCESS",
        "emergency,preservation",
        ",,,",
        "paused,lifted",
        "☃",
    ]
)
valid = st.sampled_from(["2020-H1", "2020-H2", "HK", "DE", "US", "legal_process", "emergency", "paused", "1"])
value = st.one_of(valid, tricky, any_text, huge)
name = st.one_of(st.sampled_from(DATA_FILTERS + OTHER_NAMES), any_text)
query = st.lists(st.tuples(name, value), max_size=8).map(lambda pairs: urlencode(pairs))
# Raw query strings, including broken escapes (%ZZ, a lone %, invalid UTF-8 such as %FF%FE).
raw_query = st.text(st.sampled_from("%&=;+#?,.-_ HKhk019AFZfz\\/[]"), max_size=60).map(
    lambda text: text.replace(" ", "%20")
)
conditional_headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_IF_NONE_MATCH": st.one_of(latin1_text, st.sampled_from(["*", '"x"', 'W/"x"', '"', ","])),
        "HTTP_IF_MODIFIED_SINCE": st.one_of(
            latin1_text, st.sampled_from(["Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"])
        ),
        "HTTP_ACCEPT_LANGUAGE": latin1_text,
    },
)
method = st.sampled_from(["get", "head"])


# --- data ------------------------------------------------------------------------------------


@pytest.fixture
def published(db):
    """Two published periods (one revised), a published pause and an unpublished draft: enough
    for valid filter values to reach the real queries."""
    first = PublicationFactory(period="2020-H1", version=1)
    second_v1 = PublicationFactory(period="2020-H2", version=1)
    second_v2 = PublicationFactory(period="2020-H2", version=2, note="Corrected counts.")
    for publication in (first, second_v1, second_v2):
        for country in ("HK", "DE", "US"):
            FigureRowFactory(publication=publication, country=country)
    PauseDecisionFactory(country="HK")
    PauseDecisionFactory(
        country="RU",
        status=PauseDecision.Status.ASSESSING,
        effective_from=datetime.date(2022, 3, 1),
        is_published=False,
    )
    assert FigureRow.objects.count() == 9


def assert_answered(response, url: str, *, redirect_ok: bool = False) -> None:
    allowed = ANSWERS | (REDIRECTS if redirect_ok else set())
    assert response.status_code in allowed, (url, response.status_code, response.content[:500])
    if response.status_code in REDIRECTS:
        assert response["Location"].startswith("/"), response["Location"]  # never off-site
    assert b"Traceback" not in response.content


ROUTES = public_routes()
PARAMETERISED = [route for route in ROUTES if route.params]


def test_the_public_urls_come_from_the_urlconf():
    names = {route.name for route in ROUTES}
    # The pages that exist on main; pages added later are found the same way.
    assert {"public:overview", "public:data", "public:requests-csv", "public:requests-json"} <= names
    assert {"public:pauses-csv", "public:pauses-json"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_hostile_query_strings_on_every_public_url(client, published, route):
    base = route.sample_url()
    assert client.get(base).status_code in (200, 404), base  # the sample itself is a real page

    @given(query=query, headers=conditional_headers, verb=method)
    @example(query="period=2020-H2&" * 1_001, headers={}, verb="get")  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    @example(query="country=%00", headers={}, verb="get")
    @example(query="period=%FF%FE&country=%C0%AF", headers={}, verb="get")  # invalid UTF-8
    @example(query="version=" + "9" * 5_000 + "&period=2020-H2", headers={}, verb="get")
    def check(query, headers, verb):
        url = f"{base}?{query}" if query else base
        assert_answered(getattr(client, verb)(url, **headers), url)

    check()


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_raw_and_broken_query_strings_on_every_public_url(client, published, route):
    base = route.sample_url()

    @given(raw=raw_query)
    def check(raw):
        url = f"{base}?{raw}"
        assert_answered(client.get(url), url)

    check()


DATA_URLS = [route for route in ROUTES if route.template.startswith("/data/") and route.template != "/data/"]


@pytest.mark.parametrize("route", DATA_URLS, ids=lambda route: route.name)
def test_data_filters_with_mixed_good_and_bad_values(client, published, route):
    """Each /data/ filter, repeated or comma-joined, valid values mixed with junk; unknown
    parameters alongside. A valid query is a 200, anything else a 400 — never a 500."""

    @given(
        filters=st.dictionaries(
            st.sampled_from(DATA_FILTERS), st.lists(value, min_size=1, max_size=4), min_size=1, max_size=4
        ),
        joined=st.booleans(),
        unknown=st.lists(st.tuples(any_text, any_text), max_size=2),
    )
    def check(filters, joined, unknown):
        pairs = []
        for key, values in filters.items():
            pairs += [(key, ",".join(values))] if joined else [(key, item) for item in values]
        url = f"{route.sample_url()}?{urlencode(pairs + unknown)}"
        response = client.get(url)
        assert_answered(response, url)
        assert response.status_code in (200, 400), url

    check()


def fuzz_path_segments(client, route) -> None:
    @given(
        segments=st.fixed_dictionaries({param: st.one_of(any_text, tricky, huge) for param in route.params})
    )
    @example(segments=dict.fromkeys(route.params, "\x00"))
    @example(segments=dict.fromkeys(route.params, "hk"))
    @example(segments=dict.fromkeys(route.params, "A" * 10_000))
    def check(segments):
        url = route.url(**segments)
        assert_answered(client.get(url), url, redirect_ok=True)

    check()


@pytest.mark.skipif(not PARAMETERISED, reason="no public URL takes a path parameter yet")
@pytest.mark.parametrize("route", PARAMETERISED, ids=lambda route: route.name)
def test_arbitrary_path_segments_on_every_parameterised_url(client, published, route):
    fuzz_path_segments(client, route)


# --- the machinery itself, on a stand-in URLconf with a parameterised public page -------------


def stand_in_country_page(request, code, period=None):
    """Looks the code up the naive way a page might: straight into the database."""
    rows = FigureRow.objects.filter(country=code)
    if period is not None:
        rows = rows.filter(publication__period=period)
    if not rows.exists():
        raise Http404("No such country")
    return HttpResponse(f"country {code}")


stand_in_patterns = [
    path("countries/<str:code>/", stand_in_country_page, name="country"),
    path("periods/<str:period>/countries/<str:code>/", stand_in_country_page, name="period-country"),
    # the rest of the site, which its page templates link to
    *(pattern for pattern in public_urlpatterns if pattern.name != "country"),
]
urlpatterns = [path("", include((stand_in_patterns, "public")))]


@pytest.mark.urls(__name__)
def test_parameterised_routes_are_found_and_filled(client, published):
    routes = {route.name: route for route in public_routes()}
    assert routes["public:country"].sample_url() == "/countries/HK/"
    assert routes["public:period-country"].sample_url() == "/periods/2020-H2/countries/HK/"
    assert routes["public:country"].url(code="a/b?c#d") == f"/countries/{quote('a/b?c#d', safe='')}/"
    assert client.get("/countries/HK/").status_code == 200
    # A NUL byte in a path segment is refused before it reaches a database query (PostgreSQL
    # cannot take one in a string and would raise); anything else is looked up and not found.
    assert client.get("/countries/HK%00/").status_code == 400
    assert client.get("/countries/%F0%9D%95%B3/").status_code == 404
    fuzz_path_segments(client, routes["public:period-country"])


def test_nul_in_a_desk_search_or_a_cookie_is_400(client, published):
    """A crafted session cookie reached PostgreSQL's session lookup and was a 500 there; the
    guard answers 400 to NUL anywhere in the URL or a cookie, the desk's search included."""
    client.force_login(UserFactory(is_superuser=True))
    changelist = reverse("admin:requests_app_datarequest_changelist")
    assert client.get(changelist, {"q": "REQ"}).status_code == 200
    assert client.get(changelist, {"q": "REQ\x00"}).status_code == 400
    client.logout()
    # A quoted cookie value may carry an octal escape; Django's cookie parser decodes it to NUL.
    response = client.get(reverse("admin:index"), HTTP_COOKIE='sessionid="abcdefgh\\000"')
    assert response.status_code == 400
    assert "Bad request" in response.text
