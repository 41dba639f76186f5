"""National-security requests: published only as bands, after their delay, and never a trace of
an exact count anywhere public or before a desk user without the clearance."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from requests_app import intake, roles, selectors, services
from requests_app.models import (
    FigureRow,
    NationalSecurityBand,
    NationalSecurityCategory,
    NationalSecurityRequest,
)
from requests_app.periods import Period
from tests.factories import DataRequestFactory, UserFactory
from tests.public_urls import public_routes
from tests.test_admin_permissions import client_for, object_urls
from tests.test_admin_permissions import objects as objects  # a fixture

pytestmark = pytest.mark.django_db

# Exact counts no band, page or file may ever show: 317 letters naming 115,208 accounts.
PLANTED_REQUESTS, PLANTED_ACCOUNTS = 317, 115_208
SECRET_TEXTS = ["317", "115208", "115,208", "115 208", "NSL-SECRET"]


def plant(period_start=datetime.date(2020, 7, 1)) -> None:
    nsl = NationalSecurityCategory.objects.get(code="nsl")
    fisa = NationalSecurityCategory.objects.get(code="fisa_content")
    per_request = [PLANTED_ACCOUNTS // PLANTED_REQUESTS] * PLANTED_REQUESTS
    per_request[0] += PLANTED_ACCOUNTS - sum(per_request)
    NationalSecurityRequest.objects.bulk_create(
        NationalSecurityRequest(
            reference=f"NSL-SECRET-{n}",
            country="US",
            category=nsl,
            received_on=period_start + datetime.timedelta(days=n % 150),
            accounts_specified=accounts,
        )
        for n, accounts in enumerate(per_request)
    )
    services.ns_request_create(
        reference="FISA-SECRET-1", category=fisa, received_on=period_start, accounts_specified=3
    )


def publish(today: datetime.date, note: str = ""):
    return services.period_publish(period="2020-H2", today=today, note=note)


@pytest.fixture
def desk_requests():
    for n in range(3):
        DataRequestFactory(country="US", received_on=datetime.date(2020, 8, 1 + n))


def bands_of(publication) -> dict[str, tuple[int, int, int, int]]:
    return {
        band.category.code: (
            band.requests_min,
            band.requests_max,
            band.accounts_min,
            band.accounts_max,
        )
        for band in NationalSecurityBand.objects.filter(publication=publication, country="US").select_related(
            "category"
        )
    }


def test_publishing_writes_bands_of_each_categorys_width_never_the_counts(desk_requests):
    plant()
    publication = publish(datetime.date(2021, 2, 1))
    # NSLs: no delay. 317 letters in 0–499, 115,208 accounts in 115,000–115,499.
    # FISA: 180 days after 31 December: not yet (and not published as zero either).
    assert bands_of(publication) == {"nsl": (0, 499, 115_000, 115_499)}
    later = publish(datetime.date(2021, 6, 29), note="FISA figures after their delay.")
    assert bands_of(later) == {
        "nsl": (0, 499, 115_000, 115_499),
        "fisa_content": (0, 499, 0, 499),
        "fisa_non_content": (0, 499, 0, 499),  # none at all: the band from 0
    }


def test_a_categorys_own_widths_are_used(desk_requests):
    NationalSecurityCategory.objects.filter(code="nsl").update(requests_band=250, accounts_band=1000)
    plant()
    assert bands_of(publish(datetime.date(2021, 2, 1))) == {"nsl": (250, 499, 115_000, 115_999)}


def test_national_security_requests_move_no_other_published_figure(desk_requests):
    without = publish(datetime.date(2021, 2, 1))
    plant()
    with_them = publish(datetime.date(2021, 2, 1), note="Again.")
    fields = ["country", "request_type", "legal_process", "product", "requests", "accounts_specified"]
    assert list(FigureRow.objects.filter(publication=with_them).values(*fields)) == list(
        FigureRow.objects.filter(publication=without).values(*fields)
    )


def public_pages(client) -> dict[str, bytes]:
    pages = {}
    for route in public_routes():
        url = route.sample_url()
        for variant in (url, url.replace("/HK/", "/US/")):
            response = client.get(variant)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            pages[variant] = body
    for data in ("/data/requests.csv", "/data/requests.json", "/data/outcomes.csv", "/data/outcomes.json"):
        pages[data] = client.get(data).content
    return pages


def test_no_exact_count_reaches_any_public_page_or_file(desk_requests):
    publish(datetime.date(2021, 2, 1))
    before = public_pages(Client())
    plant()
    assert public_pages(Client()) == before  # recorded, unpublished: nothing public moves
    publish(datetime.date(2021, 7, 1), note="With national-security bands.")
    # A page may hold such digits by chance (a map's coordinates): never once more than before.
    for url, body in public_pages(Client()).items():
        text, was = body.decode("utf-8", "replace"), before[url].decode("utf-8", "replace")
        for secret in SECRET_TEXTS:
            assert text.count(secret) <= was.count(secret), (url, secret)


@pytest.mark.parametrize("role", [roles.REVIEWER, roles.PUBLISHER, roles.AUDITOR])
def test_a_desk_user_without_clearance_sees_no_trace_on_any_admin_page(role, objects):
    plant()
    client = client_for(role)
    seen = 0
    for _, name, url, _ in object_urls(objects):
        response = client.get(url)
        if response.status_code != 200:
            continue
        seen += 1
        text = response.content.decode("utf-8", "replace")
        # (not a bare "317": the factories' sequences name objects "Police Authority 317")
        for secret in [
            *(text for text in SECRET_TEXTS if text != "317"),
            "FISA-SECRET",
            "national-security request",
            "National Security Letters",
        ]:
            assert secret not in text, (role, name, url, secret)
    assert seen >= 15  # every page the role may read (the queue, requests, pauses, history...)
    # ... nor through search, the queue's filters or the autocomplete.
    queue = reverse("admin:requests_app_datarequest_changelist")
    for query in ("?q=NSL-SECRET", "?q=FISA", "?queue=all&q=NSL", "?queue=all&q=FISA-SECRET-1"):
        assert client.get(queue + query).context["cl"].result_count == 0, query
    index = client.get(reverse("admin:index")).content.decode()
    assert "ational security" not in index and "ational-security" not in index


def test_the_cleared_role_sees_them_and_a_reference_is_not_shared_with_the_desk(objects):
    plant()
    cleared = client_for(roles.NATIONAL_SECURITY_REVIEWER)
    page = cleared.get(reverse("admin:requests_app_nationalsecurityrequest_changelist") + "?q=NSL-SECRET-1")
    assert page.status_code == 200 and "NSL-SECRET-1" in page.content.decode()
    # A desk request may carry the same reference: the desk learns nothing from a refusal.
    DataRequestFactory(reference="NSL-SECRET-1")


def test_an_unknown_and_a_known_id_answer_alike_without_clearance(objects):
    plant()
    client = client_for(roles.PUBLISHER)
    known = NationalSecurityRequest.objects.order_by("pk").first().pk
    for view in ("change", "history", "delete"):
        answers = {
            client.get(reverse(f"admin:requests_app_nationalsecurityrequest_{view}", args=[pk])).status_code
            for pk in (known, 999_999)
        }
        assert answers == {403}, view


def test_the_roles_are_as_documented():
    cleared = Group.objects.get(name=roles.NATIONAL_SECURITY_REVIEWER)
    assert {p.codename for p in cleared.permissions.all()} == set(
        roles.ROLE_PERMISSIONS[roles.NATIONAL_SECURITY_REVIEWER]
    )
    for role in (roles.REVIEWER, roles.PUBLISHER, roles.AUDITOR):
        codenames = {p.codename for p in Group.objects.get(name=role).permissions.all()}
        assert not any("nationalsecurity" in c or c == "handle_national_security" for c in codenames)
    assert UserFactory(username="nobody").has_perm("requests_app.handle_national_security") is False


# --- banded history, as published ------------------------------------------------------------

BANDED = "period,country,category,requests_min,requests_max,accounts_min,accounts_max\n"


def categories() -> frozenset[str]:
    return frozenset(NationalSecurityCategory.objects.values_list("code", flat=True))


def publish_figures_of(periods) -> None:
    """A minimal imported report for each period: bands go with a period's figures."""
    services.figures_import(
        figures=[
            services.ImportedFigure(period=Period.parse(label), country="US", request_type="all", requests=10)
            for label in sorted(set(periods))
        ]
    )


def test_banded_history_is_kept_exactly_as_published():
    publish_figures_of(["2012-H1", "2013-H2"])
    text = BANDED + (
        "2012-H1,US,nsl,0,999,1000,1999\n"
        "2012-H1,US,fisa_content,1,499,2,499\n"  # an old report's bands: kept as they were
        "2013-H2,us,FISA_NON_CONTENT,0,0,0,0\n"
    )
    bands = intake.parse_bands(text, categories=categories())
    publications = services.bands_import(bands=bands)
    assert [(p.period, p.version, p.source) for p in publications] == [
        ("2012-H1", 2, "imported"),
        ("2013-H2", 2, "imported"),
    ]
    stored = {
        (b.publication.period, b.category.code): (
            b.requests_min,
            b.requests_max,
            b.accounts_min,
            b.accounts_max,
        )
        for b in NationalSecurityBand.objects.select_related("publication", "category")
    }
    assert stored == {
        ("2012-H1", "nsl"): (0, 999, 1000, 1999),
        ("2012-H1", "fisa_content"): (1, 499, 2, 499),
        ("2013-H2", "fisa_non_content"): (0, 0, 0, 0),
    }


def test_only_what_cannot_be_a_band_is_refused_and_each_problem_is_named():
    text = BANDED + (
        "2012-H1,US,nsl,500,499,0,499\n"
        "2012-H1,US,fisa_content,-1,499,0,499\n"
        "2012-H1,US,telepathy,0,499,0,499\n"
        "2012-H1,US,nsl,0,499,0,499\n"
    )
    with pytest.raises(intake.FiguresFileInvalid) as invalid:
        intake.parse_bands(text, categories=categories())
    assert [str(e) for e in invalid.value.errors] == [
        "line 2, column requests_min, value '500': the minimum (500) is above the maximum (499)",
        "line 3, column requests_min, value '-1': a band's bounds are never negative",
        "line 4, column category, value 'telepathy': not a national-security category; use one of "
        "fisa_content, fisa_non_content, nsl",
    ]
    assert not NationalSecurityBand.objects.exists()


def test_imported_bands_keep_the_periods_imported_figures():
    services.figures_import(
        figures=[
            services.ImportedFigure(
                period=Period(2012, 1),
                country="US",
                request_type="all",
                requests=8000,
                accounts_specified=14000,
            )
        ]
    )
    bands = intake.parse_bands(BANDED + "2012-H1,US,nsl,0,999,1000,1999\n", categories=categories())
    (publication,) = services.bands_import(bands=bands)
    assert publication.version == 2 and publication.note
    assert list(publication.rows.values_list("country", "request_type", "requests")) == [("US", "all", 8000)]
    assert publication.bands.count() == 1


# --- the public side: /data/national_security.*, the country page, the methodology ----------


def banded_history() -> list[tuple]:
    """A platform's published FISA and NSL bands since 2009, as old reports gave them: bands of
    1,000 before 2014, 0–499 or 1–499 later, zeros as the band from 0."""
    rows = []
    for year in range(2009, 2025):
        for half in (1, 2):
            period = f"{year}-H{half}"
            for n, category in enumerate(("fisa_content", "fisa_non_content", "nsl")):
                if year < 2014:
                    low, width = (0 if (year + n) % 3 else 1000), 1000
                    accounts = (1000 * ((year + half + n) % 17), 1000 * ((year + half + n) % 17) + 999)
                else:
                    low, width = (
                        (1 if n == 2 and year < 2016 else 0),
                        499 + (1 if n != 2 or year >= 2016 else 0),
                    )
                    accounts = (500 * ((year * 3 + half + n) % 40), 500 * ((year * 3 + half + n) % 40) + 499)
                rows.append((period, "US", category, low, low + width - 1, *accounts))
    return rows


def test_a_published_history_of_bands_comes_back_from_the_open_data_row_for_row(tmp_path, client):
    history = banded_history()
    publish_figures_of(row[0] for row in history)
    path = tmp_path / "bands.csv"
    path.write_text(BANDED + "".join(",".join(map(str, row)) + "\n" for row in history), encoding="utf-8")
    call_command("import_figures", str(path))
    response = client.get("/data/national_security.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    columns = [
        "period",
        "country_code",
        "category",
        "requests_min",
        "requests_max",
        "accounts_min",
        "accounts_max",
    ]
    assert sorted(tuple(row[c] for c in columns) for row in rows) == sorted(
        tuple(map(str, row)) for row in history
    )
    assert len(rows) == 32 * 3
    as_json = client.get("/data/national_security.json?category=nsl&period=2012-H1").json()["results"]
    assert [(r["category"], r["requests_min"], r["accounts_max"]) for r in as_json] == [
        (row[2], row[3], row[6]) for row in history if row[0] == "2012-H1" and row[2] == "nsl"
    ]


def test_a_bad_parameter_is_a_400_with_its_reason(client):
    response = client.get("/data/national_security.csv?category=telepathy")
    assert response.status_code == 400
    assert "'telepathy' is not a national-security category" in response.content.decode()


def test_the_us_page_shows_the_bands_and_what_is_not_yet_reportable(desk_requests, client):
    plant()
    publish(datetime.date(2021, 2, 1))
    page = client.get("/countries/US/").content.decode()
    assert "National security requests" in page
    assert "115,000–115,499" in page and "0–499" in page
    # Published before FISA's delay ran out; it has run out since (today is later).
    assert "Not published for this period" in page
    (period,) = selectors.country_bands(country="US", today=datetime.date(2021, 2, 1))
    assert [(c.category.code, c.band is not None, c.until, c.delayed) for c in period.cells] == [
        ("fisa_content", False, datetime.date(2021, 6, 29), True),
        ("fisa_non_content", False, datetime.date(2021, 6, 29), True),
        ("nsl", True, datetime.date(2021, 1, 1), False),
    ]
    assert "FISA orders for content" in page
    for secret in SECRET_TEXTS:
        assert secret not in page.replace("115,000–115,499", "")
    # A country without national-security process has no such section.
    assert "National security requests" not in client.get("/countries/DE/").content.decode()


def test_the_methodology_names_each_category_and_its_rule(client):
    page = client.get("/methodology/").content.decode()
    assert "National Security Letters" in page and "180 days" in page
    assert "excluded from every other figure" in page


def test_the_section_costs_a_fixed_number_of_queries(desk_requests, client):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plant()
    publish(datetime.date(2021, 7, 1))

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/countries/US/").status_code == 200
        return len(captured)

    one_period = queries()
    for day in (datetime.date(2020, 2, 1), datetime.date(2021, 2, 1)):
        DataRequestFactory(country="US", received_on=day)
        services.ns_request_create(
            reference=f"NSL-MORE-{day}",
            category=NationalSecurityCategory.objects.get(code="nsl"),
            received_on=day,
        )
    services.period_publish(period="2020-H1", today=datetime.date(2021, 7, 1))
    services.period_publish(period="2021-H1", today=datetime.date(2022, 1, 1))
    assert queries() == one_period  # three periods of bands cost what one did


@pytest.mark.parametrize("role", [roles.REVIEWER, roles.PUBLISHER, roles.AUDITOR])
def test_no_autocomplete_finds_one_without_clearance(role, objects):
    plant()
    client = client_for(role)
    for model, field in [("nationalsecurityrequest", "category"), ("datarequest", "authority")]:
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "requests_app", "model_name": model, "field_name": field, "term": "NSL"},
        )
        assert "NSL-SECRET" not in response.content.decode(), (role, model)
        if model == "nationalsecurityrequest":
            assert response.status_code in (403, 404), role  # refused, or no such autocomplete


# --- what a second reviewer found: each closed, each shown ------------------------------------


def test_every_url_of_a_national_security_record_answers_alike_for_a_known_and_an_unknown_id(objects):
    plant()
    client = client_for(roles.PUBLISHER)
    request = NationalSecurityRequest.objects.order_by("pk").first()
    version = request.history.order_by("history_id").first().history_id
    name = "admin:requests_app_nationalsecurityrequest_simple_history"
    answers = {
        client.get(reverse(name, args=[pk, history_id])).status_code
        for pk, history_id in [(request.pk, version), (999_999, 999_999), (request.pk, 999_999)]
    }
    assert answers == {403}
    # ... nor through the admin's "view on site" shortcut.
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(NationalSecurityRequest)
    shortcut = {client.get(f"/admin/r/{content_type.pk}/{pk}/").status_code for pk in (request.pk, 999_999)}
    assert shortcut == {404}


def test_a_republication_keeps_the_widths_its_period_was_published_with(desk_requests, client):
    nsl = NationalSecurityCategory.objects.get(code="nsl")
    NationalSecurityRequest.objects.bulk_create(
        NationalSecurityRequest(reference=f"NSL-W-{n}", category=nsl, received_on=datetime.date(2020, 8, 1))
        for n in range(499)
    )
    publish(datetime.date(2021, 2, 1))
    NationalSecurityCategory.objects.filter(pk=nsl.pk).update(requests_band=250)  # a later rule
    again = publish(datetime.date(2021, 3, 1), note="Re-published.")
    # Both versions say 0–499: the 250-wide rule would have given 250–499 and, beside the
    # first version, narrowed the count.
    assert bands_of(again)["nsl"][:2] == (0, 499)
    DataRequestFactory(country="US", received_on=datetime.date(2021, 2, 1))
    later = services.period_publish(period="2021-H1", today=datetime.date(2021, 8, 1))
    assert NationalSecurityBand.objects.get(publication=later, category=nsl).requests_width == 250


def test_bands_are_published_for_the_reporting_jurisdictions_whether_or_not_there_were_requests(
    desk_requests,
):
    publication = publish(datetime.date(2021, 2, 1))  # no national-security request at all
    assert bands_of(publication) == {"nsl": (0, 499, 0, 499)}
    with pytest.raises(ValidationError) as raised:
        services.ns_request_create(
            reference="GB-1", country="GB", category=NationalSecurityCategory.objects.get(code="nsl"),
            received_on=datetime.date(2020, 9, 1),
        )  # fmt: skip
    assert "reported for US only" in raised.value.message_dict["country"][0]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"requests_band": 1}, "requests_band", "greater than or equal to 100"),
        ({"accounts_band": 99}, "accounts_band", "greater than or equal to 100"),
        ({"delay_days": 0}, "delay_days", "only after 180 days"),
    ],
)
def test_a_rule_cannot_make_a_band_a_count_or_lift_fisas_delay(changes, field, message):
    category = NationalSecurityCategory.objects.get(code="fisa_content")
    for name, value in changes.items():
        setattr(category, name, value)
    with pytest.raises(ValidationError) as raised:
        category.full_clean()
    assert message in raised.value.message_dict[field][0]


def test_an_imported_band_of_one_value_or_beyond_the_columns_is_refused():
    text = BANDED + "2012-H1,US,nsl,317,317,0,499\n2012-H1,US,fisa_content,0,499,0,99999999999999999999\n"
    with pytest.raises(intake.FiguresFileInvalid) as invalid:
        intake.parse_bands(text, categories=categories())
    assert [str(e) for e in invalid.value.errors] == [
        "line 2, column requests_min, value '317': a band of one value (317) is an exact count, which "
        "may not be published",
        "line 3, column accounts_max, value '99999999999999999999': a band's bounds are at most "
        "2,147,483,647",
    ]
    # 0–0 is a band an old report may have published.
    assert intake.parse_bands(BANDED + "2012-H1,US,nsl,0,0,0,0\n", categories=categories())


def test_bands_alone_are_not_a_period_of_the_report():
    bands = intake.parse_bands(BANDED + "2012-H1,US,nsl,0,999,0,999\n", categories=categories())
    with pytest.raises(ValidationError) as raised:
        services.bands_import(bands=bands)
    assert "import the period's figures first" in raised.value.messages[0]


def test_the_desk_keeps_no_recent_action_of_them_and_assigns_them_to_cleared_staff_only(client):
    from django.contrib.admin.models import LogEntry

    sam = client_for(roles.NATIONAL_SECURITY_REVIEWER)
    UserFactory(username="uncleared-reviewer").groups.add(Group.objects.get(name=roles.REVIEWER))
    add = reverse("admin:requests_app_nationalsecurityrequest_add")
    choices = [label for _, label in sam.get(add).context["adminform"].form.fields["assignee"].choices]
    assert "uncleared-reviewer" not in choices and any("national-security" in c for c in choices)
    response = sam.post(
        add,
        {
            "reference": "FISA-RECENT-1",
            "country": "US",
            "category": NationalSecurityCategory.objects.get(code="fisa_content").pk,
            "accounts_specified": 1,
            "received_on": "2020-09-01",
            "status": "received",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert NationalSecurityRequest.objects.filter(reference="FISA-RECENT-1").exists()
    assert not LogEntry.objects.filter(object_repr__contains="FISA-RECENT").exists()
