"""The public site in English (today's URLs) and Traditional Chinese for Hong Kong (/zh-hant/):
the language comes from the path alone, every page links to itself in the other language, the
page cache never serves one language's page for the other, and the /data/ files are the same
bytes in every language."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from requests_app import jurisdictions
from requests_app.periods import human_duration
from tests.factories import (
    FigureRowFactory,
    InternationalBodyFactory,
    PauseDecisionFactory,
    PublicationFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
PAGES = ["/", "/countries/", "/countries/HK/", "/paused/", "/methodology/", "/data/"]
FILES = ["/data/requests.csv", "/data/requests.json", "/data/pauses.csv", "/data/pauses.json"]
FILES += ["/data/outcomes.csv", "/data/outcomes.json", "/data/national_security.csv"]


@pytest.fixture
def published(db):
    publication = PublicationFactory(period="2020-H2")
    FigureRowFactory(publication=publication, country="HK", requests=1234, accounts_specified=2345)
    FigureRowFactory(publication=publication, country="DE", requests=12)
    return PauseDecisionFactory(country="HK", effective_from=D(2020, 7, 6))


def zh(path: str) -> str:
    return "/zh-hant" + path


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


# --- the language is the path's -------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_at_its_url_in_english_and_under_zh_hant_in_chinese(client, published, path):
    english, chinese = client.get(path), client.get(zh(path))
    assert english.status_code == chinese.status_code == 200
    assert html_lang(english.text) == "en" and english["Content-Language"] == "en"
    assert html_lang(chinese.text) == "zh-Hant-HK" and chinese["Content-Language"] == "zh-hant"
    assert "透明度報告" in chinese.text and "透明度報告" not in english.text
    assert "Transparency report" in english.text


def test_a_header_or_cookie_never_changes_the_language_of_a_url(client, published):
    """English stays at today's URLs whatever the browser says: a link to /countries/HK/ is an
    English page for everyone, and never redirects."""
    for headers in ({"HTTP_ACCEPT_LANGUAGE": "zh-HK,zh;q=0.9"}, {"HTTP_ACCEPT_LANGUAGE": "zh-hant"}):
        response = client.get("/countries/HK/", **headers)
        assert response.status_code == 200 and html_lang(response.text) == "en"
    client.cookies["django_language"] = "zh-hant"
    assert html_lang(client.get("/countries/HK/").text) == "en"
    client.cookies.pop("django_language")
    response = client.get(zh("/countries/HK/"), HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(response.text) == "zh-Hant-HK"


# --- the same page in the other language ----------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/countries/?period=2020-H2&sort=-requests"])
def test_every_page_links_to_itself_in_the_other_language(client, published, path):
    english, chinese = client.get(path).text, client.get(zh(path)).text
    link = re.escape(zh(path).replace("&", "&amp;"))
    assert re.search(rf'<a href="{link}" hreflang="zh-Hant-HK" lang="zh-Hant-HK">繁體中文</a>', english)
    back = re.escape(path.replace("&", "&amp;"))
    assert re.search(rf'<a href="{back}" hreflang="en" lang="en">English</a>', chinese)


@pytest.mark.parametrize("path", PAGES)
def test_both_languages_declare_the_same_absolute_alternates(client, published, path):
    expected = [
        ("en", f"http://testserver{path}"),
        ("zh-Hant-HK", f"http://testserver{zh(path)}"),
        ("x-default", f"http://testserver{path}"),
    ]
    for url in (path, zh(path)):
        page = client.get(url).text
        alternates = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page)
        assert alternates == expected


def test_the_navigation_marks_the_current_page_in_both_languages(client, published):
    for url in ("/paused/", zh("/paused/")):
        page = client.get(url).text
        assert re.search(r'<a href="[^"]*/paused/" aria-current="page">', page)


# --- what a Hong Kong reader reads ---------------------------------------------------------


def test_the_hong_kong_page_in_chinese(client, published):
    page = client.get(zh("/countries/HK/")).text
    assert "<h1>香港 <small>(HK)</small></h1>" in page
    assert "暫停處理" in page and "自2020年7月6日起" in page  # dates as Hong Kong writes them
    assert "要求（棒形）" in page and "收到要求的半年期" in page  # the chart's axes
    assert "1,234" in page and "2,345" in page  # numbers grouped by three, with commas
    assert 'href="/zh-hant/paused/#pause-HK-2020-07-06"' in page  # links stay in Chinese
    assert 'href="/data/requests.csv?country=HK"' in page  # the files have one address


def test_jurisdictions_are_named_and_found_in_the_readers_language(client, published):
    page = client.get(zh("/countries/")).text
    assert ">香港</a>" in page and ">德國</a>" in page
    for search in ("香港", "Hong", "hk"):
        rows = client.get(zh("/countries/"), {"q": search}).text
        assert ">香港</a>" in rows and ">德國</a>" not in rows, search
    with translation.override("zh-hant"):
        assert jurisdictions.name("UN") == "聯合國" and jurisdictions.name("XK") == "科索沃"


def test_an_added_international_bodys_name_is_marked_english_on_a_chinese_page(client, published):
    InternationalBodyFactory(code="XP", name="Interpol")
    FigureRowFactory(publication=PublicationFactory(period="2021-H1"), country="XP")
    chinese = client.get(zh("/countries/XP/")).text
    assert '<h1><span lang="en">Interpol</span> <small>(XP)</small></h1>' in chinese
    assert "<h1>Interpol <small>(XP)</small></h1>" in client.get("/countries/XP/").text


def test_durations_and_types_read_in_both_languages():
    assert human_duration(D(2020, 7, 6), D(2024, 12, 10)) == "4 years 5 months"
    with translation.override("zh-hant"):
        assert human_duration(D(2020, 7, 6), D(2024, 12, 10)) == "4年5個月"
        assert human_duration(D(2020, 7, 6), D(2020, 7, 18)) == "12日"


def test_the_column_dictionary_is_translated_and_the_columns_are_not(client, published):
    page = client.get(zh("/data/")).text
    assert "<code>requests_received_during_pause</code>" in page
    assert "在涵蓋該類別的已發布暫停處理決定對該國家／地區生效期間收到的要求" in page
    assert "<td>整數</td>" in page
    assert "本網站各語言版本的檔案完全相同" in page


# --- the /data/ files: one address, one language ---------------------------------------------


@pytest.mark.parametrize("path", FILES)
def test_a_data_file_is_the_same_whatever_the_page_language(client, published, path):
    english = client.get(path).content
    client.get(zh("/countries/HK/"))  # a Chinese page first, in the same thread
    assert client.get(path, HTTP_ACCEPT_LANGUAGE="zh-HK").content == english
    assert client.get(zh(path)).status_code == 404  # no second address
    if path == "/data/requests.csv":
        assert b"Hong Kong" in english and "香港".encode() not in english


def test_a_bad_filter_on_a_data_file_is_explained_in_english(client, published):
    response = client.get("/data/requests.csv?country=ZZZ", HTTP_ACCEPT_LANGUAGE="zh-HK")
    assert response.status_code == 400 and "is not a jurisdiction code" in response.text


# --- the page cache --------------------------------------------------------------------------


def test_the_same_path_in_two_languages_is_two_pages_in_the_cache(client, published):
    assert client.get("/countries/HK/")["X-Page-Cache"] == "miss"
    chinese = client.get(zh("/countries/HK/"))
    assert chinese["X-Page-Cache"] == "miss" and html_lang(chinese.text) == "zh-Hant-HK"
    assert client.get(zh("/countries/HK/"))["X-Page-Cache"] == "hit"
    english = client.get("/countries/HK/")
    assert english["X-Page-Cache"] == "hit" and html_lang(english.text) == "en"


def test_accept_language_never_fetches_a_cached_page_in_the_wrong_language(client, published):
    first = client.get("/paused/", HTTP_ACCEPT_LANGUAGE="zh-HK,zh;q=0.9")
    assert first["X-Page-Cache"] == "miss" and html_lang(first.text) == "en"
    again = client.get("/paused/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert again["X-Page-Cache"] == "hit" and html_lang(again.text) == "en"
    chinese = client.get(zh("/paused/"), HTTP_ACCEPT_LANGUAGE="en")
    assert chinese["X-Page-Cache"] == "miss" and html_lang(chinese.text) == "zh-Hant-HK"
    assert html_lang(client.get("/paused/", HTTP_ACCEPT_LANGUAGE="zh-hant").text) == "en"


@pytest.mark.parametrize("path", PAGES)
def test_a_page_makes_the_same_queries_in_both_languages(client, published, path, django_assert_num_queries):
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    english = len(captured)  # now: the next request empties the connection's log
    with django_assert_num_queries(english):  # the cache is keyed per language: a miss
        assert client.get(zh(path))["X-Page-Cache"] == "miss"


# --- error pages -----------------------------------------------------------------------------


def test_error_pages_speak_the_language_of_their_path(client, published, settings):
    settings.DEBUG = False
    chinese = client.get(zh("/no-such-page/"))
    assert chinese.status_code == 404 and "找不到網頁" in chinese.text
    assert '<a href="/zh-hant/">返回概覽</a>' in chinese.text and html_lang(chinese.text) == "zh-Hant-HK"
    english = client.get("/no-such-page/")
    assert "Page not found" in english.text and '<a href="/">Back to the overview</a>' in english.text
    assert client.get(zh("/countries/?period=nope")).status_code == 400
    assert "無法顯示這些參數" in client.get(zh("/countries/?period=nope")).text
    with translation.override("zh-hant"):
        unavailable = render_to_string("503.html")
        assert "暫時未能提供" in unavailable and 'href="/zh-hant/"' in unavailable
        assert "出現問題" in render_to_string("500.html")
    with translation.override("en"):
        assert "Temporarily unavailable" in render_to_string("503.html")


def test_the_desk_stays_english_whatever_the_browser_says(client):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="zh-HK,zh;q=0.9").text
    assert "Log in" in page and 'lang="en"' in page
    assert client.get(zh("/admin/login/")).status_code == 404
