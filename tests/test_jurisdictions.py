"""Requests come from jurisdictions, not only ISO 3166-1 countries: Kosovo and international bodies."""

import datetime

import pytest
from django.core.management import call_command

from requests_app import jurisdictions
from requests_app.models import Authority, DataRequest
from tests.factories import FigureRowFactory, PublicationFactory

pytestmark = pytest.mark.django_db


def test_kosovo_and_international_bodies_are_jurisdictions():
    assert {"XK", "UN", "EU", "HK", "US"} <= jurisdictions.codes()
    assert jurisdictions.name("XK") == "Kosovo"
    assert jurisdictions.name("UN") == "United Nations"
    assert jurisdictions.FIXED_BODIES == {"UN", "EU"}


def test_requests_from_kosovo_and_the_un_are_valid_and_importable(tmp_path):
    authority = Authority(name="Kosovo Police", country="XK", kind="police")
    authority.full_clean()
    authority.save()
    request = DataRequest(
        reference="XK-1",
        country="XK",
        authority=authority,
        request_type="legal_process",
        accounts_specified=1,
        received_on=datetime.date(2024, 3, 1),
    )
    request.full_clean()
    path = tmp_path / "bodies.csv"
    path.write_text(
        "reference,country,received_on,request_type,accounts_specified,authority\n"
        "UN-1,un,2024-03-02,legal_process,2,United Nations Office on Drugs and Crime\n"
        "XK-2,XK,2024-03-03,emergency,1,Kosovo Police\n"
    )
    call_command("import_requests", str(path))
    assert set(DataRequest.objects.values_list("country", flat=True)) == {"UN", "XK"}


def test_public_pages_and_data_serve_kosovo_and_the_un(client):
    publication = PublicationFactory(period="2024-H1")
    FigureRowFactory(publication=publication, country="XK", requests=7, requests_with_data_produced=3)
    FigureRowFactory(
        publication=publication, country="UN", requests=2, accounts_specified=2, requests_with_data_produced=1
    )
    page = client.get("/countries/XK/")
    assert page.status_code == 200 and "Kosovo" in page.text
    assert client.get("/countries/UN/").status_code == 200
    assert "United Nations" in client.get("/countries/").text
    data = client.get("/data/requests.csv?country=XK,UN").content.decode()
    assert ",XK,Kosovo," in data and ",UN,United Nations," in data
    assert client.get("/data/requests.csv?country=XX").status_code == 400
    overview = client.get("/").text  # neither has a shape on the map: both are listed beside it
    assert 'Not on the map: <a href="/countries/XK/?period=2024-H1">Kosovo</a> (7 requests)' in overview
    assert '<a href="/countries/UN/?period=2024-H1">United Nations</a> (2 requests)' in overview
