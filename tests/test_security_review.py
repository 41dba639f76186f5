"""The findings of the outside security review of the desk, each pinned by a test."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app import roles
from requests_app.models import Authority, DataRequest, PauseDecision
from tests.factories import AuthorityFactory, DataRequestFactory, PauseDecisionFactory, UserFactory

pytestmark = pytest.mark.django_db

PAUSES = reverse("admin:requests_app_pausedecision_changelist")


def logged_in(role: str | None, *, superuser: bool = False) -> Client:
    user = UserFactory(username=f"{(role or 'super').lower()}-{superuser}", is_superuser=superuser)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def history_url(obj) -> str:
    opts = obj._meta
    version = obj.history.latest("history_id")
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history", args=[obj.pk, version.history_id]
    )


# --- 1. the history detail page writes nothing -------------------------------------------------


def pause_form(pause: PauseDecision, **changes) -> dict:
    data = {
        "country": pause.country.code,
        "status": pause.status,
        "effective_from": pause.effective_from.isoformat(),
        "ended_on": "",
        "next_review_on": "",
        "decided_by": "",
        "covers_legal_process": "on",
        "holds_pending": "on",
        "allowed_exceptions": pause.allowed_exceptions,
        "exceptions_policy": pause.exceptions_policy,
        "public_statement": pause.public_statement,
        "statement_language": "en",
        "statement_url": "",
        "trigger": "",
        "internal_rationale": "",
        "expected_version": pause.version,
        "confirm_hold_changes": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", [roles.REVIEWER, roles.PUBLISHER, roles.AUDITOR, None])
def test_a_post_to_a_pause_history_page_is_refused_and_changes_nothing(role):
    pause = PauseDecisionFactory()
    client = logged_in(role, superuser=role is None)
    response = client.post(history_url(pause), pause_form(pause, public_statement="Rewritten via history."))
    assert response.status_code == 403
    pause.refresh_from_db()
    assert pause.public_statement == "We have paused requests pending human-rights due diligence."
    assert "Rewritten" not in client.get("/paused/").text


def test_an_auditor_cannot_lift_a_pause_or_change_a_request_or_rename_an_authority_via_history():
    pause = PauseDecisionFactory()
    held = DataRequestFactory(country="HK", status=DataRequest.Status.ON_HOLD, held_by=pause)
    request = DataRequestFactory(accounts_specified=3)
    authority = AuthorityFactory(name="Bundeskriminalamt")
    client = logged_in(roles.AUDITOR)
    assert client.post(history_url(pause), pause_form(pause, ended_on="2021-01-01")).status_code == 403
    data = {
        "reference": request.reference,
        "country": "DE",
        "authority": request.authority_id,
        "request_type": request.request_type,
        "accounts_specified": 999,
        "received_on": request.received_on.isoformat(),
        "expected_version": request.version,
    }
    assert client.post(history_url(request), data).status_code == 403
    renamed = {"name": "Renamed", "country": "DE", "kind": "police"}
    assert client.post(history_url(authority), renamed).status_code == 403
    pause.refresh_from_db(), held.refresh_from_db(), request.refresh_from_db(), authority.refresh_from_db()
    assert pause.ended_on is None and held.status == DataRequest.Status.ON_HOLD
    assert request.accounts_specified == 3
    assert authority.name == "Bundeskriminalamt"


@pytest.mark.parametrize("make", [PauseDecisionFactory, DataRequestFactory, AuthorityFactory])
def test_every_history_page_shows_an_old_version_with_no_editable_field(make):
    obj = make()
    response = logged_in(roles.AUDITOR).get(history_url(obj))
    assert response.status_code == 200
    form = response.context["adminform"]
    editable = [field for fieldset in form for line in fieldset for field in line if not field.is_readonly]
    assert editable == [], editable
    assert "<input type=\"text\"" not in response.text and "<textarea" not in response.text


def test_the_history_page_shows_the_old_version_with_no_editable_field():
    pause = PauseDecisionFactory(public_statement="First statement.")
    old = history_url(pause)
    pause.public_statement = "Second statement."
    pause.save()
    response = logged_in(roles.AUDITOR).get(old)
    assert response.status_code == 200
    assert "First statement." in response.text
    form = response.context["adminform"]
    editable = [field for fieldset in form for line in fieldset for field in line if not field.is_readonly]
    assert editable == []
    assert 'name="public_statement"' not in response.text
    assert '<input type="submit"' not in response.text  # no Save or Revert button


def test_the_history_list_refuses_a_post():
    pause = PauseDecisionFactory()
    url = reverse("admin:requests_app_pausedecision_history", args=[pause.pk])
    assert logged_in(roles.PUBLISHER).post(url, {}).status_code == 403


# --- 3. (validators) is in tests/test_page_cache.py; 4. a bad date in "Lift" ---------------------


@pytest.mark.parametrize("ended_on", ["", "not-a-date", "2021-02-30", "99999-01-01"])
def test_lift_with_a_bad_date_is_a_form_error_not_a_500(ended_on):
    pause = PauseDecisionFactory()
    client = logged_in(roles.PUBLISHER)
    response = client.post(
        PAUSES, {"action": "lift", "_selected_action": [pause.pk], "apply": "1", "ended_on": ended_on}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ended_on"]
    assert "errorlist" in response.text
    pause.refresh_from_db()
    assert pause.ended_on is None


def test_lift_with_a_good_date_lifts():
    pause = PauseDecisionFactory()
    client = logged_in(roles.PUBLISHER)
    today = timezone.localdate().isoformat()
    response = client.post(
        PAUSES, {"action": "lift", "_selected_action": [pause.pk], "apply": "1", "ended_on": today}
    )
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.ended_on.isoformat() == today


# --- 5. login throttling behind a proxy -------------------------------------------------------


def fail_logins(username: str, times: int, **meta) -> None:
    for _ in range(times):
        Client().post(reverse("admin:login"), {"username": username, "password": "wrong"}, **meta)


def login_status(username: str, password: str, **meta) -> int:
    credentials = {"username": username, "password": password}
    return Client().post(reverse("admin:login"), credentials, **meta).status_code


PROXY = {"REMOTE_ADDR": "10.0.0.2"}


def test_behind_a_trusted_proxy_one_client_cannot_lock_out_another(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="reviewer-x", password="right password 123")
    fail_logins("reviewer-x", settings.AXES_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR="198.51.100.7", **PROXY)
    # The attacker is locked out; the reviewer, from her own address, still logs in.
    attacker, reviewer = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}, {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert login_status("reviewer-x", "right password 123", **attacker, **PROXY) == 429
    assert login_status("reviewer-x", "right password 123", **reviewer, **PROXY) == 302


def test_a_spoofed_forwarded_for_entry_does_not_escape_the_lockout(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="reviewer-y", password="right password 123")
    # The client writes a fresh address each time; the proxy appends the real one.
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            reverse("admin:login"),
            {"username": "reviewer-y", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7",
            **PROXY,
        )
    forwarded = "192.0.2.200, 198.51.100.7"
    assert login_status("reviewer-y", "right password 123", HTTP_X_FORWARDED_FOR=forwarded, **PROXY) == 429


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="reviewer-z", password="right password 123")
    # A client cannot pick the address it is throttled under by writing the header.
    for n in range(settings.AXES_FAILURE_LIMIT):
        fail_logins("reviewer-z", 1, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", REMOTE_ADDR="198.51.100.9")
    assert login_status("reviewer-z", "right password 123", REMOTE_ADDR="198.51.100.9") == 429
    assert login_status("reviewer-z", "right password 123", REMOTE_ADDR="203.0.113.5") == 302


# --- 6. smaller ------------------------------------------------------------------------------


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_a_login_with_an_unsafe_next_lands_on_the_desk(next_url):
    UserFactory(username="lands", password="right password 123")
    response = Client().post(
        reverse("admin:login") + (f"?next={next_url}" if next_url else ""),
        {"username": "lands", "password": "right password 123", "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
@pytest.mark.parametrize("url", ["/", "/countries/", "/paused/", "/data/", "/data/requests.csv"])
def test_writes_to_a_public_page_answer_405(method, url):
    client = Client(enforce_csrf_checks=True)  # as a browser or script meets the site
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert sorted(response["Allow"].replace(" ", "").split(",")) == ["GET", "HEAD"]


def test_the_importer_refuses_dates_in_the_future(tmp_path):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    today = timezone.localdate().isoformat()
    path = tmp_path / "future.csv"
    path.write_text(
        "reference,country,received_on,request_type,accounts_specified,status,outcome,decided_on,"
        "user_notification,notification_delayed_until\n"
        f"F-1,DE,{tomorrow},legal_process,1,,,,,\n"
        f"F-2,DE,{today},legal_process,1,completed,all_data,{tomorrow},,\n"
        f"F-3,DE,{today},legal_process,1,completed,all_data,{today},delayed,{tomorrow}\n"
        # the same future date again, once good as a delay, is still no receipt date
        f"F-4,DE,{tomorrow},legal_process,1,,,,,\n"
    )
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="3 error"):  # exit status 1 from manage.py
        call_command("import_requests", str(path), stderr=stderr)
    errors = stderr.getvalue()
    received = "A request cannot be received in the future"
    decided = "A request cannot be decided in the future"
    assert f"line 2, column received_on, value '{tomorrow}': {received}" in errors
    assert f"line 3, column decided_on, value '{tomorrow}': {decided}" in errors
    assert "line 4" not in errors  # a notification may be delayed until a later date
    assert f"line 5, column received_on, value '{tomorrow}': {received}" in errors
    assert not DataRequest.objects.exists()


def test_the_admin_form_refuses_a_future_receipt_date():
    authority = Authority.objects.create(name="Polizei", country="DE", kind="police")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = logged_in(roles.REVIEWER).post(
        reverse("admin:requests_app_datarequest_add"),
        {
            "reference": "FUTURE-1",
            "country": "DE",
            "authority": authority.pk,
            "request_type": "legal_process",
            "accounts_specified": 1,
            "received_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 200
    assert "cannot be received in the future" in response.text
    assert not DataRequest.objects.filter(reference="FUTURE-1").exists()
