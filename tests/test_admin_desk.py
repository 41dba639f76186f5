"""The reviewers' desk in the real admin, driven through the test client."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from requests_app import roles, services
from requests_app.models import DataRequest, PauseDecision
from tests.factories import DataRequestFactory, PauseDecisionFactory, UserFactory

pytestmark = pytest.mark.django_db

REQUESTS = reverse("admin:requests_app_datarequest_changelist")
PAUSES = reverse("admin:requests_app_pausedecision_changelist")
S = DataRequest.Status


def login_as(client, role: str | None, username: str | None = None):
    user = UserFactory(username=username or f"{(role or 'nobody').lower()}-user")
    if role:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def action_names(response) -> list[str]:
    form = response.context["action_form"]
    return [name for name, _ in form.fields["action"].choices if name] if form else []


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def request_form_data(obj: DataRequest, **overrides) -> dict:
    data = {
        "reference": obj.reference,
        "country": obj.country.code,
        "authority": obj.authority_id or "",
        "request_type": obj.request_type,
        "legal_process": obj.legal_process_id or "",
        "product": obj.product_id or "",
        "accounts_specified": obj.accounts_specified,
        "received_on": obj.received_on.isoformat(),
        "acknowledged_on": "",
        "assignee": obj.assignee_id or "",
        "user_notification": "",
        "notification_delayed_until": "",
        "internal_notes": obj.internal_notes,
        "expected_version": obj.version,
    }
    data.update(overrides)
    return data


def pause_form_data(**overrides) -> dict:
    data = {
        "country": "HK",
        "status": "paused",
        "effective_from": "2020-07-06",
        "ended_on": "",
        "next_review_on": "",
        "decided_by": "",
        "covers_legal_process": "on",
        "holds_pending": "on",
        "allowed_exceptions": ["threat_to_life"],
        "exceptions_policy": "Threat to life.",
        "public_statement": "Paused.",
        "statement_language": "en",
        "statement_url": "",
        "trigger": "",
        "internal_rationale": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the work queue ------------------------------------------------------------------------


def test_changelist_columns_and_queue_filters(client):
    me = login_as(client, roles.REVIEWER, "me")
    today = timezone.localdate()
    mine = DataRequestFactory(reference="MINE", assignee=me, received_on=today)
    overdue = DataRequestFactory(reference="OLD", received_on=today - datetime.timedelta(days=90))
    pause = PauseDecisionFactory(country="HK", effective_from=today - datetime.timedelta(days=5))
    held = DataRequestFactory(
        reference="HELD", country="HK", status=S.ON_HOLD, held_by=pause, received_on=today
    )
    DataRequestFactory(reference="DONE", completed=True, received_on=datetime.date(2019, 3, 1))

    response = client.get(REQUESTS)
    assert response.status_code == 200
    for header in [
        "Reference",
        "Country",
        "Request type",
        "Accounts specified",
        "Status",
        "Age (days)",
        "Assignee",
    ]:
        assert header in response.text
    assert "Hong Kong (HK)" in response.text and "🇭🇰" not in response.text  # flags: empty boxes on Linux

    def refs(**params):
        return {o.reference for o in client.get(REQUESTS, params).context["cl"].result_list}

    assert refs(assignee="mine") == {mine.reference}
    assert refs(assignee="unassigned") == {"OLD", "HELD"}  # the work queue: open requests
    assert refs(assignee="unassigned", queue="all") == {"OLD", "HELD", "DONE"}
    assert refs(overdue="yes") == {overdue.reference}
    assert refs(on_hold="yes") == {held.reference}
    assert refs(period="2019-H1", queue="all") == {"DONE"}
    assert refs(q="HEL") == {"HELD"}
    assert refs(q=held.authority.name) >= {"HELD"}
    assert refs(status__exact="received") == {"MINE", "OLD"}


def test_assign_start_and_withdraw_actions(client):
    me = login_as(client, roles.REVIEWER)
    a, b = DataRequestFactory(reference="A"), DataRequestFactory(reference="B", completed=True)
    client.post(REQUESTS, {"action": "assign_to_me", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.assignee == me
    response = client.post(  # both selected on "All requests" (the completed one is not in the queue)
        REQUESTS + "?queue=all", {"action": "start_review", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    a.refresh_from_db()
    assert a.status == S.IN_REVIEW
    assert any("B refused" in m and "'Completed' to 'In review'" in m for m in messages_of(response))
    client.post(REQUESTS, {"action": "withdraw", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.status == S.WITHDRAWN


def test_bulk_complete_of_100_requests_in_bounded_queries(client, django_assert_max_num_queries):
    login_as(client, roles.REVIEWER)
    pks = [DataRequestFactory(status=S.IN_REVIEW).pk for _ in range(98)]
    pks.append(DataRequestFactory(reference="STILL-NEW", status=S.RECEIVED).pk)
    pks.append(
        DataRequestFactory(
            reference="TOO-EARLY", status=S.IN_REVIEW, received_on=datetime.date(2020, 6, 1)
        ).pk
    )

    response = client.post(REQUESTS, {"action": "complete_with_outcome", "_selected_action": pks})
    assert response.status_code == 200
    assert "Complete requests with one outcome" in response.text

    form = {
        "action": "complete_with_outcome",
        "_selected_action": pks,
        "apply": "1",
        "outcome": "rejected",
        "outcome_reason": "overbroad",
        "decided_on": "2020-05-01",
    }
    with django_assert_max_num_queries(27):  # 2 of them: the legal process and product filters' lists
        response = client.post(REQUESTS, form)
    assert response.status_code == 302
    assert DataRequest.objects.filter(status=S.COMPLETED, outcome="rejected").count() == 98
    texts = messages_of(response)
    assert "Completed: 98 request(s)." in texts
    assert any(t.startswith("STILL-NEW refused:") and "'Received' to 'Completed'" in t for t in texts)
    assert any(t.startswith("TOO-EARLY refused:") and "cannot be before" in t for t in texts)


def test_bulk_complete_form_errors_keep_the_selection(client):
    login_as(client, roles.REVIEWER)
    req = DataRequestFactory(status=S.IN_REVIEW)
    response = client.post(
        REQUESTS,
        {"action": "complete_with_outcome", "_selected_action": [req.pk], "apply": "1", "outcome": "x"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert f'value="{req.pk}"' in response.text
    req.refresh_from_db()
    assert req.status == S.IN_REVIEW


def test_concurrent_edit_in_the_admin_is_refused(client):
    request = DataRequestFactory(internal_notes="Accounts")
    login_as(client, roles.REVIEWER, "first")
    url = reverse("admin:requests_app_datarequest_change", args=[request.pk])
    opened = client.get(url).context["adminform"].form.fields["expected_version"].initial
    assert opened == request.version
    response = client.post(
        url, request_form_data(request, internal_notes="Messaging", expected_version=opened)
    )
    assert response.status_code == 302

    login_as(client, roles.REVIEWER, "second")
    response = client.post(url, request_form_data(request, internal_notes="Photos", expected_version=opened))
    assert response.status_code == 200
    assert "Someone else saved this record after you opened it" in response.text
    request.refresh_from_db()
    assert request.internal_notes == "Messaging"

    history = client.get(reverse("admin:requests_app_datarequest_history", args=[request.pk]))
    assert history.status_code == 200
    assert "first" in history.text and "Messaging" in history.text


def test_admin_index_shows_the_queue(client):
    login_as(client, roles.AUDITOR)
    DataRequestFactory(status=S.IN_REVIEW, received_on=timezone.localdate() - datetime.timedelta(days=400))
    PauseDecisionFactory(country="HK", effective_from=datetime.date(2020, 7, 6))
    response = client.get(reverse("admin:index"))
    assert "The queue at a glance" in response.text
    summary = response.context["queue"] if "queue" in response.context else None
    assert summary is not None
    assert summary.overdue == 1
    assert [p.country.code for p in summary.active_pauses] == ["HK"]
    assert "Hong Kong (Paused since 2020-07-06)" in response.text


# --- pause decisions -----------------------------------------------------------------------


def test_creating_a_pause_asks_for_confirmation_with_counts(client):
    login_as(client, roles.PUBLISHER)
    for _ in range(3):
        DataRequestFactory(country="HK")
    url = reverse("admin:requests_app_pausedecision_add")
    response = client.post(url, pause_form_data())
    assert response.status_code == 200
    assert "will put 3 open request(s) on hold and release 0" in response.text
    assert not PauseDecision.objects.exists()

    response = client.post(url, pause_form_data(confirm_hold_changes="on"), follow=True)
    assert PauseDecision.objects.count() == 1
    assert DataRequest.objects.filter(status=S.ON_HOLD).count() == 3
    assert "3 request(s) put on hold, 0 released to review." in messages_of(response)


def test_lift_action_states_and_releases(client):
    login_as(client, roles.PUBLISHER)
    pause = PauseDecisionFactory(country="HK", effective_from=datetime.date(2020, 7, 6))
    for _ in range(2):
        DataRequestFactory(country="HK", status=S.ON_HOLD, held_by=pause)
    response = client.post(PAUSES, {"action": "lift", "_selected_action": [pause.pk]})
    assert "2 request(s) will be released" in response.text
    response = client.post(
        PAUSES, {"action": "lift", "_selected_action": [pause.pk], "apply": "1", "ended_on": "2021-01-01"}
    )
    pause.refresh_from_db()
    assert pause.status == "lifted" and pause.ended_on == datetime.date(2021, 1, 1)
    assert DataRequest.objects.filter(status=S.IN_REVIEW).count() == 2


def test_concurrent_pause_edit_is_refused(client):
    pause = PauseDecisionFactory(country="RU", public_statement="v1")
    login_as(client, roles.PUBLISHER)
    url = reverse("admin:requests_app_pausedecision_change", args=[pause.pk])
    data = pause_form_data(country="RU", public_statement="first", expected_version=pause.version)
    assert client.post(url, data).status_code == 302
    data = pause_form_data(country="RU", public_statement="second", expected_version=pause.version)
    response = client.post(url, data)
    assert "Someone else saved this record" in response.text
    pause.refresh_from_db()
    assert pause.public_statement == "first"


# --- roles ---------------------------------------------------------------------------------


def test_reviewer_works_requests_but_cannot_change_pauses_or_delete(client):
    login_as(client, roles.REVIEWER)
    request, pause = DataRequestFactory(), PauseDecisionFactory()
    assert client.get(reverse("admin:requests_app_datarequest_add")).status_code == 200
    assert client.get(PAUSES).status_code == 200
    assert "lift" not in action_names(client.get(PAUSES))
    assert set(action_names(client.get(REQUESTS))) == {
        "assign_to_me",
        "start_review",
        "complete_with_outcome",
        "withdraw",
        "export_as_csv",
    }
    assert client.get(reverse("admin:requests_app_pausedecision_add")).status_code == 403
    change = client.post(
        reverse("admin:requests_app_pausedecision_change", args=[pause.pk]), pause_form_data()
    )
    assert change.status_code == 403
    assert client.post(reverse("admin:requests_app_datarequest_delete", args=[request.pk])).status_code == 403
    assert DataRequest.objects.filter(pk=request.pk).exists()


def test_publisher_can_record_pauses(client):
    login_as(client, roles.PUBLISHER)
    assert client.get(reverse("admin:requests_app_pausedecision_add")).status_code == 200
    assert "lift" in action_names(client.get(PAUSES))


def test_auditor_reads_everything_including_history_and_changes_nothing(client):
    login_as(client, roles.AUDITOR)
    request, pause = DataRequestFactory(internal_notes="Accounts"), PauseDecisionFactory()
    for url in [
        REQUESTS,
        PAUSES,
        reverse("admin:requests_app_datarequest_change", args=[request.pk]),
        reverse("admin:requests_app_datarequest_history", args=[request.pk]),
        reverse("admin:requests_app_pausedecision_history", args=[pause.pk]),
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:requests_app_datarequest_add")).status_code == 403
    url = reverse("admin:requests_app_datarequest_change", args=[request.pk])
    assert client.post(url, request_form_data(request, internal_notes="Photos")).status_code == 403
    request.refresh_from_db()
    assert request.internal_notes == "Accounts"
    response = client.post(REQUESTS, {"action": "start_review", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == S.RECEIVED
    assert action_names(client.get(REQUESTS)) == ["export_as_csv"]  # reading, not changing
    assert action_names(client.get(PAUSES)) == []
    assert response.status_code in (200, 302)


def test_anonymous_and_non_staff_are_sent_to_login(client):
    assert client.get(REQUESTS).status_code == 302
    user = UserFactory(username="outsider", is_staff=False)
    client.force_login(user)
    response = client.get(REQUESTS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_queue_counts_at_most_the_cap(client, monkeypatch):
    from requests_app.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 5)
    login_as(client, roles.REVIEWER)
    for _ in range(7):
        DataRequestFactory()
    response = client.get(REQUESTS)
    assert response.context["cl"].result_count == 5  # capped: no exact count of the whole queue
    assert "5+ data requests" in response.text  # and it says so, rather than "5 data requests"
    assert len(response.context["cl"].result_list) == 7  # the page itself is not cut


def test_held_requests_are_not_overdue_and_the_overdue_list_starts_with_the_oldest(client):
    login_as(client, roles.REVIEWER)
    today = timezone.localdate()
    pause = PauseDecisionFactory(country="HK", effective_from=today - datetime.timedelta(days=200))
    DataRequestFactory(
        reference="HELD-OLD",
        country="HK",
        status=S.ON_HOLD,
        held_by=pause,
        received_on=today - datetime.timedelta(days=120),
    )
    for days, reference in [(40, "OLD-40"), (100, "OLD-100"), (60, "OLD-60")]:
        DataRequestFactory(reference=reference, received_on=today - datetime.timedelta(days=days))
    listed = [o.reference for o in client.get(REQUESTS, {"overdue": "yes"}).context["cl"].result_list]
    assert listed == ["OLD-100", "OLD-60", "OLD-40"]
    summary = client.get(reverse("admin:index")).context["queue"]
    assert summary.overdue == 3 and summary.on_hold == 1


def test_authority_labels_name_the_country_once():
    from tests.factories import AuthorityFactory

    assert str(AuthorityFactory(name="Courts (AT)", country="AT")) == "Courts (AT)"
    assert str(AuthorityFactory(name="Bundeskriminalamt", country="DE")) == "Bundeskriminalamt (DE)"


def test_the_change_page_carries_the_workflow(client):
    me = login_as(client, roles.REVIEWER, "decider")
    request = DataRequestFactory(reference="WF-PAGE")
    change = reverse("admin:requests_app_datarequest_change", args=[request.pk])
    step = lambda name: reverse("admin:requests_app_datarequest_workflow", args=[request.pk, name])  # noqa: E731
    page = client.get(change).text
    assert "Assign to me" in page and "Start review" in page and "Withdraw" in page
    assert "Complete…" not in page  # a received request is reviewed before it is decided
    assert client.get(step("start_review")).status_code == 405  # a step changes things: POST only
    response = client.post(step("assign_to_me"))
    assert response.status_code == 302 and response["Location"] == change
    client.post(step("start_review"))
    request.refresh_from_db()
    assert (request.status, request.assignee) == (S.IN_REVIEW, me)
    assert "Complete…" in client.get(change).text
    form = client.get(step("complete"))
    assert form.status_code == 200 and 'name="outcome"' in form.text
    today = timezone.localdate().isoformat()
    refused = client.post(step("complete"), {"outcome": "rejected", "decided_on": today})
    assert "refused" in " ".join(messages_of(refused))  # a refusal needs its reason, as in the list action
    client.post(
        step("complete"),
        {"outcome": "rejected", "outcome_reason": "overbroad", "decided_on": today},
    )
    request.refresh_from_db()
    assert (request.status, request.outcome_reason) == (S.COMPLETED, "overbroad")
    assert "Start review" not in client.get(change).text and "Withdraw" not in client.get(change).text


def test_an_auditor_sees_no_workflow_steps_and_cannot_post_them(client):
    login_as(client, roles.AUDITOR)
    request = DataRequestFactory()
    change = reverse("admin:requests_app_datarequest_change", args=[request.pk])
    assert "Start review" not in client.get(change).text
    url = reverse("admin:requests_app_datarequest_workflow", args=[request.pk, "start_review"])
    assert client.post(url).status_code == 403
    request.refresh_from_db()
    assert request.status == S.RECEIVED


def test_the_list_opens_on_the_work_queue_emergencies_first_then_oldest(client):
    login_as(client, roles.REVIEWER)
    today = timezone.localdate()
    for reference, days, request_type, status in [
        ("NEW-LEGAL", 1, "legal_process", S.RECEIVED),
        ("OLD-LEGAL", 20, "legal_process", S.IN_REVIEW),
        ("NEW-EMERGENCY", 0, "emergency", S.RECEIVED),
        ("OLD-EMERGENCY", 3, "emergency", S.IN_REVIEW),
    ]:
        received = today - datetime.timedelta(days=days)
        DataRequestFactory(
            reference=reference, request_type=request_type, status=status, received_on=received
        )
    DataRequestFactory(reference="DECIDED", completed=True, received_on=today - datetime.timedelta(days=30))
    response = client.get(REQUESTS)
    listed = [o.reference for o in response.context["cl"].result_list]
    assert listed == ["OLD-EMERGENCY", "NEW-EMERGENCY", "OLD-LEGAL", "NEW-LEGAL"]
    assert "Open (the work queue)" in response.text and "All requests" in response.text
    everything = [o.reference for o in client.get(REQUESTS, {"queue": "all"}).context["cl"].result_list]
    assert everything[0] == "NEW-EMERGENCY" and "DECIDED" in everything  # newest first
    # an explicit status filter decides by itself
    completed = client.get(REQUESTS, {"status__exact": "completed"}).context["cl"].result_list
    assert [o.reference for o in completed] == ["DECIDED"]


def test_the_country_filter_completes_from_the_jurisdictions_on_record(client):
    login_as(client, roles.REVIEWER)
    DataRequestFactory(reference="R-HK", country="HK")
    DataRequestFactory(reference="R-DE", country="DE")
    page = client.get(REQUESTS).text
    datalist = page.split('id="country-filter-options"')[1]
    options = re.findall(r'<option value="(\w\w)">([^<]+)</option>', datalist)
    assert ("HK", "Hong Kong (HK)") in options and ("DE", "Germany (DE)") in options
    assert len(options) < 10  # the jurisdictions met, not all 250

    def refs(**params):
        return {o.reference for o in client.get(REQUESTS, params).context["cl"].result_list}

    assert refs(country__exact="HK") == refs(country__exact="hong kong") == {"R-HK"}
    assert refs(country__exact="Germany (DE)") == {"R-DE"}
    assert refs(country__exact="Atlantis") == set()


def test_what_is_asked_for_by_name_is_shown_even_when_decided(client):
    login_as(client, roles.REVIEWER)
    DataRequestFactory(reference="OPEN-1")
    DataRequestFactory(reference="CLOSED-1", completed=True)

    def refs(**params):
        return {o.reference for o in client.get(REQUESTS, params).context["cl"].result_list}

    assert refs() == {"OPEN-1"}  # the work queue
    assert refs(q="CLOSED-1") == {"CLOSED-1"}  # a search finds a decided request
    assert refs(queue="open", status__exact="completed") == {"CLOSED-1"}  # a status link after "Open"
    run = services.import_run_start(actor=None, source="command", file_name="f.csv", update_existing=False)
    DataRequest.objects.filter(reference="CLOSED-1").update(import_run=run)
    assert refs(import_run__exact=run.pk) == {"CLOSED-1"}  # "the requests this import created"
