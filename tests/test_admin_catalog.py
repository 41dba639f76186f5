"""The managed lists in the desk (legal processes, products): Publishers keep them, a code in use
stays as it is, and the request list is filtered and filled in from them."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from requests_app import roles
from requests_app.admin.catalog import ManagedListAdmin
from requests_app.models import LegalProcess, Product
from tests.factories import (
    DataRequestFactory,
    FigureRowFactory,
    LegalProcessFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROCESSES = reverse("admin:requests_app_legalprocess_changelist")
PRODUCTS = reverse("admin:requests_app_product_changelist")
REQUESTS = reverse("admin:requests_app_datarequest_changelist")


def url(model, view, *args):
    return reverse(f"admin:requests_app_{model._meta.model_name}_{view}", args=args)


def login_as(client, role):
    user = UserFactory(username=f"{role.lower()}-lists")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def warrant():
    """A legal process used by two requests and one published figure row."""
    warrant = LegalProcessFactory(code="warrant", name="Search warrant", position=1)
    DataRequestFactory(legal_process=warrant)
    DataRequestFactory(legal_process=warrant)
    FigureRowFactory(legal_process=warrant)
    return warrant


def test_the_list_shows_each_entry_with_what_uses_it_in_a_fixed_number_of_queries(
    client, warrant, django_assert_max_num_queries
):
    login_as(client, roles.AUDITOR)
    for n in range(20):
        entry = LegalProcessFactory(code=f"extra_{n}", position=50)
        DataRequestFactory(legal_process=entry)
    with django_assert_max_num_queries(12):
        response = client.get(PROCESSES)
    assert response.status_code == 200
    rows = {e.code: (e.usage.requests, e.usage.figure_rows) for e in response.context["cl"].result_list}
    assert rows["warrant"] == (2, 1) and rows["extra_7"] == (1, 0) and rows["mlat"] == (0, 0)
    for header in ["Code", "Name", "Position", "Requests", "Published figure rows"]:
        assert header in response.text
    codes = [e.code for e in response.context["cl"].result_list]
    assert codes.index("warrant") < codes.index("extra_0")  # by position

    def found(term):
        return {e.code for e in client.get(PROCESSES, {"q": term}).context["cl"].result_list}

    assert found("Search war") == {"warrant", "search_warrant"}  # the name (one from the migration)
    assert found("extra_1") == {"extra_1"} | {f"extra_1{n}" for n in range(10)}  # the code
    assert found("no-such-thing") == set()


def test_a_publisher_adds_and_renames_an_entry_recorded_in_its_history(client):
    publisher = login_as(client, roles.PUBLISHER)
    data = {"code": "messaging", "name": "Messaging", "description": "Chats and calls.", "position": 3}
    response = client.post(url(Product, "add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    product = Product.objects.get(code="messaging")

    response = client.post(url(Product, "change", product.pk), {**data, "code": "chat", "name": "Chat"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.code, product.name) == ("chat", "Chat")  # nothing used it yet
    assert [(v.history_type, v.name, v.history_user) for v in product.history.order_by("history_id")] == [
        ("+", "Messaging", publisher),
        ("~", "Chat", publisher),
    ]
    history = client.get(url(Product, "history", product.pk))
    assert history.status_code == 200 and "Chat" in history.text

    refused = client.post(url(Product, "add"), {**data, "code": "Not a code"})
    assert refused.status_code == 200 and "lower-case letters" in refused.text


def test_the_code_of_an_entry_in_use_is_read_only(client, warrant):
    login_as(client, roles.PUBLISHER)
    page = client.get(url(LegalProcess, "change", warrant.pk))
    assert "code" not in page.context["adminform"].form.fields
    assert "warrant" in page.text  # shown, not editable

    data = {"code": "changed", "name": "Warrant", "description": "", "position": 1}
    assert client.post(url(LegalProcess, "change", warrant.pk), data).status_code == 302
    warrant.refresh_from_db()
    assert (warrant.code, warrant.name) == ("warrant", "Warrant")

    unused = LegalProcessFactory(code="unused")
    assert "code" in client.get(url(LegalProcess, "change", unused.pk)).context["adminform"].form.fields


def test_deleting_an_entry_in_use_is_refused_with_what_uses_it(client, warrant):
    login_as(client, roles.PUBLISHER)
    page = client.get(url(LegalProcess, "delete", warrant.pk))
    assert page.status_code == 200
    assert "Cannot delete legal process" in page.text
    assert "Search warrant (warrant): used by 2 request(s) and 1 published figure row(s)" in page.text
    assert 'type="submit"' not in page.text.split('id="content"')[1]  # nothing to confirm

    response = client.post(url(LegalProcess, "delete", warrant.pk), {"post": "yes"})
    assert response.status_code == 200 and "Cannot delete" in response.text
    assert LegalProcess.objects.filter(pk=warrant.pk).exists()


def test_deleting_an_unused_entry(client):
    publisher = login_as(client, roles.PUBLISHER)
    unused = ProductFactory(code="fax")
    page = client.get(url(Product, "delete", unused.pk))
    assert page.status_code == 200 and "Are you sure" in page.text
    response = client.post(url(Product, "delete", unused.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Product.objects.filter(code="fax").exists()
    assert Product.history.filter(id=unused.pk, history_type="-").get().history_user == publisher


def test_bulk_delete_deletes_all_the_selected_entries_or_none(client, warrant):
    login_as(client, roles.PUBLISHER)
    unused = LegalProcessFactory(code="unused")
    selected = {"action": "delete_selected", "_selected_action": [warrant.pk, unused.pk], "post": "yes"}
    response = client.post(PROCESSES, selected)
    assert response.status_code == 200
    assert "Search warrant (warrant): used by 2 request(s) and 1 published figure row(s)" in response.text
    assert LegalProcess.objects.filter(code__in=["warrant", "unused"]).count() == 2

    response = client.post(PROCESSES, {**selected, "_selected_action": [unused.pk]})
    assert response.status_code == 302
    assert not LegalProcess.objects.filter(code="unused").exists()


def test_an_entry_that_came_into_use_meanwhile_is_refused_with_a_message(client, warrant, monkeypatch):
    # The confirmation saw it unused; the service counts again under a lock and refuses.
    login_as(client, roles.PUBLISHER)
    unprotected = lambda self, objs, request: ([], {}, set(), [])  # noqa: E731
    monkeypatch.setattr(ManagedListAdmin, "get_deleted_objects", unprotected)
    response = client.post(url(LegalProcess, "delete", warrant.pk), {"post": "yes"})
    assert response.status_code == 302
    assert any("used by 2 request(s)" in m and "cannot be deleted" in m for m in messages_of(response))
    response = client.post(
        PROCESSES, {"action": "delete_selected", "_selected_action": [warrant.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert any("cannot be deleted" in m for m in messages_of(response))
    assert LegalProcess.objects.filter(pk=warrant.pk).exists()


def test_reviewers_and_auditors_read_the_lists_and_change_nothing(client, warrant):
    for role in [roles.REVIEWER, roles.AUDITOR]:
        login_as(client, role)
        listed = client.get(PROCESSES)
        assert listed.status_code == 200 and "Search warrant" in listed.text
        assert listed.context["action_form"] is None or not [
            name for name, _ in listed.context["action_form"].fields["action"].choices if name
        ]
        assert client.get(url(LegalProcess, "add")).status_code == 403
        data = {"code": "warrant", "name": "Renamed", "description": "", "position": 1}
        assert client.post(url(LegalProcess, "change", warrant.pk), data).status_code == 403
        assert client.post(url(LegalProcess, "delete", warrant.pk), {"post": "yes"}).status_code == 403
        warrant.refresh_from_db()
        assert warrant.name == "Search warrant"


# --- the request list and form ----------------------------------------------------------------


def test_the_request_form_offers_the_lists_in_their_order(client, warrant):
    login_as(client, roles.REVIEWER)
    ProductFactory(code="mail", name="Mail", position=2)
    ProductFactory(code="ads", name="Ads", position=1)
    form = client.get(reverse("admin:requests_app_datarequest_add")).context["adminform"].form
    processes = [code for code, _ in form.fields["legal_process"].choices if code]
    products = [str(code) for code, _ in form.fields["product"].choices if code]
    assert processes == list(LegalProcess.objects.order_by("position", "name").values_list("code", flat=True))
    assert processes.index("warrant") < processes.index("mlat")
    assert products == ["ads", "mail"]


def test_the_request_list_filters_by_legal_process_and_product(client, warrant):
    login_as(client, roles.REVIEWER)
    mail = ProductFactory(code="mail", name="Mail")
    DataRequestFactory(reference="MAIL-1", product=mail)
    DataRequestFactory(reference="NONE-1", request_type="emergency")

    def refs(**params):
        return {o.reference for o in client.get(REQUESTS, params).context["cl"].result_list}

    listed = client.get(REQUESTS)
    assert "?legal_process__code__exact=warrant" in listed.text
    assert "?product__code__exact=mail" in listed.text
    assert len(refs(legal_process__code__exact="warrant")) == 2
    assert refs(product__code__exact="mail") == {"MAIL-1"}
    assert "NONE-1" in refs(legal_process__isnull="True")
    assert refs(legal_process__code__exact="mlat") == set()
