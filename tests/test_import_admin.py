"""Bulk intake in the admin: upload, preview with every error, confirm; export in the same format."""

import html
import io
import os
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_app import intake, roles, services
from requests_app.admin import intake as admin_intake
from requests_app.models import DataRequest, ImportRun
from tests.factories import DataRequestFactory, ProductFactory
from tests.test_admin_desk import login_as, messages_of

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:requests_app_datarequest_import")
REQUESTS = reverse("admin:requests_app_datarequest_changelist")
IMPORT_RUNS = reverse("admin:requests_app_importrun_changelist")
HEADER = "reference,country,received_on,request_type,accounts_specified,authority,authority_kind"
GOOD = (
    HEADER + "\nADM-1,DE,2020-03-10,legal_process,2,BKA,police\nADM-2,fr,2020-04-01,emergency,1,,\n"
).encode()
BAD = (HEADER + "\nADM-1,DE,2020-03-10,legal_process,2,,\nADM-2,XX,2020-02-30,emergency,0,,\n").encode()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.REQUEST_IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")


def upload(client, data: bytes, **extra):
    return client.post(IMPORT, {"file": SimpleUploadedFile("requests.csv", data, "text/csv"), **extra})


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_reviewer_sees_every_error_in_the_preview_and_nothing_is_imported(client):
    login_as(client, roles.REVIEWER)
    response = upload(client, BAD)
    assert response.status_code == 200
    text = page(response)
    assert "Nothing was imported: 3 error(s) in requests.csv." in text
    assert "line 3, column country, value 'XX': unknown country" in text
    assert "line 3, column received_on, value '2020-02-30': this date does not exist" in text
    assert "line 3, column accounts_specified, value '0': a request names at least 1 account" in text
    assert 'name="confirm"' not in text
    assert DataRequest.objects.count() == 0 and ImportRun.objects.count() == 0


def test_reviewer_previews_then_confirms_and_the_import_is_recorded(client, settings):
    reviewer = login_as(client, roles.REVIEWER)
    response = upload(client, GOOD)
    text = page(response)
    assert "2 row(s) checked, no errors. Importing will create 2 request(s)" in text
    # The first rows, as they will be stored, under their columns.
    assert response.context["result"].columns[:2] == ["reference", "country"]
    assert "<td>3</td><td>ADM-2</td><td>FR</td><td>2020-04-01</td><td>emergency</td>" in text
    assert 'name="confirm"' in text
    assert DataRequest.objects.count() == 0  # a preview writes nothing

    token = response.context["token"]
    response = client.post(IMPORT, {"token": token, "confirm": "Import"})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{REQUESTS}?import_run__exact={run.pk}"
    assert "Imported requests.csv: created 2" in messages_of(client.get(response["Location"]))[0]
    assert set(DataRequest.objects.values_list("reference", flat=True)) == {"ADM-1", "ADM-2"}
    assert (run.user, run.source, run.file_name, run.created) == (reviewer, "admin", "requests.csv", 2)

    # The upload is gone once imported: confirming twice imports nothing twice.
    assert not any(Path(settings.REQUEST_IMPORT_UPLOAD_DIR).iterdir())
    response = client.post(IMPORT, {"token": token, "confirm": "Import"})
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert DataRequest.objects.count() == 2


def test_a_confirmation_that_meets_a_new_conflict_imports_nothing(client):
    login_as(client, roles.REVIEWER)
    token = upload(client, GOOD).context["token"]
    DataRequestFactory(reference="ADM-2")  # a colleague logged it meanwhile
    response = client.post(IMPORT, {"token": token, "confirm": "Import"})
    assert response.status_code == 200
    assert "line 3, column reference, value 'ADM-2': already in the database" in page(response)
    assert DataRequest.objects.count() == 1


def test_an_update_confirmed_after_a_colleague_saved_the_request_is_refused(client):
    login_as(client, roles.REVIEWER)
    request = DataRequestFactory(reference="ADM-1", internal_notes="as exported")
    data = export(client, _selected_action=[request.pk]).replace(b"as exported", b"from the file")
    token = upload(client, data, update="on").context["token"]
    services.request_update(request=request, internal_notes="the colleague's")  # meanwhile
    response = client.post(IMPORT, {"token": token, "confirm": "Import"})
    assert response.status_code == 200
    refusal = "line 2, column version: ADM-1: changed in the database after this file"
    assert refusal in page(response)
    request.refresh_from_db()
    assert request.internal_notes == "the colleague's"


def test_a_forged_token_imports_nothing(client):
    login_as(client, roles.REVIEWER)
    response = client.post(IMPORT, {"token": "../../etc/passwd", "confirm": "Import"})
    assert response.status_code == 302
    assert DataRequest.objects.count() == 0


def test_update_through_the_admin_records_the_reviewer_in_history(client):
    reviewer = login_as(client, roles.REVIEWER)
    DataRequestFactory(reference="ADM-1", accounts_specified=1, authority=None)
    token = upload(client, GOOD, update="on").context["token"]
    client.post(IMPORT, {"token": token, "confirm": "Import"})
    updated = DataRequest.objects.get(reference="ADM-1")
    assert updated.accounts_specified == 2 and updated.authority.name == "BKA"
    assert updated.history.first().history_user == reviewer


def test_publisher_can_import_and_the_changelist_links_to_it(client):
    login_as(client, roles.PUBLISHER)
    assert client.get(IMPORT).status_code == 200
    assert IMPORT in client.get(REQUESTS).content.decode()


def test_auditor_cannot_import_but_can_read_import_records(client):
    login_as(client, roles.AUDITOR)
    assert client.get(IMPORT).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert IMPORT not in client.get(REQUESTS).content.decode()
    assert client.get(IMPORT_RUNS).status_code == 200
    assert DataRequest.objects.count() == 0


def test_anonymous_is_sent_to_login_and_imports_nothing(client):
    response = client.get(IMPORT)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    response = upload(client, GOOD)
    assert response.status_code == 302
    assert DataRequest.objects.count() == 0


# --- limits and leftovers (uploads are capped; no file outlives a failure or a day) ------------


def uploads(settings) -> list[Path]:
    directory = Path(settings.REQUEST_IMPORT_UPLOAD_DIR)
    return sorted(directory.iterdir()) if directory.exists() else []


def test_an_upload_over_the_cap_is_refused_naming_the_cap_and_the_command(client, settings):
    settings.REQUEST_IMPORT_MAX_UPLOAD_MB = 1
    login_as(client, roles.REVIEWER)
    big = GOOD + b"".join(
        b"ADM-%07d,DE,2020-03-10,legal_process,2,BKA,police\n" % n for n in range(3, 30_000)
    )
    assert len(big) > 1024 * 1024
    response = upload(client, big)
    assert response.status_code == 200
    text = page(response)
    assert "the import page takes files up to 1 MB" in text
    assert "python manage.py import_requests FILE.csv" in text
    assert "token" not in response.context or not response.context["token"]
    assert uploads(settings) == []
    assert DataRequest.objects.count() == 0 and ImportRun.objects.count() == 0
    # Under the cap, the same file is taken.
    settings.REQUEST_IMPORT_MAX_UPLOAD_MB = len(big) // (1024 * 1024) + 1
    assert upload(client, big).context["token"]


def test_a_preview_with_errors_leaves_no_file(client, settings):
    login_as(client, roles.REVIEWER)
    response = upload(client, BAD)
    assert "Nothing was imported" in page(response)
    assert uploads(settings) == []


def test_an_exception_during_the_preview_leaves_no_file(client, settings):
    login_as(client, roles.REVIEWER)
    with mock.patch.object(intake, "import_requests", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            upload(client, GOOD)
    assert uploads(settings) == []


def test_a_confirmation_that_fails_leaves_no_file(client, settings):
    login_as(client, roles.REVIEWER)
    token = upload(client, GOOD).context["token"]
    assert len(uploads(settings)) == 1
    with mock.patch.object(intake, "import_requests", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            client.post(IMPORT, {"token": token, "confirm": "Import"})
    assert uploads(settings) == []
    # A refused confirmation (the database changed meanwhile) leaves none either.
    token = upload(client, GOOD).context["token"]
    DataRequestFactory(reference="ADM-2")
    assert client.post(IMPORT, {"token": token, "confirm": "Import"}).status_code == 200
    assert uploads(settings) == []


def test_a_check_that_runs_out_of_time_stops_names_the_command_and_leaves_no_file(client, settings):
    login_as(client, roles.REVIEWER)
    with mock.patch.object(admin_intake, "CHECK_SECONDS", -1):
        response = upload(client, GOOD)
    assert response.status_code == 200
    refusal = "Checking requests.csv took more than -1 s, too long for a web page; nothing was imported."
    assert refusal in messages_of(response)[0]
    assert "python manage.py import_requests FILE.csv" in messages_of(response)[0]
    assert uploads(settings) == []
    # The same on confirmation (the real import rolls back).
    token = upload(client, GOOD).context["token"]
    with mock.patch.object(admin_intake, "CHECK_SECONDS", -1):
        response = client.post(IMPORT, {"token": token, "confirm": "Import"})
    assert "too long for a web page" in messages_of(response)[0]
    assert uploads(settings) == []
    assert DataRequest.objects.count() == 0 and ImportRun.objects.count() == 0


def test_a_stale_upload_goes_on_a_visit_to_the_import_page_and_a_pending_one_stays(client, settings):
    login_as(client, roles.REVIEWER)
    token = upload(client, GOOD).context["token"]
    directory = Path(settings.REQUEST_IMPORT_UPLOAD_DIR)
    stale = directory / "abandoned-yesterday-0000000000.csv"
    stale.write_bytes(GOOD)
    day_and_an_hour_ago = time.time() - 25 * 3600
    os.utime(stale, (day_and_an_hour_ago, day_and_an_hour_ago))
    assert client.get(IMPORT).status_code == 200
    assert uploads(settings) == [directory / f"{token}.csv"]
    # ... which can still be confirmed.
    assert client.post(IMPORT, {"token": token, "confirm": "Import"}).status_code == 302
    assert DataRequest.objects.count() == 2


# --- export -----------------------------------------------------------------------------------


def export(client, **post) -> bytes:
    response = client.post(REQUESTS + post.pop("query", ""), {"action": "export_as_csv", **post})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="requests-')
    return b"".join(response.streaming_content)


def test_export_of_selected_or_filtered_requests_in_the_import_format(client):
    login_as(client, roles.AUDITOR)  # reading is enough to export
    de = DataRequestFactory(reference="EXP-DE", country="DE")
    DataRequestFactory(reference="EXP-FR", country="FR")
    DataRequestFactory(reference="EXP-US", country="US")

    data = export(client, _selected_action=[de.pk])
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(intake.COLUMNS).encode() + b"\r\n")
    assert [line.split(",")[0] for line in data.decode("utf-8-sig").splitlines()[1:]] == ["EXP-DE"]

    everything_but_de = export(
        client, query="?country__exact=FR", select_across="1", _selected_action=[de.pk]
    )
    assert [line.split(",")[0] for line in everything_but_de.decode("utf-8-sig").splitlines()[1:]] == [
        "EXP-FR"
    ]


def test_an_admin_export_imports_back_unchanged(client):
    login_as(client, roles.REVIEWER)
    rows = [
        DataRequestFactory(completed=True, product=ProductFactory(code="mail"), internal_notes="a\nb"),
        DataRequestFactory(),
    ]
    data = export(client, query="?queue=all", _selected_action=[r.pk for r in rows])  # selected on "All"
    result = intake.import_requests(io.BytesIO(data), file_name="export.csv", update=True)
    assert result.ok and (result.unchanged, result.created) == (2, 0)
    DataRequest.objects.all().delete()
    result = intake.import_requests(io.BytesIO(data), file_name="export.csv")
    assert result.ok and result.created == 2
    again = DataRequest.objects.get(reference=rows[0].reference)
    assert (again.product_id, again.internal_notes, again.outcome) == ("mail", "a\nb", "all_data")


def test_an_upload_over_the_cap_is_refused_before_its_body_is_read(client, settings, tmp_path):
    settings.REQUEST_IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.REQUEST_IMPORT_MAX_UPLOAD_MB = 1
    login_as(client, roles.REVIEWER)
    url = reverse("admin:requests_app_datarequest_import")
    # The declared length says 200 MB; the body itself is never read (a read would find 4 bytes).
    response = client.generic(
        "POST", url, b"abcd", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(200 * 2**20)
    )
    assert response.status_code == 413
    assert "up to 1 MB" in response.text and "manage.py import_requests" in response.text
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert not ImportRun.objects.exists()
