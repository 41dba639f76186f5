"""period_publish, pause_publish/unpublish and the publish_period command."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.utils import timezone

from requests_app import services
from requests_app.models import DataRequest, FigureRow, PauseDecision, Publication
from requests_app.periods import Period
from tests.factories import DataRequestFactory, PauseDecisionFactory, UserFactory

pytestmark = pytest.mark.django_db

LEGAL = DataRequest.RequestType.LEGAL_PROCESS
EMERGENCY = DataRequest.RequestType.EMERGENCY
PRESERVATION = DataRequest.RequestType.PRESERVATION
D = datetime.date


def completed(received: datetime.date, days: int, outcome="all_data", **kwargs) -> DataRequest:
    return DataRequestFactory(
        received_on=received,
        status=DataRequest.Status.COMPLETED,
        outcome=outcome,
        decided_on=received + datetime.timedelta(days=days),
        **kwargs,
    )


def figures(publication: Publication) -> dict[tuple[str, str], FigureRow]:
    return {(row.country.code, row.request_type): row for row in publication.rows.all()}


def test_publish_counts_requests_accounts_produced_and_median_per_country_and_type():
    completed(D(2020, 7, 1), 3, accounts_specified=2, country="DE")
    completed(D(2020, 8, 1), 10, outcome="some_data", country="DE")
    completed(D(2020, 9, 1), 4, outcome="rejected", accounts_specified=5, country="DE")
    DataRequestFactory(received_on=D(2020, 12, 31), country="DE")  # still open: counted, not produced
    completed(D(2020, 7, 2), 7, outcome="no_data", country="FR", request_type=EMERGENCY)
    completed(D(2020, 6, 30), 1, country="DE")  # previous period
    completed(D(2021, 1, 1), 1, country="DE")  # next period

    publication = services.period_publish(period="2020-H2")

    assert (publication.period, publication.version, publication.source) == ("2020-H2", 1, "computed")
    rows = figures(publication)
    assert set(rows) == {("DE", LEGAL), ("FR", EMERGENCY)}
    de = rows["DE", LEGAL]
    assert (de.requests, de.accounts_specified, de.requests_with_data_produced) == (4, 9, 2)
    assert de.median_days_to_decision == Decimal("4.0")  # of 3, 4, 10; the open request has none
    assert de.percent_with_data_produced == Decimal("50.0")
    fr = rows["FR", EMERGENCY]
    assert (fr.requests, fr.requests_with_data_produced, fr.median_days_to_decision) == (1, 0, Decimal("7.0"))


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    for days in (2, 3, 8, 100):
        completed(D(2020, 2, 1), days)
    row = services.period_publish(period="2020-H1").rows.get()
    assert row.median_days_to_decision == Decimal("5.5")


@pytest.mark.parametrize(
    "produced, requests, expected",
    [(1, 16, "6.3"), (1, 8, "12.5"), (2, 3, "66.7"), (1, 3, "33.3"), (0, 4, "0.0"), (7, 7, "100.0")],
)
def test_percentage_is_rounded_half_up_to_one_decimal(produced, requests, expected):
    row = FigureRow(request_type=LEGAL, requests=requests, requests_with_data_produced=produced)
    assert row.percent_with_data_produced == Decimal(expected)
    assert FigureRow(request_type=PRESERVATION, requests=3).percent_with_data_produced is None


def test_pause_figures_count_only_published_decisions_in_force_for_the_request_type():
    hk = PauseDecisionFactory(country="HK", effective_from=D(2020, 7, 6), covers_legal_process=True)
    # An unpublished draft would be disclosed by a non-zero figure: it does not count.
    PauseDecisionFactory(country="BY", effective_from=D(2020, 7, 1), is_published=False)
    # Lifted after holding requests: counts for the dates it was in force.
    us = PauseDecisionFactory(
        country="US", effective_from=D(2020, 8, 1), covers_legal_process=False, covers_emergency=True
    )
    us.status, us.ended_on = PauseDecision.Status.LIFTED, D(2020, 8, 31)
    us.save()
    # Assessed, then lifted without ever holding anything: never a pause.
    de = PauseDecisionFactory(
        country="DE", status=PauseDecision.Status.ASSESSING, effective_from=D(2020, 7, 1)
    )
    de.status, de.ended_on = PauseDecision.Status.LIFTED, D(2020, 12, 31)
    de.save()

    DataRequestFactory(country="HK", received_on=D(2020, 7, 5))  # the day before
    DataRequestFactory(country="HK", received_on=D(2020, 7, 6))  # first day of the pause
    DataRequestFactory(country="HK", received_on=D(2020, 11, 2))
    DataRequestFactory(country="HK", received_on=D(2020, 11, 2), request_type=EMERGENCY)  # not covered
    # Produced under the exception: received during the pause, or before it and decided during it.
    completed(D(2020, 9, 1), 3, country="HK", outcome="some_data", pause_exception="threat_to_life")
    completed(D(2020, 7, 1), 20, country="HK", outcome="some_data", pause_exception="threat_to_life")
    completed(D(2020, 9, 2), 3, country="HK", outcome="rejected", pause_exception="threat_to_life")
    completed(D(2020, 9, 3), 3, country="HK", outcome="all_data")  # produced, no exception recorded
    DataRequestFactory(country="BY", received_on=D(2020, 9, 1))
    DataRequestFactory(country="US", received_on=D(2020, 8, 31), request_type=EMERGENCY)  # last day
    DataRequestFactory(country="US", received_on=D(2020, 9, 1), request_type=EMERGENCY)  # after the lift
    DataRequestFactory(country="DE", received_on=D(2020, 9, 1))

    rows = figures(services.period_publish(period="2020-H2"))

    hk_legal = rows["HK", LEGAL]
    assert hk_legal.requests == 7
    assert hk_legal.requests_received_during_pause == 5  # 6 Jul, 2 Nov, 1 Sep, 2 Sep, 3 Sep
    assert hk_legal.requests_produced_under_pause_exception == 2
    assert rows["HK", EMERGENCY].requests_received_during_pause == 0
    assert rows["BY", LEGAL].requests_received_during_pause == 0
    assert rows["US", EMERGENCY].requests_received_during_pause == 1
    assert rows["DE", LEGAL].requests_received_during_pause == 0
    assert hk.pk  # the published pause is what counted


def test_a_pause_published_later_counts_once_the_period_is_republished():
    draft = PauseDecisionFactory(country="HK", effective_from=D(2020, 7, 6), is_published=False)
    DataRequestFactory(country="HK", received_on=D(2020, 8, 1))
    first = services.period_publish(period="2020-H2")
    services.pause_publish(decision=draft)
    second = services.period_publish(period="2020-H2", note="The Hong Kong pause is now public.")
    assert first.rows.get().requests_received_during_pause == 0
    assert second.rows.get().requests_received_during_pause == 1


def test_a_period_that_has_not_ended_cannot_be_published():
    current = Period.containing(timezone.localdate())  # the clock the service reads
    DataRequestFactory(received_on=current.start)
    with pytest.raises(ValidationError) as excinfo:
        services.period_publish(period=current.label)
    message = excinfo.value.messages[0]
    assert f"{current.label} has not ended yet" in message
    assert current.end.isoformat() in message
    assert not Publication.objects.exists()
    # The day after it ends, it can be published.
    publication = services.period_publish(
        period=current.label, today=current.end + datetime.timedelta(days=1)
    )
    assert publication.version == 1


def test_a_period_without_requests_is_not_published_as_zero():
    with pytest.raises(ValidationError, match="No requests were received in 2015-H1"):
        services.period_publish(period="2015-H1")
    with pytest.raises(ValidationError, match="'2020-H3' is not a period"):
        services.period_publish(period="2020-H3")
    assert not Publication.objects.exists()


def test_republishing_creates_the_next_version_with_its_note_and_keeps_the_old_one():
    request = completed(D(2020, 3, 1), 5)
    publisher = UserFactory(username="publisher.mei")
    first = services.period_publish(period="2020-H1", actor=publisher)

    with pytest.raises(ValidationError, match="Say why it is re-published"):
        services.period_publish(period="2020-H1")
    request.outcome = DataRequest.Outcome.REJECTED
    request.save()
    second = services.period_publish(period="2020-H1", note="Corrected one outcome.", actor=publisher)

    assert (second.version, second.note, second.published_by) == (2, "Corrected one outcome.", publisher)
    assert first.rows.get().requests_with_data_produced == 1  # the snapshot did not move
    assert second.rows.get().requests_with_data_produced == 0
    assert Publication.objects.filter(period="2020-H1").count() == 2


def test_publish_period_command(capsys):
    completed(D(2020, 3, 1), 5, country="DE")
    completed(D(2020, 3, 1), 5, country="FR")
    UserFactory(username="publisher.mei")
    call_command("publish_period", "2020-H1", by="publisher.mei")
    assert "Published 2020-H1 version 1: 2 figure rows" in capsys.readouterr().out
    call_command("publish_period", "2020-H1", note="Late entries.")
    assert Publication.objects.get(period="2020-H1", version=2).note == "Late entries."
    assert Publication.objects.get(period="2020-H1", version=1).published_by.username == "publisher.mei"

    with pytest.raises(CommandError, match="Say why it is re-published"):
        call_command("publish_period", "2020-H1")
    with pytest.raises(CommandError, match="'2020-H3' is not a period"):
        call_command("publish_period", "2020-H3")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("publish_period", "2020-H1", note="x", by="nobody")
    assert Publication.objects.count() == 2


def test_pause_publish_and_unpublish_record_who_and_when():
    publisher = UserFactory(username="publisher.mei")
    draft = PauseDecisionFactory(country="BY", is_published=False, public_statement="")
    with pytest.raises(ValidationError) as excinfo:
        services.pause_publish(decision=draft, actor=publisher)
    assert "public statement" in str(excinfo.value)

    draft.public_statement = "We paused requests from Belarus."
    draft.save()
    published = services.pause_publish(decision=draft, actor=publisher)
    assert published.is_published and published.published_at is not None
    assert published.history.first().history_user == publisher
    assert services.pause_publish(decision=published).version == published.version  # idempotent

    withdrawn = services.pause_unpublish(decision=published, actor=publisher)
    assert not withdrawn.is_published
    assert withdrawn.published_at == published.published_at  # "last made public at" is kept
    assert [h.is_published for h in withdrawn.history.order_by("history_date")][-3:] == [False, True, False]


def test_seed_demo_publishes_every_ended_period_once():
    call_command("seed_demo", scale=0.02)
    published = set(Publication.objects.values_list("period", flat=True))
    assert {"2019-H1", "2020-H2", "2025-H2"} <= published
    assert "2026-H2" not in published  # the demo's current half-year has not ended
    hk = FigureRow.objects.filter(publication__period="2020-H2", country="HK", request_type=LEGAL)
    assert hk.aggregate(n=Sum("requests_received_during_pause"))["n"] > 0
    # The Hong Kong pause holds Hong Kong's requests only.
    us = FigureRow.objects.filter(publication__period="2021-H1", country="US", request_type=LEGAL)
    sums = us.aggregate(
        Sum("requests_received_during_pause"), Sum("requests_with_data_produced"), Sum("requests")
    )
    assert sums["requests_received_during_pause__sum"] == 0
    assert sums["requests_with_data_produced__sum"] > sums["requests__sum"] / 2
    # Published at the finest grain: the US by kind of legal process and by product.
    assert {row.legal_process_id for row in us} >= {"subpoena", "search_warrant", "order_2703d"}
    assert {row.product_id for row in us} == {"social", "messaging", "photos", "cloud_storage"}
    call_command("seed_demo", scale=0.02)
    assert Publication.objects.count() == len(published)
