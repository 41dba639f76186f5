"""International bodies a publisher adds (Interpol, Europol) are jurisdictions like any country:
in the desk, the importers, the public pages and the open data."""

import html
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse

from requests_app import jurisdictions, roles, services
from requests_app.models import Authority, DataRequest, FigureRow, InternationalBody
from tests.factories import (
    AuthorityFactory,
    DataRequestFactory,
    FigureRowFactory,
    PauseDecisionFactory,
    PublicationFactory,
)
from tests.test_admin_desk import login_as

pytestmark = pytest.mark.django_db

BODIES = reverse("admin:requests_app_internationalbody_changelist")
ADD_BODY = reverse("admin:requests_app_internationalbody_add")
INTERPOL = {"code": "xp", "name": "Interpol", "description": "International Criminal Police Organization."}
REQUESTS_HEADER = "reference,country,received_on,request_type,accounts_specified,authority\n"
FIGURES_HEADER = "period,country,request_type,requests,accounts_specified,requests_with_data_produced\n"


def text(response) -> str:
    return html.unescape(response.content.decode())


def interpol() -> InternationalBody:
    return services.international_body_create(code="XP", name="Interpol", description=INTERPOL["description"])


def test_a_publisher_adds_a_body_and_the_desk_takes_requests_from_it(client):
    publisher = login_as(client, roles.PUBLISHER)
    assert "Interpol" not in text(client.get(reverse("admin:requests_app_datarequest_add")))

    assert client.post(ADD_BODY, INTERPOL).status_code == 302
    body = InternationalBody.objects.get()
    assert (body.code, body.name) == ("XP", "Interpol")  # the code as typed, in capitals
    assert body.history.get().history_user == publisher

    form = text(client.get(reverse("admin:requests_app_datarequest_add")))
    assert '<option value="XP">Interpol</option>' in form
    authority = Authority(name="Interpol General Secretariat", country="XP", kind="police")
    authority.full_clean()
    authority.save()
    response = client.post(
        reverse("admin:requests_app_datarequest_add"),
        {
            "reference": "XP-1",
            "country": "XP",
            "authority": authority.pk,
            "request_type": "legal_process",
            "legal_process": "search_warrant",
            "accounts_specified": 1,
            "received_on": "2024-02-03",
            "status": "received",
        },
    )
    assert response.status_code == 302, text(response)
    assert DataRequest.objects.get(reference="XP-1").country.name == "Interpol"
    PauseDecisionFactory.build(country="XP").full_clean()


@pytest.mark.parametrize(
    "code, reason",
    [
        ("FR", "FR is the ISO 3166-1 code of France"),
        ("AB", "AB may yet be given to a country"),
        ("QI", "QI may yet be given to a country"),  # QM–QZ only
        ("X1", "'X1' is not a code of two letters"),
        ("XK", "XK is already the code of Kosovo"),
        ("UN", "UN is already the code of United Nations"),
    ],
)
def test_a_country_code_or_one_outside_the_user_assigned_range_is_refused(client, code, reason):
    login_as(client, roles.PUBLISHER)
    response = client.post(ADD_BODY, {**INTERPOL, "code": code})
    assert response.status_code == 200
    assert reason in text(response)
    assert "AA, QM–QZ, XA–XZ or ZZ" in text(response)
    assert not InternationalBody.objects.exists()


@pytest.mark.parametrize("code", ["FR", "AB", "XK", "xp"])
def test_the_database_refuses_such_codes_too(code):
    with pytest.raises(IntegrityError), transaction.atomic():
        InternationalBody.objects.create(code=code, name="Somebody")


def test_a_body_cannot_take_a_name_or_code_already_in_use():
    interpol()
    with pytest.raises(ValidationError, match="FR is already the jurisdiction named France"):
        services.international_body_create(code="XE", name="France")
    with pytest.raises(ValidationError, match="with this Code already exists"):
        services.international_body_create(code="XP", name="Europol")


def test_the_code_of_a_body_never_changes(client):
    body = interpol()
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.international_body_update(body=body, code="XE")
    login_as(client, roles.PUBLISHER)
    change = reverse("admin:requests_app_internationalbody_change", args=[body.pk])
    client.post(change, {**INTERPOL, "code": "XE", "name": "INTERPOL"})
    body.refresh_from_db()
    assert (body.code, body.name) == ("XP", "INTERPOL")


def test_a_reviewer_cannot_add_a_body_and_reads_the_list(client):
    login_as(client, roles.REVIEWER)
    assert client.get(ADD_BODY).status_code == 403
    assert client.post(ADD_BODY, INTERPOL).status_code == 403
    assert not InternationalBody.objects.exists()
    interpol()
    assert "Interpol" in client.get(BODIES).text


def run(command: str, path) -> str:
    """What the command reports, refusals included (their exit status is 1)."""
    out = io.StringIO()
    try:
        call_command(command, str(path), stdout=out, stderr=out)
    except CommandError as error:
        out.write(str(error))
    return out.getvalue()


def test_import_requests_and_import_figures_take_a_body_once_it_is_added(tmp_path):
    requests_file = tmp_path / "requests.csv"
    requests_file.write_text(REQUESTS_HEADER + "XP-1,xp,2020-03-02,legal_process,2,Interpol Secretariat\n")
    figures_file = tmp_path / "figures.csv"
    figures_file.write_text(FIGURES_HEADER + "2018-H2,XP,legal_process,4,5,2\n")
    assert "value 'xp': unknown country" in run("import_requests", requests_file)
    assert "value 'XP': not a jurisdiction code" in run("import_figures", figures_file)

    interpol()
    run("import_requests", requests_file)
    request = DataRequest.objects.get()
    assert request.country == "XP" and request.authority.country == "XP"
    run("import_figures", figures_file)
    assert FigureRow.objects.get().country == "XP"


def test_the_public_report_names_the_body(client):
    assert client.get("/countries/XP/").status_code == 404
    assert client.get("/data/requests.csv?country=XP").status_code == 400
    interpol()
    publication = PublicationFactory(period="2024-H1")
    FigureRowFactory(publication=publication, country="XP", requests=5, requests_with_data_produced=2)

    page = client.get("/countries/XP/")
    assert page.status_code == 200 and "<h1>Interpol" in page.text
    assert client.get("/countries/xp/")["Location"] == "/countries/XP/"
    assert "2024-H1,2024-01-01,2024-06-30,XP,Interpol," in client.get("/data/requests.csv?country=xp").text
    results = json.loads(client.get("/data/requests.json?country=XP").content)["results"]
    assert [row["country_name"] for row in results] == ["Interpol"]
    # It has no shape on the map: it is listed beside it.
    overview = client.get("/").text
    assert '<a href="/countries/XP/?period=2024-H1">Interpol</a> (5 requests)' in overview
    assert "Interpol" in client.get("/countries/?q=interp").text
    methodology = text(client.get("/methodology/"))
    assert "Interpol" in methodology and INTERPOL["description"] in methodology


def test_renaming_a_body_reaches_the_cached_public_pages_at_once(client):
    body = interpol()
    FigureRowFactory(country="XP")
    assert "Interpol" in client.get("/countries/XP/").text
    services.international_body_update(body=body, name="ICPO-Interpol")
    assert "ICPO-Interpol" in client.get("/countries/XP/").text


def test_a_body_added_by_another_process_is_known_from_the_next_request(client):
    assert not jurisdictions.is_code("XP")  # this process has read the bodies
    # Another process's insert: no signal of this process sees it.
    InternationalBody.objects.bulk_create([InternationalBody(code="XP", name="Interpol")])
    FigureRowFactory(country="XP")
    assert "Interpol" in client.get("/countries/XP/").text


def test_a_body_in_use_cannot_be_deleted(client):
    body = interpol()
    request = DataRequestFactory(country="XP")  # and its authority
    FigureRowFactory(country="XP")
    with pytest.raises(ValidationError, match="used by 1 data request, 1 authority, 1 figure row"):
        services.international_body_delete(body=body)

    login_as(client, roles.PUBLISHER)
    delete = reverse("admin:requests_app_internationalbody_delete", args=[body.pk])
    page = text(client.get(delete))
    assert "1 data request with the code XP" in page and "1 figure row with the code XP" in page
    client.post(delete, {"post": "yes"})
    assert InternationalBody.objects.filter(pk=body.pk).exists()

    authority = request.authority
    request.delete()
    authority.delete()
    FigureRow.objects.all().delete()
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not InternationalBody.objects.exists() and not jurisdictions.is_code("XP")


def test_authorities_and_pauses_of_a_body_validate(client):
    interpol()
    AuthorityFactory.build(name="Europol liaison office", country="XP").full_clean()
    with pytest.raises(ValidationError, match="not a valid choice"):
        AuthorityFactory.build(name="Nobody", country="XE").full_clean()
