"""Each rule of rules.py, named, driven through what callers use: services, full_clean, the admin."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from requests_app import roles, rules, services
from requests_app.models import DataRequest, FigureRow, PauseDecision
from requests_app.periods import Period
from tests.factories import DataRequestFactory, PauseDecisionFactory, PublicationFactory, UserFactory

pytestmark = pytest.mark.django_db

S = DataRequest.Status
TODAY = datetime.date(2020, 8, 1)
HK_PAUSE_START = datetime.date(2020, 7, 6)


def held_request(**pause_fields) -> DataRequest:
    pause_fields.setdefault("allowed_exceptions", ["threat_to_life"])
    pause = PauseDecisionFactory(country="HK", effective_from=HK_PAUSE_START, **pause_fields)
    return DataRequestFactory(country="HK", received_on=TODAY, status=S.ON_HOLD, held_by=pause)


def complete(request, **decision):
    decision.setdefault("decided_on", request.received_on)
    return services.request_complete(request=request, **decision)


# --- a request's decision -----------------------------------------------------------------------


def test_rule_outcome_only_when_completed_in_full_clean():
    request = DataRequestFactory(status=S.IN_REVIEW)
    request.outcome = "all_data"
    with pytest.raises(ValidationError) as raised:
        request.full_clean()
    assert (
        "Only a completed request has an outcome; this one is 'In review'"
        in raised.value.message_dict["outcome"][0]
    )


def test_rule_a_completed_request_needs_outcome_and_decision_date():
    request = DataRequestFactory(completed=True)
    request.outcome, request.decided_on = "", None
    with pytest.raises(ValidationError) as raised:
        request.full_clean()
    assert raised.value.message_dict["outcome"] == ["A completed request needs an outcome."]
    assert raised.value.message_dict["decided_on"] == ["A completed request needs a decision date."]


def test_rule_decision_date_not_after_today_in_the_service_and_full_clean():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    request = DataRequestFactory(status=S.IN_REVIEW)
    with pytest.raises(ValidationError) as raised:
        complete(request, outcome="all_data", decided_on=tomorrow)
    assert "cannot be decided in the future" in raised.value.message_dict["decided_on"][0]
    stored = DataRequestFactory(completed=True)
    stored.decided_on = tomorrow
    with pytest.raises(ValidationError) as raised:
        stored.full_clean()
    assert "cannot be decided in the future" in raised.value.message_dict["decided_on"][0]


def test_rule_decision_date_not_before_receipt_in_the_service_and_full_clean():
    request = DataRequestFactory(status=S.IN_REVIEW)
    early = request.received_on - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as raised:
        complete(request, outcome="all_data", decided_on=early)
    assert "cannot be before the request was received" in raised.value.message_dict["decided_on"][0]
    stored = DataRequestFactory(completed=True)
    stored.decided_on = early
    with pytest.raises(ValidationError) as raised:
        stored.full_clean()
    assert "cannot be before the request was received" in raised.value.message_dict["decided_on"][0]


@pytest.mark.parametrize("outcome", ["rejected", "no_data"])
def test_rule_a_refusal_needs_a_reason_when_decided(outcome):
    request = DataRequestFactory(status=S.IN_REVIEW)
    with pytest.raises(ValidationError) as raised:
        complete(request, outcome=outcome)
    assert raised.value.message_dict["outcome_reason"][0].startswith("Give a reason when the outcome is")
    assert complete(request, outcome=outcome, outcome_reason="overbroad").status == S.COMPLETED


def test_rule_a_stored_refusal_without_reason_stays_editable():
    # Imported history may lack reasons: the rule binds the decision, not every later edit.
    request = DataRequestFactory(completed=True, outcome="no_data")
    updated = services.request_update(request=request, internal_notes="checked")
    assert updated.internal_notes == "checked"


def test_rule_pause_exception_needs_a_holding_pause_that_allows_it():
    request = held_request()
    with pytest.raises(ValidationError) as raised:
        complete(request, outcome="all_data")
    assert "held by the Hong Kong pause" in raised.value.message_dict["pause_exception"][0]
    with pytest.raises(ValidationError) as raised:
        complete(request, outcome="all_data", pause_exception="child_safety")
    assert (
        "'child_safety' is not an exception the Hong Kong pause allows (threat_to_life)"
        in (raised.value.message_dict["pause_exception"][0])
    )
    done = complete(request, outcome="all_data", pause_exception="threat_to_life")
    assert done.status == S.COMPLETED and done.held_by is None


def test_rule_pause_exception_only_for_a_held_request_that_produced_data():
    free = DataRequestFactory(status=S.IN_REVIEW)
    with pytest.raises(ValidationError) as raised:
        complete(free, outcome="all_data", pause_exception="threat_to_life")
    assert (
        "only recorded when data is produced for a request held by a pause"
        in (raised.value.message_dict["pause_exception"][0])
    )
    held = held_request()
    with pytest.raises(ValidationError) as raised:
        complete(
            held, outcome="rejected", outcome_reason="jurisdiction_paused", pause_exception="threat_to_life"
        )
    assert "pause_exception" in raised.value.message_dict


def test_rule_a_stored_pause_exception_needs_data_produced_in_full_clean():
    request = DataRequestFactory(completed=True, outcome="rejected", outcome_reason="overbroad")
    request.pause_exception = "threat_to_life"
    with pytest.raises(ValidationError) as raised:
        request.full_clean()
    assert raised.value.message_dict["pause_exception"] == [
        "A pause exception is only recorded for a completed request that produced data."
    ]
    produced = DataRequestFactory(completed=True, pause_exception="threat_to_life")
    produced.full_clean()  # the hold it was decided under is released: nothing left to check


def test_rule_bulk_complete_applies_the_same_decision_rules():
    held = held_request()
    free = DataRequestFactory(reference="FREE-1", status=S.IN_REVIEW, received_on=TODAY)
    result = services.requests_complete_bulk(
        requests=[held, free], decision=services.Decision(outcome="all_data", decided_on=TODAY)
    )
    assert result.done == ["FREE-1"]
    assert "held by the Hong Kong pause" in result.refused[held.reference]


# --- which fields the workflow owns --------------------------------------------------------------


@pytest.mark.parametrize("field", rules.WORKFLOW_FIELDS)
def test_rule_workflow_fields_are_refused_by_a_plain_update(field):
    request = DataRequestFactory(completed=True, outcome="rejected", outcome_reason="overbroad")
    with pytest.raises(ValidationError) as raised:
        services.request_update(request=request, **{field: None})
    assert raised.value.messages == [f"Use the workflow actions to change {field}."]


def test_rule_workflow_fields_are_read_only_in_the_admin(client):
    user = UserFactory(username="reviewer")
    user.groups.add(Group.objects.get(name=roles.REVIEWER))
    client.force_login(user)
    request = DataRequestFactory()
    response = client.get(reverse("admin:requests_app_datarequest_change", args=[request.pk]))
    form = response.context["adminform"].form
    assert not set(rules.WORKFLOW_FIELDS) & set(form.fields)
    assert set(rules.WORKFLOW_FIELDS) <= set(response.context["adminform"].readonly_fields)


# --- which requests a pause holds ----------------------------------------------------------------


def test_rule_holding_scope_arrival_and_pending_holds_agree():
    pause, _ = services.pause_create(
        today=TODAY, country="HK", status="paused", covers_emergency=True, effective_from=HK_PAUSE_START
    )
    before = [
        DataRequestFactory(country="HK", request_type="legal_process", status=S.RECEIVED),
        DataRequestFactory(country="HK", request_type="preservation", status=S.RECEIVED),
        DataRequestFactory(country="MO", request_type="legal_process", status=S.IN_REVIEW),
    ]
    services.pauses_apply_due(today=TODAY)
    arrivals = [
        services.request_create(
            today=TODAY,
            reference=f"NEW-{request.pk}",
            country=request.country.code,
            request_type=request.request_type,
            accounts_specified=1,
            received_on=TODAY,
        )
        for request in before
    ]
    pending = [DataRequest.objects.get(pk=request.pk) for request in before]
    assert [r.status for r in pending] == [S.ON_HOLD, S.RECEIVED, S.IN_REVIEW]
    assert [r.status for r in arrivals] == [S.ON_HOLD, S.RECEIVED, S.RECEIVED]
    assert {r.held_by_id for r in pending + arrivals if r.held_by_id} == {pause.pk}


def test_rule_holding_scope_only_open_statuses_are_held():
    decided = DataRequestFactory(country="HK", completed=True)
    withdrawn = DataRequestFactory(country="HK", status=S.WITHDRAWN)
    _, change = services.pause_create(
        today=TODAY, country="HK", status="paused", effective_from=HK_PAUSE_START
    )
    assert change == services.HoldChange(to_hold=0, to_release=0)
    assert DataRequest.objects.get(pk=decided.pk).status == S.COMPLETED
    assert DataRequest.objects.get(pk=withdrawn.pk).status == S.WITHDRAWN


def test_rule_holding_scope_preview_of_an_unsaved_decision_matches_what_saving_holds():
    DataRequestFactory(country="HK", status=S.RECEIVED)
    DataRequestFactory(country="HK", status=S.IN_REVIEW)
    DataRequestFactory(country="HK", request_type="emergency")
    unsaved = PauseDecision(country="HK", status="paused", effective_from=HK_PAUSE_START)
    preview = services.pause_hold_preview(pause=unsaved, today=TODAY)
    _, change = services.pause_create(
        today=TODAY, country="HK", status="paused", effective_from=HK_PAUSE_START
    )
    assert preview == change == services.HoldChange(to_hold=2, to_release=0)


def test_rule_holding_scope_a_decision_not_yet_in_force_holds_nothing():
    DataRequestFactory(country="HK")
    _, change = services.pause_create(
        today=TODAY, country="HK", status="paused", effective_from=TODAY + datetime.timedelta(days=1)
    )
    arrival = services.request_create(
        today=TODAY, reference="HK-A", country="HK", request_type="legal_process", received_on=TODAY
    )
    assert change.to_hold == 0 and arrival.status == S.RECEIVED


# --- publishing ---------------------------------------------------------------------------------


def test_rule_a_period_already_published_needs_a_note_for_every_new_version():
    DataRequestFactory(received_on=datetime.date(2020, 3, 10))
    services.period_publish(period="2020-H1", today=TODAY)
    with pytest.raises(ValidationError) as raised:
        services.period_publish(period="2020-H1", today=TODAY)
    assert "2020-H1 is already published (version 1)" in raised.value.messages[0]
    assert services.period_publish(period="2020-H1", note="Late records", today=TODAY).version == 2


def test_rule_an_imported_period_already_published_needs_a_note_too():
    PublicationFactory(period="2019-H2", source="imported")
    figure = services.ImportedFigure(
        period=Period.parse("2019-H2"),
        country="DE",
        request_type="legal_process",
        requests=3,
        accounts_specified=3,
        requests_with_data_produced=1,
    )
    with pytest.raises(ValidationError) as raised:
        services.figures_import(figures=[figure])
    assert "2019-H2 is already published" in raised.value.messages[0]
    first = services.figures_import(
        figures=[services.ImportedFigure(**{**figure.__dict__, "period": figure.period.previous()})]
    )
    assert first[0].note == "Figures imported from the report published before this system."


# --- rounding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "produced, requests, expected",
    [(1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")), (1, 8, Decimal("12.5")), (1, 16, Decimal("6.3"))],
)
def test_rule_percentages_round_half_up_to_one_decimal_in_rows_and_totals(
    client, produced, requests, expected
):
    publication = PublicationFactory(period="2020-H1")
    row = FigureRow.objects.create(
        publication=publication,
        country="DE",
        request_type="legal_process",
        requests=requests,
        accounts_specified=requests,
        requests_with_data_produced=produced,
    )
    assert row.percent_with_data_produced == expected
    data = client.get("/data/requests.json", {"period": "2020-H1"}).json()
    assert Decimal(str(data["results"][0]["percent_with_data_produced"])) == expected


def test_rule_median_days_are_published_with_one_decimal():
    for days in (1, 2, 2, 3):  # median 2.0; with (2, 3) -> 2.5
        DataRequestFactory(
            completed=True, decided_on=datetime.date(2020, 3, 10) + datetime.timedelta(days=days)
        )
    DataRequestFactory(completed=True, decided_on=datetime.date(2020, 3, 13))
    DataRequestFactory(completed=True, decided_on=datetime.date(2020, 3, 13))
    publication = services.period_publish(period="2020-H1", today=TODAY)
    assert publication.rows.get().median_days_to_decision == Decimal("2.5")


def test_rule_workflow_fields_are_refused_by_an_import_update_too(tmp_path):
    """The importer's --update reads the same list as request_update and the admin: a file that
    rewrites the reason or disclosure of a decided request is refused by line."""
    from django.core.management import CommandError, call_command

    request = DataRequestFactory(
        completed=True, outcome="rejected", outcome_reason="overbroad", reference="WF-1"
    )
    path = tmp_path / "update.csv"
    path.write_text(
        "reference,country,received_on,request_type,accounts_specified,status,outcome,decided_on,"
        "outcome_reason\n"
        f"WF-1,DE,{request.received_on},legal_process,1,completed,rejected,{request.decided_on},"
        "legally_insufficient\n"
    )
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_requests", str(path), "--update", stderr=stderr)
    assert "line 2" in stderr.getvalue() and "outcome_reason" in stderr.getvalue()
    request.refresh_from_db()
    assert request.outcome_reason == "overbroad"


def test_rule_a_preservation_request_is_never_decided_as_producing_data():
    request = DataRequestFactory(request_type="preservation", status=DataRequest.Status.IN_REVIEW)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="preservation request keeps data"):
        services.request_complete(request=request, outcome="all_data", decided_on=today)
    done = services.request_complete(
        request=request, outcome="no_data", outcome_reason="preserved", decided_on=today
    )
    assert (done.status, done.outcome_reason) == (DataRequest.Status.COMPLETED, "preserved")


def test_rule_published_figures_never_count_a_preservation_as_producing_data():
    """The methodology says a preservation discloses nothing: an imported history that recorded
    one as 'all data' still publishes 0 produced for it."""
    for request_type in ["preservation", "legal_process"]:
        DataRequestFactory(request_type=request_type, completed=True, received_on=datetime.date(2020, 3, 1))
    services.period_publish(period="2020-H1", today=datetime.date(2021, 1, 1))
    rows = {row.request_type: row for row in FigureRow.objects.all()}
    assert rows["preservation"].requests == 1 and rows["preservation"].requests_with_data_produced == 0
    assert rows["legal_process"].requests_with_data_produced == 1
