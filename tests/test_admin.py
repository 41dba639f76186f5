"""Smoke tests of every ModelAdmin through the real admin: changelist, search, add, change."""

import pytest
from django.contrib import admin
from django.urls import reverse

from requests_app.models import (
    Authority,
    DataRequest,
    FigureRow,
    InternationalBody,
    PauseDecision,
    Publication,
)
from tests.factories import (
    AuthorityFactory,
    DataRequestFactory,
    FigureRowFactory,
    InternationalBodyFactory,
    PauseDecisionFactory,
)

pytestmark = pytest.mark.django_db


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def objects():
    return {
        Authority: AuthorityFactory(name="Bundeskriminalamt"),
        DataRequest: DataRequestFactory(reference="CASE-ADMIN-1"),
        PauseDecision: PauseDecisionFactory(),
        Publication: FigureRowFactory().publication,
        InternationalBody: InternationalBodyFactory(),
    }


SEARCH_TERMS = {
    Authority: "Bundes",
    DataRequest: "CASE-ADMIN",
    PauseDecision: "paused",
    Publication: "2020",
    InternationalBody: "interp",
}


@pytest.mark.parametrize("model", [Authority, DataRequest, PauseDecision, Publication, InternationalBody])
def test_changelist_search_add_change(admin_client, objects, model):
    obj = objects[model]
    assert model in admin.site._registry

    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert str(obj) in response.text or obj.pk in [o.pk for o in response.context["cl"].result_list]

    response = admin_client.get(admin_url(model, "changelist"), {"q": SEARCH_TERMS[model]})
    assert response.status_code == 200
    assert obj in list(response.context["cl"].result_list)
    response = admin_client.get(admin_url(model, "changelist"), {"q": "no-such-thing-xyz"})
    assert list(response.context["cl"].result_list) == []

    assert admin_client.get(admin_url(model, "add")).status_code == 200
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj


def test_add_request_through_admin_validates_and_saves(admin_client):
    authority = AuthorityFactory()
    data = {
        "reference": "CASE-NEW-1",
        "country": "DE",
        "authority": authority.pk,
        "request_type": "legal_process",
        "legal_process": "search_warrant",
        "accounts_specified": 0,
        "received_on": "2021-02-03",
        "status": "received",
    }
    response = admin_client.post(admin_url(DataRequest, "add"), data)
    assert response.status_code == 200
    assert "A request names at least one account." in response.text
    assert not DataRequest.objects.filter(reference="CASE-NEW-1").exists()

    data["accounts_specified"] = 2
    response = admin_client.post(admin_url(DataRequest, "add"), data)
    assert response.status_code == 302
    assert DataRequest.objects.get(reference="CASE-NEW-1").accounts_specified == 2


def test_figure_rows_are_read_only_in_the_admin(admin_client):
    row = FigureRowFactory()
    response = admin_client.get(admin_url(Publication, "change", row.publication.pk))
    assert response.status_code == 200
    assert FigureRow.objects.count() == 1
    assert 'name="rows-0-requests"' not in response.text
