"""Every rule of the domain is refused twice: by the database and by full_clean()."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError

from requests_app.models import Authority, DataRequest, FigureRow, PauseDecision, Publication
from tests.factories import (
    AuthorityFactory,
    DataRequestFactory,
    FigureRowFactory,
    PauseDecisionFactory,
    PublicationFactory,
)

pytestmark = pytest.mark.django_db


def assert_db_refuses(queryset, constraint_name, **changes):
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        queryset.update(**changes)
    # Both PostgreSQL and SQLite name the violated CHECK constraint in the error.
    assert constraint_name in str(excinfo.value)


def clean_errors(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        obj.full_clean()
    return excinfo.value.message_dict


# --- DataRequest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, constraint",
    [
        ("request_type", "telepathy", "request_type_valid"),
        ("status", "lost", "request_status_valid"),
        ("outcome_reason", "whim", "request_outcome_reason_valid"),
        ("pause_exception", "convenience", "request_pause_exception_valid"),
    ],
)
def test_request_choices_are_constrained(field, value, constraint):
    req = DataRequestFactory()
    assert_db_refuses(DataRequest.objects.filter(pk=req.pk), constraint, **{field: value})
    setattr(req, field, value)
    errors = clean_errors(req)
    assert "is not a valid choice" in errors[field][0]


def test_a_legal_process_must_be_one_of_the_managed_list():
    req = DataRequestFactory()
    req.legal_process_id = "letter"
    assert "is not a valid choice" in clean_errors(req)["legal_process"][0]
    req.legal_process_id = "search_warrant"  # one of the list's first entries (migration 0016)
    req.full_clean()


def test_only_a_legal_process_request_has_a_legal_process():
    req = DataRequestFactory(request_type=DataRequest.RequestType.EMERGENCY)
    assert_db_refuses(
        DataRequest.objects.filter(pk=req.pk), "request_legal_process_only_legal", legal_process="subpoena"
    )
    req.legal_process_id = "subpoena"
    assert clean_errors(req)["legal_process"] == [
        "Only a legal-process request has a legal process (this one is emergency)."
    ]


def test_completed_outcome_must_be_a_known_choice():
    req = DataRequestFactory(completed=True)
    assert_db_refuses(DataRequest.objects.filter(pk=req.pk), "request_outcome_valid", outcome="maybe")


def test_accounts_specified_at_least_one():
    req = DataRequestFactory()
    assert_db_refuses(
        DataRequest.objects.filter(pk=req.pk), "request_accounts_specified_gte_1", accounts_specified=0
    )
    req.accounts_specified = 0
    assert clean_errors(req)["accounts_specified"] == ["A request names at least one account."]


def test_decision_not_before_receipt():
    req = DataRequestFactory(completed=True)
    too_early = req.received_on - datetime.timedelta(days=1)
    assert_db_refuses(
        DataRequest.objects.filter(pk=req.pk), "request_decided_not_before_received", decided_on=too_early
    )
    req.decided_on = too_early
    message = clean_errors(req)["decided_on"][0]
    assert "cannot be before the request was received" in message
    assert str(too_early) in message


def test_outcome_present_exactly_when_completed():
    open_req = DataRequestFactory()
    assert_db_refuses(
        DataRequest.objects.filter(pk=open_req.pk), "request_outcome_iff_completed", outcome="all_data"
    )
    done = DataRequestFactory(completed=True)
    assert_db_refuses(DataRequest.objects.filter(pk=done.pk), "request_outcome_iff_completed", outcome="")

    open_req.outcome = "all_data"
    assert "Only a completed request has an outcome" in clean_errors(open_req)["outcome"][0]
    done.outcome = ""
    assert clean_errors(done)["outcome"] == ["A completed request needs an outcome."]


def test_reference_is_unique():
    DataRequestFactory(reference="CASE-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        DataRequest.objects.bulk_create([DataRequestFactory.build(reference="CASE-1", authority=None)])
    duplicate = DataRequestFactory.build(reference="CASE-1", authority=None)
    assert "already exists" in clean_errors(duplicate)["reference"][0]


def test_authority_is_protected_while_requests_use_it():
    req = DataRequestFactory()
    with pytest.raises(ProtectedError):
        req.authority.delete()
    assert Authority.objects.filter(pk=req.authority_id).exists()


def test_countries_include_hong_kong_macao_taiwan():
    for code in ["HK", "MO", "TW"]:
        DataRequestFactory.build(country=code, authority=None).full_clean()
    bad = DataRequestFactory.build(country="ZZ", authority=None)
    assert "country" in clean_errors(bad)


# --- Authority -----------------------------------------------------------------------------


def test_authority_kind_and_uniqueness():
    authority = AuthorityFactory(name="Bundeskriminalamt", country="DE")
    assert_db_refuses(Authority.objects.filter(pk=authority.pk), "authority_kind_valid", kind="army")
    with pytest.raises(IntegrityError), transaction.atomic():
        Authority.objects.create(name="Bundeskriminalamt", country="DE")


# --- PauseDecision -------------------------------------------------------------------------


def test_pause_end_not_before_start():
    pause = PauseDecisionFactory()
    too_early = pause.effective_from - datetime.timedelta(days=1)
    assert_db_refuses(
        PauseDecision.objects.filter(pk=pause.pk), "pause_ended_not_before_effective", ended_on=too_early
    )
    pause.ended_on = too_early
    assert "cannot be before the decision took effect" in clean_errors(pause)["ended_on"][0]


def test_pause_status_is_constrained():
    pause = PauseDecisionFactory()
    assert_db_refuses(PauseDecision.objects.filter(pk=pause.pk), "pause_status_valid", status="sulking")


def test_lifted_pause_needs_an_end_date():
    pause = PauseDecisionFactory()
    assert_db_refuses(PauseDecision.objects.filter(pk=pause.pk), "pause_lifted_has_end_date", status="lifted")
    pause.status = PauseDecision.Status.LIFTED
    assert "A lifted decision needs the date it ended." in clean_errors(pause)["ended_on"]


def test_one_open_pause_per_country():
    PauseDecisionFactory(country="HK")
    with pytest.raises(IntegrityError), transaction.atomic():
        PauseDecision.objects.bulk_create([PauseDecisionFactory.build(country="HK")])
    second = PauseDecisionFactory.build(country="HK")
    assert "already has an open pause decision" in str(clean_errors(second))
    # A closed decision for the same country is fine; so is an open one elsewhere.
    PauseDecisionFactory(
        country="HK", effective_from=datetime.date(2019, 1, 1), ended_on=datetime.date(2019, 6, 1)
    )
    PauseDecisionFactory(country="RU")


def test_pause_must_cover_a_request_type_and_known_exceptions():
    pause = PauseDecisionFactory()
    assert_db_refuses(
        PauseDecision.objects.filter(pk=pause.pk),
        "pause_covers_some_request_type",
        covers_legal_process=False,
    )
    pause.allowed_exceptions = ["because"]
    assert "allowed_exceptions" in clean_errors(pause)


# --- Publication ---------------------------------------------------------------------------


def test_publication_version_unique_per_period_and_label_valid():
    publication = PublicationFactory(period="2020-H2", version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.create(period="2020-H2", version=1, published_at=publication.published_at)
    assert_db_refuses(
        Publication.objects.filter(pk=publication.pk), "publication_period_label_valid", period="2020-H3"
    )
    publication.period = "2020-H3"
    assert "'2020-H3' is not a period" in clean_errors(publication)["period"][0]


def test_figure_row_counts_are_consistent():
    row = FigureRowFactory(requests=10, requests_with_data_produced=6)
    rows = FigureRow.objects.filter(pk=row.pk)
    assert_db_refuses(rows, "figure_produced_lte_requests", requests_with_data_produced=11)
    assert_db_refuses(rows, "figure_during_pause_lte_requests", requests_received_during_pause=11)
    assert_db_refuses(rows, "figure_exception_lte_produced", requests_produced_under_pause_exception=7)
    assert row.percent_with_data_produced == 60.0
