"""The /data/ API: figures equal counts made independently here, published snapshots never move,
nothing unpublished or internal leaks, bad filters get 400, queries stay bounded, 304s work."""

import csv
import datetime
import io
import itertools
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app import services
from requests_app.jurisdictions import FIXED_CODES
from requests_app.models import DataRequest
from requests_app.periods import Period
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
LEGAL, EMERGENCY, PRESERVATION = "legal_process", "emergency", "preservation"
TYPES = [LEGAL, EMERGENCY, PRESERVATION]

# DESIGN.md, "requests.csv columns, in order" (deliberately not imported from the code).
# /data/outcomes.csv, as documented on /data/.
OUTCOMES_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "country_code",
    "country_name",
    "request_type",
    "outcome_reason",
    "requests",
    "publication_version",
]
REQUESTS_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "country_code",
    "country_name",
    "request_type",
    "requests",
    "accounts_specified",
    "requests_with_data_produced",
    "percent_with_data_produced",
    "requests_received_during_pause",
    "requests_produced_under_pause_exception",
    "publication_version",
    "legal_process",
    "product",
    "median_days_to_decision",
]
PAUSES_COLUMNS = [
    "country_code",
    "country_name",
    "status",
    "request_types_covered",
    "holds_pending",
    "effective_from",
    "ended_on",
    "public_statement",
    "statement_url",
    "exceptions_policy",
    "last_changed",
]


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheets detect UTF-8 by it
    assert "\r\n" in body
    reader = csv.DictReader(io.StringIO(body[1:], newline=""))
    rows = list(reader)
    assert reader.fieldnames in (REQUESTS_COLUMNS, PAUSES_COLUMNS, OUTCOMES_COLUMNS)
    return rows


def read_json(response) -> dict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


# --- Figures: every figure of the CSV and JSON against counts made independently ------------

# The published decisions that count, written out by hand: (country, from, to, request types).
HOLDING = [
    ("HK", D(2020, 7, 6), None, {LEGAL}),
    ("US", D(2020, 2, 1), D(2020, 5, 31), {EMERGENCY, PRESERVATION}),
]


def held(country: str, request_type: str, day: datetime.date | None) -> bool:
    return day is not None and any(
        c == country and start <= day and (end is None or day <= end) and request_type in types
        for c, start, end, types in HOLDING
    )


def percent_half_up(produced: int, requests: int) -> str:
    tenths = (2000 * produced // requests + 1) // 2  # integer arithmetic: no float, no Decimal
    return f"{tenths // 10}.{tenths % 10}"


def build_requests() -> list[DataRequest]:
    rng = random.Random(20200706)
    made = []
    for period in (Period(2020, 1), Period(2020, 2)):
        for country in ["DE", "FR", "HK", "US", "CI"]:
            for _ in range(rng.randint(4, 12)):
                received = period.start + datetime.timedelta(days=rng.randint(0, 180))
                attrs = {
                    "country": country,
                    "received_on": received,
                    "request_type": rng.choice(TYPES),
                    "accounts_specified": rng.randint(1, 4),
                }
                if rng.random() < 0.25:
                    attrs["status"] = rng.choice(["received", "in_review", "withdrawn"])
                else:
                    attrs["status"] = "completed"
                    attrs["outcome"] = rng.choice(["all_data", "some_data", "no_data", "rejected"])
                    attrs["decided_on"] = received + datetime.timedelta(days=rng.randint(0, 60))
                    if country in ("HK", "US") and rng.random() < 0.5:
                        attrs["pause_exception"] = "threat_to_life"
                made.append(DataRequestFactory(**attrs))
    return made


def expected_figures(requests: list[DataRequest]) -> dict[tuple, dict]:
    expected: dict[tuple, dict] = {}
    for r in requests:
        period = Period(r.received_on.year, 1 if r.received_on.month <= 6 else 2)
        key = (period.label, r.country.code, r.request_type)
        row = expected.setdefault(
            key,
            {
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "requests": 0,
                "accounts_specified": 0,
                "requests_with_data_produced": 0,
                "requests_received_during_pause": 0,
                "requests_produced_under_pause_exception": 0,
            },
        )
        # A preservation request keeps data and discloses none (the methodology's rule).
        produced = r.outcome in ("all_data", "some_data") and r.request_type != PRESERVATION
        row["requests"] += 1
        row["accounts_specified"] += r.accounts_specified
        row["requests_with_data_produced"] += produced
        row["requests_received_during_pause"] += held(r.country.code, r.request_type, r.received_on)
        row["requests_produced_under_pause_exception"] += (
            produced
            and bool(r.pause_exception)
            and (
                held(r.country.code, r.request_type, r.received_on)
                or held(r.country.code, r.request_type, r.decided_on)
            )
        )
    for (_, _, request_type), row in expected.items():
        row["percent_with_data_produced"] = (
            ""
            if request_type == PRESERVATION
            else percent_half_up(row["requests_with_data_produced"], row["requests"])
        )
    return expected


@pytest.fixture
def published_two_periods():
    PauseDecisionFactory(country="HK", effective_from=D(2020, 7, 6), covers_legal_process=True)
    PauseDecisionFactory(
        country="US",
        status="redirected",
        effective_from=D(2020, 2, 1),
        ended_on=D(2020, 5, 31),
        covers_legal_process=False,
        covers_emergency=True,
        covers_preservation=True,
    )
    PauseDecisionFactory(
        country="FR", effective_from=D(2020, 1, 1), is_published=False, covers_emergency=True
    )
    requests = build_requests()
    services.period_publish(period="2020-H1")
    services.period_publish(period="2020-H2")
    return requests


def test_every_figure_of_the_csv_and_json_matches_independent_counts(client, published_two_periods):
    expected = expected_figures(published_two_periods)
    assert any(row["requests_received_during_pause"] for row in expected.values())
    assert any(row["requests_produced_under_pause_exception"] for row in expected.values())

    rows = read_csv(client.get("/data/requests.csv"))
    assert len(rows) == len(expected)
    for row in rows:
        want = expected[row["period"], row["country_code"], row["request_type"]]
        for column, value in want.items():
            assert row[column] == str(value), (row, column)
        assert row["publication_version"] == "1"
    assert {row["country_name"] for row in rows if row["country_code"] == "CI"} == {"Côte d'Ivoire"}

    body = read_json(client.get("/data/requests.json"))
    assert body["schema_version"] == 2
    assert [(p["period"], p["version"], p["source"]) for p in body["generated_from"]] == [
        ("2020-H1", 1, "computed"),
        ("2020-H2", 1, "computed"),
    ]
    assert len(body["results"]) == len(expected)
    for result in body["results"]:
        assert list(result) == REQUESTS_COLUMNS
        want = expected[result["period"], result["country_code"], result["request_type"]]
        for column, value in want.items():
            if column == "percent_with_data_produced":
                assert result[column] == (float(value) if value else None)
            else:
                assert result[column] == value, (result, column)


def test_filters_select_periods_countries_and_types(client, published_two_periods):
    rows = read_csv(client.get("/data/requests.csv", {"period": "2020-H2", "country": "hk"}))
    assert rows and {(r["period"], r["country_code"]) for r in rows} == {("2020-H2", "HK")}
    rows = read_csv(client.get("/data/requests.csv?period=2020-H1&period=2020-H2&request_type=emergency"))
    assert {r["period"] for r in rows} == {"2020-H1", "2020-H2"}
    assert {r["request_type"] for r in rows} == {"emergency"}
    rows = read_csv(client.get("/data/requests.csv", {"country": "HK,us"}))
    assert {r["country_code"] for r in rows} == {"HK", "US"}
    body = read_json(client.get("/data/requests.json", {"period": "2020-H1"}))
    assert [p["period"] for p in body["generated_from"]] == ["2020-H1"]
    assert {r["period"] for r in body["results"]} == {"2020-H1"}
    # A valid country without requests: a header row and nothing else, not an error.
    assert read_csv(client.get("/data/requests.csv", {"country": "AQ"})) == []


# --- Snapshot ----------------------------------------------------------------------------------


def test_published_figures_do_not_move_until_republished_and_old_versions_stay(client):
    kept = DataRequestFactory(
        received_on=D(2020, 3, 1), status="completed", outcome="all_data", decided_on=D(2020, 3, 5)
    )
    doomed = DataRequestFactory(received_on=D(2020, 3, 2), country="FR")
    services.period_publish(period="2020-H1")
    before_csv = client.get("/data/requests.csv").content
    before_json = client.get("/data/requests.json").content
    assert len(read_csv(client.get("/data/requests.csv"))) == 2

    kept.outcome, kept.accounts_specified = "rejected", 7
    kept.save()
    doomed.delete()
    DataRequestFactory(received_on=D(2020, 4, 1), country="HK")
    assert client.get("/data/requests.csv").content == before_csv
    assert client.get("/data/requests.json").content == before_json

    services.period_publish(period="2020-H1", note="Corrected an outcome; a duplicate removed.")
    latest = {r["country_code"]: r for r in read_csv(client.get("/data/requests.csv"))}
    assert set(latest) == {"DE", "HK"}
    assert (latest["DE"]["requests_with_data_produced"], latest["DE"]["accounts_specified"]) == ("0", "7")
    assert {r["publication_version"] for r in latest.values()} == {"2"}
    body = read_json(client.get("/data/requests.json"))
    assert body["generated_from"][0]["revised"] is True
    assert body["generated_from"][0]["note"] == "Corrected an outcome; a duplicate removed."

    assert client.get("/data/requests.csv?period=2020-H1&version=1").content == before_csv
    old = read_json(client.get("/data/requests.json?period=2020-H1&version=1"))
    assert old["generated_from"][0]["version"] == 1
    assert {r["country_code"] for r in old["results"]} == {"DE", "FR"}

    page = client.get("/data/").text
    assert "Revised on" in page and "Corrected an outcome; a duplicate removed." in page
    assert "/data/requests.csv?period=2020-H1&amp;version=1" in page
    assert "Revised on" in client.get("/").text


# --- Leakage -------------------------------------------------------------------------------------

CANARIES = [
    "CANARY-NOTE-7f3a",
    "CANARY-RATIONALE-91c2",
    "CANARY-DRAFT-STATEMENT-5d0e",
    "canary-draft-url",
    "CANARY-TRIGGER-2b8e",
    "Xanthippe",
    "Quibbleworth",
    "rev.canary",
    "Belarus",  # the only decision about Belarus is an unpublished draft
    "Macao",  # Macao's only requests are in the unpublished period
]


@pytest.fixture
def world_with_secrets():
    reviewer = UserFactory(username="rev.canary", first_name="Xanthippe", last_name="Quibbleworth")
    for country, received in [("HK", D(2020, 3, 1)), ("DE", D(2020, 9, 1)), ("HK", D(2020, 9, 1))]:
        DataRequestFactory(
            country=country,
            received_on=received,
            assignee=reviewer,
            internal_notes="CANARY-NOTE-7f3a reviewer thinks this is a fishing expedition",
        )
    DataRequestFactory(country="MO", received_on=D(2021, 2, 1), internal_notes="CANARY-NOTE-7f3a")
    DataRequestFactory(country="HK", received_on=D(2021, 2, 1))
    PauseDecisionFactory(
        country="HK",
        effective_from=D(2020, 7, 6),
        internal_rationale="CANARY-RATIONALE-91c2",
        trigger="CANARY-TRIGGER-2b8e",
        decided_by=reviewer,
    )
    PauseDecisionFactory(
        country="BY",
        effective_from=D(2020, 2, 1),
        is_published=False,
        public_statement="CANARY-DRAFT-STATEMENT-5d0e",
        statement_url="https://example.org/canary-draft-url",
        internal_rationale="CANARY-RATIONALE-91c2",
        decided_by=reviewer,
    )
    services.period_publish(period="2020-H1", actor=reviewer)
    services.period_publish(period="2020-H2", actor=reviewer)
    services.period_publish(period="2020-H2", actor=reviewer, note="Second look.")
    # 2021-H1 has requests but is never published.


def assert_nothing_secret(body: str, where: str, *, unpublished_period_asked: bool = False):
    for canary in CANARIES:
        assert canary not in body, (canary, where)
    if not unpublished_period_asked:
        assert "2021-H1" not in body, where


def test_nothing_unpublished_or_internal_appears_in_any_data_response(client, world_with_secrets):
    periods = [None, "2020-H1", "2020-H2", "2020-H1,2020-H2", "2021-H1", "2020-H3"]
    countries = [None, "HK", "hk", "DE", "MO", "BY", "ZZZ"]
    types = [None, *TYPES, "bogus"]
    seen = 0
    for fmt, period, country, request_type in itertools.product(["csv", "json"], periods, countries, types):
        params = {
            k: v for k, v in [("period", period), ("country", country), ("request_type", request_type)] if v
        }
        response = client.get(f"/data/requests.{fmt}", params)
        assert response.status_code in (200, 400), (params, response.status_code)
        assert_nothing_secret(
            response.content.decode(), f"{fmt} {params}", unpublished_period_asked=period == "2021-H1"
        )
        if period == "2021-H1":
            # An unpublished period with requests reads exactly like one nobody ever sent requests in.
            never = client.get(f"/data/requests.{fmt}", {**params, "period": "2031-H1"}).content.decode()
            assert response.content.decode() == never.replace("2031-H1", "2021-H1")
        seen += 1
    for fmt, period, version in itertools.product(["csv", "json"], ["2020-H1", "2020-H2"], [1, 2, 3]):
        response = client.get(f"/data/requests.{fmt}", {"period": period, "version": version})
        assert_nothing_secret(response.content.decode(), f"{fmt} {period} v{version}")
        seen += 1
    for fmt, country, status in itertools.product(
        ["csv", "json"], [None, "HK", "BY", "by", "ZZZ"], [None, "paused", "assessing", "lifted", "bogus"]
    ):
        params = {k: v for k, v in [("country", country), ("status", status)] if v}
        response = client.get(f"/data/pauses.{fmt}", params)
        assert response.status_code in (200, 400)
        assert_nothing_secret(response.content.decode(), f"pauses.{fmt} {params}")
        seen += 1
    for path in ["/data/", "/"]:
        assert_nothing_secret(client.get(path).content.decode(), path)
    assert seen > 400

    # And the published things do show.
    assert "Hong Kong" in client.get("/data/pauses.csv").content.decode()
    assert {r["period"] for r in read_csv(client.get("/data/requests.csv"))} == {"2020-H1", "2020-H2"}


def test_unpublished_pause_and_unknown_pause_figures(client):
    PauseDecisionFactory(country="BY", is_published=False, public_statement="Draft")
    assert read_csv(client.get("/data/pauses.csv")) == []
    assert read_json(client.get("/data/pauses.json"))["results"] == []


# --- Bad filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field, reason",
    [
        ("period=2020-H3", "period", "'2020-H3' is not a period"),
        ("period=2020H1", "period", "'2020H1' is not a period"),
        ("period=2020-H1,banana", "period", "'banana' is not a period"),
        ("period=2021-H1", "period", "2021-H1 has not been published"),
        ("country=ZZZ", "country", "'ZZZ' is not a jurisdiction code"),
        ("country=XX", "country", "'XX' is not a jurisdiction code"),
        ("country=HK,1A", "country", "'1A' is not a jurisdiction code"),
        ("request_type=telepathy", "request_type", "'telepathy' is not a request type"),
        ("version=2", "version", "version needs exactly one period"),
        ("period=2020-H1&version=7", "version", "2020-H1 has no version 7; its versions are 1"),
        ("period=2020-H1&version=abc", "version", "Enter a whole number"),
        ("period=2020-H1&version=0", "version", "greater than or equal to 1"),
        ("countyr=HK", "query", "Unknown parameter: countyr"),
        ("legal_process=writ", "legal_process", "'writ' is not a legal process: use one of subpoena,"),
        ("legal_process=subpoena,Subpoena", "legal_process", "'Subpoena' is not a legal process"),
        ("product=pager", "product", "'pager' is not a product: use one of"),
        ("product=", None, None),  # an empty value filters nothing
    ],
)
def test_bad_filters_get_400_with_the_reason(client, query, field, reason):
    DataRequestFactory(received_on=D(2020, 3, 1))
    ProductFactory(code="messaging")
    services.period_publish(period="2020-H1")
    if field is None:
        assert client.get(f"/data/requests.csv?{query}").status_code == 200
        return

    response = client.get(f"/data/requests.json?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert any(reason in message for message in response.json()["errors"][field]), response.json()

    response = client.get(f"/data/requests.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f"{field}: " in response.text and reason in response.text


@pytest.mark.parametrize(
    "query, reason", [("country=ZZZ", "'ZZZ' is not"), ("status=sulking", "'sulking' is not")]
)
def test_bad_pause_filters_get_400(client, query, reason):
    for fmt in ["csv", "json"]:
        response = client.get(f"/data/pauses.{fmt}?{query}")
        assert response.status_code == 400
        assert reason in response.content.decode()


def test_unknown_format_is_404(client):
    assert client.get("/data/requests.xml").status_code == 404
    assert client.post("/data/requests.csv").status_code == 405


# --- Bounded queries -----------------------------------------------------------------------

ENDPOINTS = [
    "/data/requests.csv",
    "/data/requests.json",
    "/data/requests.csv?period=2020-H1&country=DE,FR&request_type=legal_process",
    "/data/requests.json?period=2020-H1&version=1",
    "/data/requests.csv?legal_process=subpoena,search_warrant",  # one query for the list's codes
    "/data/pauses.csv",
    "/data/pauses.json?status=paused",
    "/data/",
]


def add_countries(codes: list[str]) -> None:
    for code in codes:
        for request_type in TYPES:
            DataRequestFactory(country=code, request_type=request_type, received_on=D(2020, 3, 1))
        PauseDecisionFactory(country=code, effective_from=D(2020, 1, 1), public_statement=f"Paused {code}")


def query_counts(client) -> dict[str, int]:
    counts = {}
    for url in ENDPOINTS:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    return counts


def test_query_count_is_bounded_and_does_not_grow_with_countries(client, django_assert_max_num_queries):
    codes = sorted(FIXED_CODES - {"DE", "FR"})
    add_countries(["DE", "FR"])
    services.period_publish(period="2020-H1")
    with_two = query_counts(client)

    add_countries(codes[:18])
    services.period_publish(period="2020-H1", note="More countries.")
    services.period_publish(period="2020-H1", note="Once more.")
    with_twenty = query_counts(client)
    assert len(read_csv(client.get("/data/requests.csv"))) == 60

    assert with_twenty == with_two
    for url in ENDPOINTS:
        # At most 5 statements, plus the SAVEPOINT / RELEASE pair of the request's transaction.
        with django_assert_max_num_queries(7):
            client.get(url)


# --- Conditional requests --------------------------------------------------------------------


def test_etag_and_last_modified_answer_304_until_something_is_published(client):
    DataRequestFactory(received_on=D(2020, 3, 1))
    services.period_publish(period="2020-H1")
    first = client.get("/data/requests.csv")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag and last_modified and "no-cache" in first["Cache-Control"]

    response = client.get("/data/requests.csv", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response["ETag"] == etag
    assert client.get("/data/requests.csv", headers={"If-Modified-Since": last_modified}).status_code == 304
    # Another representation has its own validator.
    other = client.get("/data/requests.csv", {"country": "DE"})
    assert other["ETag"] != etag
    assert client.get("/data/requests.json", headers={"If-None-Match": etag}).status_code == 200
    # A bad filter is answered 400 whatever the client holds.
    assert client.get("/data/requests.csv?country=ZZZ", headers={"If-None-Match": etag}).status_code == 400

    services.period_publish(period="2020-H1", note="Re-published.")
    response = client.get("/data/requests.csv", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response["ETag"] != etag


def test_pause_register_validators_change_on_publish_edit_and_withdrawal(client):
    decision = PauseDecisionFactory(country="HK")
    etags = [client.get("/data/pauses.json")["ETag"]]
    assert client.get("/data/pauses.json", headers={"If-None-Match": etags[0]}).status_code == 304

    decision.public_statement = "Updated statement."
    decision.save()
    etags.append(client.get("/data/pauses.json")["ETag"])
    withdrawn = services.pause_unpublish(decision=decision)
    response = client.get("/data/pauses.json")
    etags.append(response["ETag"])
    assert len(set(etags)) == 3
    assert response.json()["results"] == []
    assert response["Last-Modified"]  # the withdrawal keeps Last-Modified moving forward
    services.pause_publish(decision=withdrawn)
    assert client.get("/data/pauses.json", headers={"If-None-Match": etags[-1]}).status_code == 200


# --- The documentation page -------------------------------------------------------------------


def test_data_page_documents_every_column_the_counting_rules_and_the_licence(client):
    page = client.get("/data/").text
    for column in REQUESTS_COLUMNS + PAUSES_COLUMNS:
        assert f"<code>{column}</code>" in page, column
    assert "Counting rules" in page
    assert "published</strong> when the period was published" in page
    assert "CC BY 4.0" in page
    assert "No period has been published yet." in page


def test_pauses_export_columns_and_values(client):
    PauseDecisionFactory(
        country="HK",
        effective_from=D(2020, 7, 6),
        covers_legal_process=True,
        covers_emergency=True,
        holds_pending=True,
        public_statement='We paused, "pending review", for now.',
        statement_url="https://example.org/hk",
        exceptions_policy="Threat to life.",
    )
    PauseDecisionFactory(country="RU", status="lifted", effective_from=D(2022, 3, 4), ended_on=D(2023, 1, 1))
    rows = read_csv(client.get("/data/pauses.csv"))
    hk = rows[0]
    assert (hk["country_code"], hk["country_name"], hk["status"]) == ("HK", "Hong Kong", "paused")
    assert hk["request_types_covered"] == "legal_process;emergency"
    assert (hk["holds_pending"], hk["effective_from"], hk["ended_on"]) == ("true", "2020-07-06", "")
    assert hk["public_statement"] == 'We paused, "pending review", for now.'
    assert hk["last_changed"].endswith("Z")
    assert rows[1]["ended_on"] == "2023-01-01"
    results = read_json(client.get("/data/pauses.json"))["results"]
    assert results[0]["request_types_covered"] == ["legal_process", "emergency"]
    assert results[0]["holds_pending"] is True and results[0]["ended_on"] is None
    assert list(results[0]) == PAUSES_COLUMNS


def test_a_built_export_is_reused_until_the_data_changes(client, django_assert_max_num_queries):
    from tests.factories import FigureRowFactory

    FigureRowFactory(publication__period="2020-H1", country="DE", requests=7, requests_with_data_produced=3)
    first = client.get("/data/requests.json")
    assert first.status_code == 200
    with django_assert_max_num_queries(6):  # filters and validators only: the body comes from the cache
        again = client.get("/data/requests.json")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    FigureRowFactory(publication__period="2020-H2", country="DE", requests=9, requests_with_data_produced=1)
    changed = client.get("/data/requests.json")
    assert changed["ETag"] != first["ETag"] and b"2020-H2" in changed.content


# --- Internal edits move no public validator (security finding "internal edits move public
# validators"): the register's ETag, Last-Modified, last_changed and the public-state token say
# when something a visitor can see changed, never when the desk worked on a decision. -----------


class Clock:
    """timezone.now() one hour later at each tick: Last-Modified has a resolution of a second."""

    def __init__(self):
        self.now = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.UTC)

    def tick(self):
        self.now += datetime.timedelta(hours=1)


@pytest.fixture
def clock():
    from unittest import mock

    from django.utils import timezone

    moving = Clock()
    with mock.patch.object(timezone, "now", lambda: moving.now):
        yield moving


def observed_register(client) -> tuple:
    """What an outsider can read of the register's state, rendered afresh (not from the cache)."""
    from django.core.cache import cache

    from requests_app import selectors

    cache.clear()
    response = client.get("/data/pauses.json")
    return (
        response["ETag"],
        response["Last-Modified"],
        [row["last_changed"] for row in response.json()["results"]],
        selectors.public_state_token(),
    )


def publisher_edits_in_the_admin(client, decision, **changes):
    """A Publisher saves the admin change form of ``decision`` with ``changes``."""
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from requests_app import roles
    from requests_app.models import PauseDecision

    user = UserFactory(username="publisher.admin")
    user.groups.add(Group.objects.get(name=roles.PUBLISHER))
    client.force_login(user)
    decision = PauseDecision.objects.get(pk=decision.pk)
    data = {
        "country": decision.country.code,
        "status": decision.status,
        "effective_from": decision.effective_from.isoformat(),
        "ended_on": decision.ended_on.isoformat() if decision.ended_on else "",
        "next_review_on": decision.next_review_on.isoformat() if decision.next_review_on else "",
        "decided_by": decision.decided_by_id or "",
        "covers_legal_process": "on" if decision.covers_legal_process else "",
        "covers_emergency": "on" if decision.covers_emergency else "",
        "covers_preservation": "on" if decision.covers_preservation else "",
        "holds_pending": "on" if decision.holds_pending else "",
        "allowed_exceptions": decision.allowed_exceptions,
        "exceptions_policy": decision.exceptions_policy,
        "public_statement": decision.public_statement,
        "statement_language": decision.statement_language,
        "statement_url": decision.statement_url,
        "trigger": decision.trigger,
        "internal_rationale": decision.internal_rationale,
        "expected_version": decision.version,
    }
    data.update(changes)
    data = {key: value for key, value in data.items() if value != ""}
    url = reverse("admin:requests_app_pausedecision_change", args=[decision.pk])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return PauseDecision.objects.get(pk=decision.pk)


def through_the_service(client, decision, **changes):
    from requests_app.models import PauseDecision

    return services.pause_update(pause=PauseDecision.objects.get(pk=decision.pk), **changes)[0]


INTERNAL_EDITS = {
    "internal_rationale": "Legal team re-read the NSL implementing rules.",
    "next_review_on": D(2027, 6, 1),
    "trigger": "Implementing rules of art. 43.",
}


@pytest.mark.parametrize("edit", [through_the_service, publisher_edits_in_the_admin])
def test_internal_edits_of_a_published_decision_move_no_public_validator(client, clock, edit):
    decision = PauseDecisionFactory(country="HK")
    PauseDecisionFactory(country="RU", effective_from=D(2022, 3, 4))
    clock.tick()
    before = observed_register(client)
    admin_form = edit is publisher_edits_in_the_admin
    for name, value in INTERNAL_EDITS.items():
        clock.tick()
        saved = edit(
            client, decision, **{name: value.isoformat() if admin_form and name.endswith("_on") else value}
        )
        assert getattr(saved, name) == value
        assert observed_register(client) == before, name
    clock.tick()
    saved = edit(
        client, decision, decided_by=UserFactory(username="decider").pk if admin_form else UserFactory()
    )
    assert saved.decided_by is not None
    assert observed_register(client) == before, "decided_by"

    clock.tick()
    edit(client, decision, public_statement="We have paused requests; see the updated statement.")
    after = observed_register(client)
    etag, last_modified, last_changed, token = after
    assert etag != before[0] and last_modified != before[1] and token != before[3]
    assert last_changed != before[2] and "2024-01-01T" in "".join(last_changed)
    assert client.get("/data/pauses.json", headers={"If-None-Match": before[0]}).status_code == 200


@pytest.mark.parametrize(
    "url, name",
    [
        ("/data/requests.csv", 'attachment; filename="requests.csv"'),
        ("/data/requests.csv?country=hk&period=2020-H2", 'attachment; filename="requests-HK-2020-H2.csv"'),
        (
            "/data/requests.json?period=2020-H2&request_type=legal_process&version=1",
            'inline; filename="requests-2020-H2-legal_process-v1.json"',
        ),
        ("/data/requests.csv?country=DE,FR,HK,US", 'attachment; filename="requests-4-countries.csv"'),
        ("/data/pauses.csv?country=HK&status=paused", 'attachment; filename="pauses-HK-paused.csv"'),
        (
            "/data/requests.csv?country=US&legal_process=subpoena&product=messaging",
            'attachment; filename="requests-US-subpoena-messaging.csv"',
        ),
        (
            "/data/requests.csv?product=social,messaging,photos,cloud_storage",
            'attachment; filename="requests-4-products.csv"',
        ),
    ],
)
def test_downloads_are_named_for_what_they_hold(client, url, name):
    PublicationFactory(period="2020-H2")
    for code in ("social", "messaging", "photos", "cloud_storage"):
        ProductFactory(code=code)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == name


def test_outcome_reasons_are_published_per_period_country_and_type_and_nothing_unpublished(client):
    def decided(country, reason, received, outcome="rejected"):
        return DataRequestFactory(
            country=country,
            received_on=received,
            status=DataRequest.Status.COMPLETED,
            outcome=outcome,
            outcome_reason=reason,
            decided_on=received + datetime.timedelta(days=4),
        )

    for _ in range(3):
        decided("HK", "jurisdiction_paused", D(2020, 8, 1))
    decided("HK", "overbroad", D(2020, 9, 1))
    decided("HK", "no_account", D(2020, 9, 2), outcome="no_data")
    DataRequestFactory(country="HK", received_on=D(2020, 9, 3))  # open: no reason yet
    decided("HK", "overbroad", D(2021, 2, 1))  # a period never published
    services.period_publish(period="2020-H2", today=D(2021, 1, 5))

    rows = read_csv(client.get("/data/outcomes.csv"))
    assert list(rows[0]) == OUTCOMES_COLUMNS
    assert {(r["period"], r["country_code"], r["outcome_reason"], r["requests"]) for r in rows} == {
        ("2020-H2", "HK", "jurisdiction_paused", "3"),
        ("2020-H2", "HK", "no_account", "1"),
        ("2020-H2", "HK", "overbroad", "1"),
    }
    body = client.get("/data/outcomes.json", {"country": "HK", "period": "2020-H2"}).json()
    assert body["schema_version"] == 2 and len(body["results"]) == 3
    assert [p["period"] for p in body["generated_from"]] == ["2020-H2"]  # as requests.json says
    assert client.get("/data/outcomes.csv", {"period": "2021-H1"}).status_code == 400  # unpublished
    # Publishing a revision snapshots the reasons again; the latest version is what the files show.
    decided("HK", "overbroad", D(2020, 10, 1))
    services.period_publish(period="2020-H2", note="A late decision recorded.", today=D(2021, 1, 5))
    overbroad = [r for r in read_csv(client.get("/data/outcomes.csv")) if r["outcome_reason"] == "overbroad"]
    assert [(r["requests"], r["publication_version"]) for r in overbroad] == [("2", "2")]


def test_requests_csv_reports_the_median_days_to_decision(client):
    for days in (2, 4, 9):
        DataRequestFactory(
            country="DE",
            received_on=D(2020, 3, 1),
            status=DataRequest.Status.COMPLETED,
            outcome="all_data",
            decided_on=D(2020, 3, 1) + datetime.timedelta(days=days),
        )
    services.period_publish(period="2020-H1", today=D(2020, 7, 5))
    (row,) = read_csv(client.get("/data/requests.csv"))
    assert row["median_days_to_decision"] == "4.0"
    assert row["legal_process"] == "" and row["product"] == ""  # the row counts every kind and product


# --- Legal processes and products -------------------------------------------------------------


@pytest.fixture
def us_by_process_and_product():
    """2020-H1 in version 2 (version 1 differs) with US rows by legal process and product."""
    ProductFactory(code="social")
    ProductFactory(code="messaging")
    LegalProcessFactory(code="order_2703d", name="18 USC 2703(d) order")
    first = PublicationFactory(period="2020-H1", version=1)
    FigureRowFactory(
        publication=first, country="US", legal_process_id="subpoena", product_id="messaging", requests=99
    )
    latest = PublicationFactory(period="2020-H1", version=2, note="Corrected.")
    for lp, product, requests in [
        ("subpoena", "social", 10),
        ("subpoena", "messaging", 4),
        ("search_warrant", "messaging", 8),
        ("order_2703d", "social", 3),
        (None, "messaging", 2),
        ("search_warrant", None, 5),
    ]:
        FigureRowFactory(
            publication=latest, country="US", legal_process_id=lp, product_id=product, requests=requests,
            requests_with_data_produced=1,
        )  # fmt: skip
    FigureRowFactory(
        publication=latest, country="US", request_type=EMERGENCY, product_id="messaging", requests=6
    )
    FigureRowFactory(
        publication=latest, country="DE", request_type=PRESERVATION, requests=1, requests_with_data_produced=0
    )


def grain(rows) -> list[tuple]:
    return sorted(
        (r["country_code"], r["request_type"], r["legal_process"], r["product"], r["requests"]) for r in rows
    )


def test_legal_process_and_product_filters_keep_only_rows_broken_down_by_them(
    client, us_by_process_and_product
):
    rows = read_csv(client.get("/data/requests.csv", {"product": "messaging"}))
    # Only rows broken down by that product, of every type, from the latest version.
    assert grain(rows) == [
        ("US", "emergency", "", "messaging", "6"),
        ("US", "legal_process", "", "messaging", "2"),
        ("US", "legal_process", "search_warrant", "messaging", "8"),
        ("US", "legal_process", "subpoena", "messaging", "4"),
    ]
    rows = read_csv(client.get("/data/requests.csv", {"legal_process": ["subpoena", "order_2703d"]}))
    assert grain(rows) == [
        ("US", "legal_process", "order_2703d", "social", "3"),
        ("US", "legal_process", "subpoena", "messaging", "4"),
        ("US", "legal_process", "subpoena", "social", "10"),
    ]
    body = read_json(
        client.get("/data/requests.json", {"legal_process": "search_warrant", "product": "messaging"})
    )
    assert [(r["legal_process"], r["product"], r["requests"]) for r in body["results"]] == [
        ("search_warrant", "messaging", 8)
    ]
    # An earlier version is filtered the same way.
    rows = read_csv(
        client.get("/data/requests.csv", {"period": "2020-H1", "version": 1, "product": "messaging"})
    )
    assert grain(rows) == [("US", "legal_process", "subpoena", "messaging", "99")]
    # A code added to the list later is known at once; one never used gives the header only.
    LegalProcessFactory(code="letter_rogatory")
    response = client.get("/data/requests.csv", {"legal_process": "letter_rogatory"})
    assert response.status_code == 200 and read_csv(response) == []


def test_outcomes_refuse_the_breakdown_filters_they_cannot_answer(client, us_by_process_and_product):
    for fmt in ("csv", "json"):
        response = client.get(f"/data/outcomes.{fmt}", {"product": "messaging"})
        assert response.status_code == 400
        assert "Unknown parameter: product" in response.content.decode()


def test_data_page_documents_the_breakdown_filters(client):
    page = client.get("/data/").text
    assert "<code>legal_process</code></th>" in page and "<code>product</code></th>" in page
    assert "?product=messaging" in page and "rows not broken down by product" in page


def test_rows_of_reports_that_did_not_split_request_types_can_be_selected(client):
    imported = PublicationFactory(period="2019-H2", source="imported")
    FigureRowFactory(publication=imported, country="FR", request_type="all", requests=40)
    FigureRowFactory(publication=imported, country="DE", request_type=LEGAL, requests=9)
    rows = read_csv(client.get("/data/requests.csv", {"request_type": "all"}))
    assert [(r["country_code"], r["request_type"], r["requests"]) for r in rows] == [("FR", "all", "40")]
    # Outcome reasons are always counted per request type.
    response = client.get("/data/outcomes.csv", {"request_type": "all"})
    assert response.status_code == 400 and "'all' is not a request type" in response.text
