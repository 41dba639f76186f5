"""National-security requests: published only as bands, after their delay, and never a trace of
an exact count anywhere public or before a desk user without the clearance."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from requests_app import intake, roles, services
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
        for secret in [
            *SECRET_TEXTS,
            "FISA-SECRET",
            "national-security request",
            "National Security Letters",
        ]:
            assert secret not in text, (role, name, url, secret)
    assert seen >= 15  # every page the role may read (the queue, requests, pauses, history...)
    # ... nor through search, the queue's filters or the autocomplete.
    queue = reverse("admin:requests_app_datarequest_changelist")
    for query in ("?q=NSL-SECRET", "?q=FISA", "?queue=all&q=NSL", "?queue=all&q=317"):
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


def test_banded_history_is_kept_exactly_as_published():
    text = BANDED + (
        "2012-H1,US,nsl,0,999,1000,1999\n"
        "2012-H1,US,fisa_content,1,499,2,499\n"  # an old report's bands: kept as they were
        "2013-H2,us,FISA_NON_CONTENT,0,0,0,0\n"
    )
    bands = intake.parse_bands(text, categories=categories())
    publications = services.bands_import(bands=bands)
    assert [(p.period, p.version, p.source) for p in publications] == [
        ("2012-H1", 1, "imported"),
        ("2013-H2", 1, "imported"),
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
