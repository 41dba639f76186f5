"""The desk a reviewer works all day, in a real browser: the queue, and deciding on a request's page."""


import pytest
from django.urls import reverse

from requests_app import roles
from requests_app.models import DataRequest
from tests.e2e.conftest import log_in, screenshot
from tests.factories import DataRequestFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def reviewer(page, live_server):
    log_in(page, live_server, username="rosa", role=roles.REVIEWER)
    return page


def test_a_reviewer_decides_a_request_on_its_own_page(reviewer):
    page = reviewer
    request = DataRequestFactory(reference="BROWSER-1", request_type="emergency")
    DataRequestFactory(reference="DONE-1", completed=True)
    page.goto(page.base + reverse("admin:requests_app_datarequest_changelist"))
    assert page.get_by_role("link", name="BROWSER-1").is_visible()
    assert page.get_by_role("link", name="DONE-1").count() == 0  # the work queue: open requests
    screenshot(page, "desk-queue")
    page.get_by_role("link", name="BROWSER-1").click()
    page.get_by_role("button", name="Start review").click()
    page.wait_for_load_state()
    assert "Start review: BROWSER-1." in page.locator(".messagelist").inner_text()
    page.get_by_role("link", name="Complete…").click()
    page.locator("#id_outcome").select_option("some_data")
    page.locator("#id_disclosure").select_option("non_content")
    page.get_by_role("button", name="Complete BROWSER-1").click()
    page.wait_for_load_state()
    assert "Completed: BROWSER-1." in page.locator(".messagelist").inner_text()
    screenshot(page, "desk-change")
    request.refresh_from_db()
    assert (request.status, request.outcome, request.disclosure) == (
        DataRequest.Status.COMPLETED,
        "some_data",
        "non_content",
    )
    assert page.get_by_role("button", name="Start review").count() == 0
