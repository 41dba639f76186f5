import datetime

import pytest
from django.core.management import call_command

from requests_app.models import Authority, DataRequest, PauseDecision

pytestmark = pytest.mark.django_db

PAUSE_START = datetime.date(2020, 7, 6)


def counts():
    return (DataRequest.objects.count(), Authority.objects.count(), PauseDecision.objects.count())


def produced_share(queryset):
    completed = queryset.filter(status=DataRequest.Status.COMPLETED)
    produced = completed.filter(outcome__in=DataRequest.PRODUCED_OUTCOMES).count()
    return produced / completed.count()


def test_seed_demo_is_idempotent_and_tells_the_hong_kong_story(capsys):
    call_command("seed_demo", scale=0.2)
    first = counts()
    call_command("seed_demo", scale=0.2)
    assert counts() == first
    assert "0 new requests" in capsys.readouterr().out

    # Several years, dozens of countries, every request type and outcome.
    received = DataRequest.objects.order_by("received_on").values_list("received_on", flat=True)
    assert (received.last() - received.first()).days > 5 * 365
    assert DataRequest.objects.values("country").distinct().count() >= 40
    assert set(DataRequest.objects.values_list("request_type", flat=True).distinct()) == set(
        DataRequest.RequestType.values
    )
    assert set(DataRequest.objects.exclude(outcome="").values_list("outcome", flat=True).distinct()) == set(
        DataRequest.Outcome.values
    )
    assert DataRequest.objects.filter(status__in=DataRequest.OPEN_STATUSES).exists()
    per_country = {c: DataRequest.objects.filter(country=c).count() for c in ["US", "IN", "DE", "FR", "HK"]}
    assert (
        min(per_country["US"], per_country["IN"], per_country["DE"], per_country["FR"])
        > 5 * per_country["HK"]
    )

    pause = PauseDecision.objects.get(country="HK", ended_on__isnull=True)
    assert pause.status == PauseDecision.Status.PAUSED
    assert pause.effective_from == PAUSE_START
    assert pause.covered_request_types == [DataRequest.RequestType.LEGAL_PROCESS]
    assert pause.holds_pending and pause.is_published
    assert pause.allowed_exceptions == [DataRequest.PauseException.THREAT_TO_LIFE]
    assert pause.history.count() == 4  # recorded assessing, published, paused, then translated
    assert pause.statement_for("zh-hant")[1] == "zh-hant" and "香港" in pause.statement_for("zh-hant")[0]

    hk_legal = DataRequest.objects.filter(country="HK", request_type=DataRequest.RequestType.LEGAL_PROCESS)
    before = produced_share(hk_legal.filter(received_on__lt=PAUSE_START))
    after = produced_share(hk_legal.filter(received_on__gte=PAUSE_START))
    assert before > 0.25
    assert after < 0.05
    hk_emergencies = DataRequest.objects.filter(
        country="HK", request_type=DataRequest.RequestType.EMERGENCY, received_on__gte=PAUSE_START
    )
    assert produced_share(hk_emergencies) > 0.5
    assert DataRequest.objects.filter(country="HK", status=DataRequest.Status.ON_HOLD, held_by=pause).exists()
    held_countries = DataRequest.objects.filter(status=DataRequest.Status.ON_HOLD).values_list(
        "country", flat=True
    )
    assert set(held_countries) <= {"HK", "RU"}
    rejected_for_pause = DataRequest.objects.filter(
        outcome_reason=DataRequest.OutcomeReason.JURISDICTION_PAUSED
    )
    assert set(rejected_for_pause.values_list("country", flat=True)) <= {"HK", "RU"}


def test_seed_demo_with_admin_prints_the_password(capsys, client):
    call_command("seed_demo", scale=0.02, with_admin=True)
    out = capsys.readouterr().out
    password = out.split("Superuser 'admin' password: ")[1].strip()
    response = client.post("/admin/login/", {"username": "admin", "password": password})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_seed_demo_if_empty_leaves_a_loaded_database_alone(capsys):
    call_command("seed_demo", scale=0.02)
    before = counts()
    call_command("seed_demo", scale=0.5, if_empty=True)
    assert counts() == before
    assert "demo not loaded" in capsys.readouterr().out


def test_dev_admin_is_created_once_and_its_login_printed(capsys, client, settings):
    settings.DEBUG = True
    call_command("seed_demo", scale=0.02, dev_admin=True)
    out = capsys.readouterr().out
    password = out.split("as 'admin' with the password ")[1].split()[0]
    assert client.post("/admin/login/", {"username": "admin", "password": password}).status_code == 302
    call_command("seed_demo", scale=0.02, dev_admin=True, if_empty=True)  # a second `make run`
    assert "log in at /admin/ as your superuser" in capsys.readouterr().out
    client.logout()
    assert client.post("/admin/login/", {"username": "admin", "password": password}).status_code == 302


def test_dev_admin_is_refused_in_production(settings):
    from django.core.management import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("seed_demo", scale=0.02, dev_admin=True)
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="admin").exists()


def test_the_demo_agrees_with_the_methodology_on_preservation(client):
    call_command("seed_demo", scale=0.05)
    preserved = DataRequest.objects.filter(request_type="preservation", status="completed")
    assert preserved.exists()
    assert not preserved.filter(outcome__in=DataRequest.PRODUCED_OUTCOMES).exists()
    rows = client.get("/data/requests.csv?request_type=preservation").content.decode("utf-8-sig").splitlines()
    header = rows[0].split(",")
    produced = header.index("requests_with_data_produced")
    assert len(rows) > 1 and {row.split(",")[produced] for row in rows[1:]} == {"0"}
    assert "never counts as “with data produced”" in client.get("/methodology/").text
