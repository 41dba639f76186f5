"""A reviewer's CSV import in a real browser: a bad file's errors, a good file's preview and
confirmation, and an exported file re-imported with --update after a colleague's edit."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from requests_app import roles, services
from requests_app.models import DataRequest, ImportRun
from tests.e2e.conftest import log_in, screenshot
from tests.factories import DataRequestFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HEADER = "reference,country,received_on,request_type,accounts_specified,authority,authority_kind"


@pytest.fixture
def reviewer_page(page, live_server, settings, tmp_path):
    settings.REQUEST_IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    log_in(page, live_server, username="rita", role=roles.REVIEWER)
    return page


def check_file(page, path: Path, *, update: bool = False) -> None:
    page.goto(page.base + reverse("admin:requests_app_datarequest_import"))
    page.get_by_label("CSV file").set_input_files(str(path))
    if update:
        page.get_by_label("Update requests already in the database").check()
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()


def test_a_reviewer_sees_the_errors_then_previews_and_imports(reviewer_page, tmp_path):
    page = reviewer_page
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{HEADER}\nB-1,DE,2020-03-10,legal_process,2,BKA,police\nB-2,XX,2020-02-30,emergency,0,,\n"
    )
    check_file(page, bad)
    errors = page.locator("ul.import-errors li").all_inner_texts()
    assert errors == [
        "line 3, column country, value 'XX': unknown country; use its ISO 3166-1 alpha-2 code, e.g. HK",
        "line 3, column received_on, value '2020-02-30': this date does not exist",
        "line 3, column accounts_specified, value '0': a request names at least 1 account",
    ]
    assert page.locator("input[name=confirm]").count() == 0
    screenshot(page, "import-errors")

    good = tmp_path / "good.csv"
    good.write_text(
        f"{HEADER}\nG-1,DE,2020-03-10,legal_process,2,BKA,police\nG-2,fr,2020-04-01,emergency,1,,\n"
    )
    check_file(page, good)
    assert "2 row(s) checked, no errors" in page.locator("p.import-summary").inner_text()
    # The preview shows the rows as they will be stored: "fr" as FR.
    assert page.locator("#result_list tbody tr").nth(1).inner_text().split("\t")[:3] == ["3", "G-2", "FR"]
    assert not DataRequest.objects.exists()
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Import 2 row(s)").click()
    page.wait_for_url(re.compile(r"import_run__exact=\d+"))
    assert "Imported good.csv: created 2" in page.locator("ul.messagelist").inner_text()
    assert page.locator("#result_list tbody tr").count() == 2
    run = ImportRun.objects.get()
    assert (run.user.username, run.created) == ("rita", 2)


def test_an_exported_file_cannot_overwrite_a_colleague_s_later_edit(reviewer_page, tmp_path):
    page = reviewer_page
    request = DataRequestFactory(reference="EXP-1", internal_notes="as exported")
    page.goto(page.base + reverse("admin:requests_app_datarequest_changelist"))
    page.locator(f"input[name=_selected_action][value='{request.pk}']").check()
    page.locator("select[name=action]").select_option("export_as_csv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Go").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].endswith(",internal_notes,version")

    edited = tmp_path / "edited.csv"
    edited.write_text(exported.replace("as exported", "edited in the file"), encoding="utf-8")
    check_file(page, edited, update=True)
    assert "update 1" in page.locator("p.import-summary").inner_text()
    services.request_update(request=request, internal_notes="the colleague's")  # before confirming
    page.locator("input[name=confirm]").click()
    page.wait_for_load_state()
    assert page.locator("ul.import-errors li").all_inner_texts() == [
        "line 2, column version: EXP-1: changed in the database after this file was exported "
        "(the file has version 1, the database 2); export it again and make the changes there"
    ]
    screenshot(page, "import-refused-stale")
    request.refresh_from_db()
    assert request.internal_notes == "the colleague's"
