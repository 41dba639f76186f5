"""Security settings, login throttling, role walls on every admin URL, error pages."""

import secrets
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from requests_app import roles
from tests.factories import (
    AuthorityFactory,
    DataRequestFactory,
    FigureRowFactory,
    InternationalBodyFactory,
    LegalProcessFactory,
    PauseDecisionFactory,
    ProductFactory,
    UserFactory,
)
from tests.helpers import run_manage


@pytest.mark.slow
def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="transparency.example.org",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_admin_url_is_configurable():
    result = run_manage(
        "shell",
        "-c",
        "from django.urls import reverse; print(reverse('admin:index'))",
        ADMIN_URL="desk-7f3a/",
    )
    assert result.stdout.strip().splitlines()[-1] == "/desk-7f3a/"


@pytest.mark.django_db
def test_security_headers_on_public_pages(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_out(client, settings):
    UserFactory(username="amara", password="right password 123")
    login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(login, {"username": "amara", "password": "wrong"})
        assert response.status_code in (200, 429)
    response = client.post(login, {"username": "amara", "password": "right password 123"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_successful_login_below_the_limit(client):
    UserFactory(username="jonas", password="right password 123")
    client.post(reverse("admin:login"), {"username": "jonas", "password": "wrong"})
    response = client.post(reverse("admin:login"), {"username": "jonas", "password": "right password 123"})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


def test_sessions_expire(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60


# --- every admin URL, as everyone ------------------------------------------------------------

OK, DENIED = 200, 403
VIEW_ONLY = {"changelist": OK, "add": DENIED, "change": OK, "delete": DENIED, "history": OK}
WORK = {"changelist": OK, "add": OK, "change": OK, "delete": DENIED, "history": OK}
MANAGE = {"changelist": OK, "add": OK, "change": OK, "delete": OK, "history": OK}
HIDDEN = {"changelist": DENIED, "add": DENIED, "change": DENIED, "delete": DENIED, "history": DENIED}
KEEP = {"changelist": OK, "add": OK, "change": OK, "delete": OK, "history": OK}  # the managed lists

EXPECTED = {
    roles.REVIEWER: {
        "datarequest": WORK,
        "authority": WORK,
        "pausedecision": VIEW_ONLY,
        "publication": VIEW_ONLY,
        "importrun": VIEW_ONLY,
        "internationalbody": VIEW_ONLY,
        "legalprocess": VIEW_ONLY,
        "product": VIEW_ONLY,
    },
    roles.PUBLISHER: {
        "datarequest": WORK,
        "authority": WORK,
        "pausedecision": WORK,
        # "Add publication" is the publish-a-period page; change is a read-only view.
        "publication": WORK,
        "importrun": VIEW_ONLY,
        # An unused body may be deleted; the delete page of a used one says what uses it.
        "internationalbody": MANAGE,
        "legalprocess": KEEP,
        "product": KEEP,
    },
    roles.AUDITOR: {
        "datarequest": VIEW_ONLY,
        "authority": VIEW_ONLY,
        "pausedecision": VIEW_ONLY,
        "publication": VIEW_ONLY,
        "importrun": VIEW_ONLY,
        "internationalbody": VIEW_ONLY,
        "legalprocess": VIEW_ONLY,
        "product": VIEW_ONLY,
    },
}
# National-security requests do not exist for any of these roles (only the cleared one sees them).
for _models in EXPECTED.values():
    _models.update(nationalsecurityrequest=HIDDEN, nationalsecuritycategory=HIDDEN)


@pytest.fixture
def one_of_each(db):
    row = FigureRowFactory()
    return {
        "datarequest": DataRequestFactory(),
        "authority": AuthorityFactory(),
        "pausedecision": PauseDecisionFactory(),
        "publication": row.publication,
        "internationalbody": InternationalBodyFactory(),
        "legalprocess": LegalProcessFactory(),
        "product": ProductFactory(),
    }


def admin_urls(objects):
    """Every URL of every registered ModelAdmin, with the object it needs."""
    urls = []
    for model in admin.site._registry:
        opts = model._meta
        obj = objects.get(opts.model_name) or model._default_manager.first()
        for view in ["changelist", "add", "change", "delete", "history"]:
            if view in {"change", "delete", "history"}:
                if obj is None:
                    continue
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])
            else:
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}")
            urls.append((opts.app_label, opts.model_name, view, url))
    return urls


@pytest.mark.django_db
def test_anonymous_and_non_staff_reach_no_admin_page(client, one_of_each):
    urls = admin_urls(one_of_each) + [("", "", "index", reverse("admin:index"))]
    assert len(urls) > 20
    for _, _, _, url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    client.force_login(UserFactory(username="citizen", is_staff=False))
    for _, _, _, url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.REVIEWER, roles.PUBLISHER, roles.AUDITOR])
def test_each_role_gets_exactly_its_permissions_on_every_admin_url(client, one_of_each, role):
    user = UserFactory(username=f"{role.lower()}-walker")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 200
    for app_label, model_name, view, url in admin_urls(one_of_each):
        # Models outside the desk (users, groups, login attempts) are for superusers only.
        expected = EXPECTED[role][model_name][view] if app_label == "requests_app" else DENIED
        assert client.get(url).status_code == expected, (role, url)


# --- error pages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_404_page_reveals_nothing(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Traceback" not in response.text and "urlpatterns" not in response.text


@pytest.mark.django_db
def test_500_page_reveals_nothing(client):
    client.raise_request_exception = False
    with mock.patch("requests_app.views.selectors.overview", side_effect=RuntimeError("secret-canary")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret-canary" not in response.text and "Traceback" not in response.text
