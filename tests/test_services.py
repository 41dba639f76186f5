"""The request workflow and the pause register, through the services every caller uses."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from requests_app import services
from requests_app.models import DataRequest, PauseDecision, Product
from tests.factories import (
    DataRequestFactory,
    FigureRowFactory,
    LegalProcessFactory,
    PauseDecisionFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

S = DataRequest.Status
TODAY = datetime.date(2020, 8, 1)
ALL = set(S.values)
ALLOWED = {
    S.RECEIVED: {S.IN_REVIEW, S.WITHDRAWN},
    S.IN_REVIEW: {S.COMPLETED, S.WITHDRAWN},
    S.ON_HOLD: {S.COMPLETED, S.WITHDRAWN},
    S.COMPLETED: set(),
    S.WITHDRAWN: set(),
}


def make_in_state(status: str) -> DataRequest:
    if status == S.COMPLETED:
        return DataRequestFactory(completed=True)
    if status == S.ON_HOLD:
        pause = PauseDecisionFactory(
            country="HK", effective_from=datetime.date(2020, 1, 1), allowed_exceptions=[]
        )
        return DataRequestFactory(country="HK", status=S.ON_HOLD, held_by=pause)
    return DataRequestFactory(status=status)


def move(request: DataRequest, wanted: str, actor=None):
    if wanted == S.IN_REVIEW:
        return services.request_start_review(request=request, actor=actor)
    if wanted == S.WITHDRAWN:
        return services.request_withdraw(request=request, actor=actor)
    if wanted == S.COMPLETED:
        return services.request_complete(
            request=request,
            outcome="rejected",
            outcome_reason="overbroad",
            decided_on=request.received_on,
            actor=actor,
        )
    pytest.skip(f"no reviewer move to {wanted}")


@pytest.mark.parametrize("current", list(ALLOWED))
@pytest.mark.parametrize("wanted", [S.IN_REVIEW, S.WITHDRAWN, S.COMPLETED])
def test_every_transition_is_allowed_or_refused_with_both_statuses_named(current, wanted):
    request = make_in_state(current)
    if wanted in ALLOWED[current]:
        assert move(request, wanted).status == wanted
        request.refresh_from_db()
        assert request.status == wanted
    else:
        with pytest.raises(services.TransitionError) as excinfo:
            move(request, wanted)
        message = excinfo.value.messages[0]
        assert f"from '{S(current).label}' to '{S(wanted).label}'" in message
        request.refresh_from_db()
        assert request.status == current


def test_complete_needs_reason_for_refusals_and_a_date_not_before_receipt():
    request = DataRequestFactory(status=S.IN_REVIEW)
    with pytest.raises(ValidationError) as excinfo:
        services.request_complete(request=request, outcome="no_data", decided_on=request.received_on)
    assert (
        "Give a reason when the outcome is 'No data found'." in excinfo.value.message_dict["outcome_reason"]
    )
    with pytest.raises(ValidationError) as excinfo:
        services.request_complete(
            request=request, outcome="all_data", decided_on=request.received_on - datetime.timedelta(days=1)
        )
    assert "cannot be before the request was received" in excinfo.value.message_dict["decided_on"][0]
    request.refresh_from_db()
    assert request.status == S.IN_REVIEW and request.outcome == ""


def test_start_review_assigns_the_reviewer_and_records_history():
    reviewer = UserFactory(username="amara")
    request = DataRequestFactory()
    services.request_start_review(request=request, actor=reviewer)
    request.refresh_from_db()
    assert request.assignee == reviewer
    last = request.history.first()
    assert last.history_user == reviewer and last.status == S.IN_REVIEW


def test_hong_kong_flow_end_to_end():
    reviewer, publisher = UserFactory(username="reviewer"), UserFactory(username="publisher")
    old = DataRequestFactory(country="HK", received_on=datetime.date(2020, 6, 20))
    in_review = DataRequestFactory(country="HK", received_on=datetime.date(2020, 6, 25))
    services.request_start_review(request=in_review, actor=reviewer)
    elsewhere = DataRequestFactory(country="DE", received_on=datetime.date(2020, 6, 25))

    pause, change = services.pause_create(
        actor=publisher,
        today=TODAY,
        country="HK",
        status=PauseDecision.Status.PAUSED,
        covers_legal_process=True,
        covers_emergency=True,
        holds_pending=True,
        effective_from=datetime.date(2020, 7, 6),
        allowed_exceptions=[DataRequest.PauseException.THREAT_TO_LIFE],
        public_statement="Paused pending human-rights due diligence.",
    )
    assert change == services.HoldChange(to_hold=2, to_release=0)
    for request in (old, in_review):
        request.refresh_from_db()
        assert (request.status, request.held_by) == (S.ON_HOLD, pause)
    elsewhere.refresh_from_db()
    assert elsewhere.status == S.RECEIVED

    new = services.request_create(
        actor=reviewer,
        today=TODAY,
        reference="HK-NEW",
        country="HK",
        request_type="legal_process",
        accounts_specified=1,
        received_on=TODAY,
    )
    assert (new.status, new.held_by) == (S.ON_HOLD, pause)
    emergency = services.request_create(
        actor=reviewer,
        today=TODAY,
        reference="HK-EMERGENCY",
        country="HK",
        request_type="emergency",
        accounts_specified=1,
        received_on=TODAY,
    )
    assert emergency.status == S.ON_HOLD

    # Producing data for a held request needs an exception the decision allows.
    with pytest.raises(ValidationError) as excinfo:
        services.request_complete(request=emergency, outcome="some_data", decided_on=TODAY, actor=reviewer)
    assert "held by the Hong Kong pause" in excinfo.value.message_dict["pause_exception"][0]
    with pytest.raises(ValidationError):
        services.request_complete(
            request=emergency, outcome="some_data", decided_on=TODAY, pause_exception="child_safety"
        )
    produced = services.request_complete(
        request=emergency,
        outcome="some_data",
        decided_on=TODAY,
        pause_exception="threat_to_life",
        actor=reviewer,
    )
    assert produced.status == S.COMPLETED and produced.pause_exception == "threat_to_life"
    assert produced.held_by is None

    pause, change = services.pause_lift(
        pause=pause, ended_on=datetime.date(2021, 1, 10), actor=publisher, today=datetime.date(2021, 1, 11)
    )
    assert pause.status == PauseDecision.Status.LIFTED
    assert change.to_release == 3
    for request in (old, in_review, new):
        request.refresh_from_db()
        assert (request.status, request.held_by) == (S.IN_REVIEW, None)

    # The history shows every step with its actor.
    def steps(obj):
        history = obj.history.order_by("history_date", "history_id")
        return [(h.status, h.history_user.username if h.history_user else None) for h in history]

    # Created by the factory (no actor), held and released by the publisher's decisions.
    assert steps(old) == [(S.RECEIVED, None), (S.ON_HOLD, "publisher"), (S.IN_REVIEW, "publisher")]
    assert "released by Pause decision" in old.history.first().history_change_reason
    assert [h.history_user.username for h in emergency.history.order_by("history_date", "history_id")] == [
        "reviewer",
        "reviewer",
    ]
    assert [h.status for h in pause.history.order_by("history_date", "history_id")] == ["paused", "lifted"]
    assert {h.history_user.username for h in pause.history.all()} == {"publisher"}


def test_a_decision_that_holds_pending_false_holds_only_new_requests():
    open_request = DataRequestFactory(country="RU")
    services.pause_create(
        today=TODAY,
        country="RU",
        status="redirected",
        holds_pending=False,
        effective_from=datetime.date(2020, 7, 1),
    )
    open_request.refresh_from_db()
    assert open_request.status == S.RECEIVED
    new = services.request_create(
        today=TODAY,
        reference="RU-1",
        country="RU",
        request_type="legal_process",
        accounts_specified=1,
        received_on=TODAY,
    )
    assert new.status == S.ON_HOLD


def test_narrowing_the_scope_releases_requests_of_the_dropped_type():
    pause, _ = services.pause_create(
        today=TODAY,
        country="HK",
        status="paused",
        covers_emergency=True,
        effective_from=datetime.date(2020, 7, 6),
    )
    emergency = services.request_create(
        today=TODAY,
        reference="E1",
        country="HK",
        request_type="emergency",
        accounts_specified=1,
        received_on=TODAY,
    )
    legal = services.request_create(
        today=TODAY,
        reference="L1",
        country="HK",
        request_type="legal_process",
        accounts_specified=1,
        received_on=TODAY,
    )
    _, change = services.pause_update(pause=pause, today=TODAY, covers_emergency=False)
    assert change == services.HoldChange(to_hold=0, to_release=1)
    emergency.refresh_from_db()
    legal.refresh_from_db()
    assert emergency.status == S.IN_REVIEW and legal.status == S.ON_HOLD


def test_a_failing_decision_applies_nothing():
    requests = [DataRequestFactory(country="HK") for _ in range(3)]
    disk_full = RuntimeError("disk full")
    with mock.patch.object(services.pauses, "bulk_update_with_history", side_effect=disk_full):
        with pytest.raises(RuntimeError):
            services.pause_create(
                today=TODAY, country="HK", status="paused", effective_from=datetime.date(2020, 7, 6)
            )
    assert not PauseDecision.objects.exists()
    assert all(DataRequest.objects.get(pk=r.pk).status == S.RECEIVED for r in requests)


def test_second_of_two_concurrent_edits_is_refused_and_the_first_kept():
    request = DataRequestFactory(internal_notes="Accounts")
    first_view, second_view = DataRequest.objects.get(pk=request.pk), DataRequest.objects.get(pk=request.pk)
    services.request_update(
        request=first_view, expected_version=first_view.version, internal_notes="Messaging"
    )
    with pytest.raises(services.ConcurrentEditError) as excinfo:
        services.request_update(
            request=second_view, expected_version=second_view.version, internal_notes="Photos"
        )
    assert "was changed" in excinfo.value.messages[0]
    request.refresh_from_db()
    assert request.internal_notes == "Messaging"


def test_a_hold_makes_an_open_edit_form_stale():
    request = DataRequestFactory(country="HK")
    opened_version = request.version
    services.pause_create(
        today=TODAY, country="HK", status="paused", effective_from=datetime.date(2020, 7, 6)
    )
    with pytest.raises(services.ConcurrentEditError):
        services.request_update(request=request, expected_version=opened_version, internal_notes="x")


def test_update_refuses_workflow_fields():
    request = DataRequestFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.request_update(request=request, status=S.COMPLETED)
    assert "Use the workflow actions" in excinfo.value.messages[0]


def test_bulk_complete_reports_refusals_by_reference():
    ok = DataRequestFactory(reference="OK-1", status=S.IN_REVIEW)
    fresh = DataRequestFactory(reference="NEW-1", status=S.RECEIVED)
    result = services.requests_complete_bulk(
        requests=[ok, fresh],
        decision=services.Decision(outcome="all_data", decided_on=datetime.date(2020, 4, 1)),
    )
    assert result.done == ["OK-1"]
    assert "cannot move from 'Received' to 'Completed'" in result.refused["NEW-1"]
    ok.refresh_from_db()
    assert ok.status == S.COMPLETED and ok.history.first().history_change_reason == "completed by bulk action"


def test_future_pause_takes_effect_when_due():
    request = DataRequestFactory(country="HK")
    services.pause_create(
        today=TODAY, country="HK", status="paused", effective_from=datetime.date(2020, 9, 1)
    )
    request.refresh_from_db()
    assert request.status == S.RECEIVED
    change = services.pauses_apply_due(today=datetime.date(2020, 9, 1))
    request.refresh_from_db()
    assert change.to_hold == 1 and request.status == S.ON_HOLD


def test_apply_pause_holds_command(capsys):
    from django.core.management import call_command

    DataRequestFactory(country="HK")
    PauseDecisionFactory(country="HK", effective_from=datetime.date(2020, 7, 6))  # created without holds
    call_command("apply_pause_holds")
    assert "1 request(s) put on hold, 0 released to review." in capsys.readouterr().out
    assert DataRequest.objects.get().status == S.ON_HOLD


# --- the managed lists ------------------------------------------------------------------------


def test_an_entry_is_defined_changed_and_deleted_with_its_history():
    publisher = UserFactory(username="list-keeper")
    product = services.catalog_define(model=Product, code="mail", name="Mail", actor=publisher)
    services.catalog_update(entry=product, code="email", name="Email", actor=publisher)  # unused: may
    product.refresh_from_db()
    assert (product.code, product.name) == ("email", "Email")
    services.catalog_delete(entry=product, actor=publisher)
    assert not Product.objects.filter(pk=product.pk).exists()
    versions = Product.history.filter(id=product.pk).order_by("history_id")
    assert [(v.history_type, v.code, v.history_user) for v in versions] == [
        ("+", "mail", publisher),
        ("~", "email", publisher),
        ("-", "email", publisher),
    ]


def test_an_entry_in_use_keeps_its_code_and_stays():
    warrant = LegalProcessFactory(code="warrant", name="Warrant")
    DataRequestFactory(legal_process=warrant)
    DataRequestFactory(legal_process=warrant)
    FigureRowFactory(legal_process=warrant)
    assert services.catalog_usage(warrant) == services.CatalogUsage(requests=2, figure_rows=1)

    with pytest.raises(ValidationError, match="used by 2 request.s. and 1 published figure row"):
        services.catalog_update(entry=warrant, code="search_warrant")
    with pytest.raises(ValidationError, match="cannot be deleted"):
        services.catalog_delete(entry=warrant)
    services.catalog_update(entry=warrant, code="warrant", name="Search warrant", position=1)  # not the code
    warrant.refresh_from_db()
    assert (warrant.code, warrant.name, warrant.position) == ("warrant", "Search warrant", 1)


def test_a_figure_row_alone_puts_an_entry_in_use():
    product = ProductFactory(code="cloud")
    FigureRowFactory(product=product)
    with pytest.raises(ValidationError, match="0 request.s. and 1 published figure row"):
        services.catalog_delete(entry=product)


def test_what_uses_the_entries_is_counted_in_one_query_per_table(django_assert_num_queries):
    # The requests table has no index on these columns: read once for all the entries, never
    # once per entry (nor once per request, as a subquery in a GROUP BY would).
    entries = [LegalProcessFactory(code=f"process_{n}") for n in range(5)]
    for entry in entries[:3]:
        DataRequestFactory(legal_process=entry)
    FigureRowFactory(legal_process=entries[4])
    with django_assert_num_queries(2):
        usage = services.catalog_usage_of(entries)
    assert [(usage[e.code].requests, usage[e.code].figure_rows) for e in entries] == [
        (1, 0),
        (1, 0),
        (1, 0),
        (0, 0),
        (0, 1),
    ]
