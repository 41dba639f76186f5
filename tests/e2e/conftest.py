"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} not found: `make test` installs Debian's chromium (apt-get install chromium)."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
    # browser steps are plain synchronous code, so Django's async-safety guard is lifted while the
    # browser is open, and only then (a leaked variable would fail `check --deploy`).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser):
    # bypass_csp lets the test inject axe-core; the CSP itself is checked in test_security.py
    # and by watching the console for violations below.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True
    )
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, live_server, *, username: str, role: str) -> None:
    """Create a desk user of ``role`` and log in through the admin's login form."""
    import re

    from django.contrib.auth.models import Group
    from django.urls import reverse

    from requests_app import roles
    from requests_app.defaults import ensure_defaults
    from tests.factories import UserFactory

    roles.ensure_roles()  # an earlier browser test's flush may have emptied them (see above)
    ensure_defaults()
    UserFactory(username=username).groups.add(Group.objects.get(name=role))
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(reverse("admin:index")) + "$"))
    page.base = live_server.url



def ensure_reference_data() -> None:
    """The migrated reference rows (roles, the managed lists' first entries) an earlier browser
    test's flush removed: the demo and the desk need them."""
    from requests_app import roles
    from requests_app.defaults import ensure_defaults

    ensure_defaults()
    roles.ensure_roles()
