"""The desk's permission matrix: every admin URL and every admin action, for every role.

The URLs and actions are enumerated from the admin site itself (each ModelAdmin's ``get_urls()``
and its actions), so a view or action added later is either covered by a rule below or fails
``test_every_admin_url_and_action_has_a_matrix_entry``. For each role, a GET answers what the
role may see, and a POST the role may not make is refused and changes no row anywhere.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from requests_app import roles, services
from requests_app.admin.workflow import STEPS
from requests_app.models import NationalSecurityCategory
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

pytestmark = pytest.mark.django_db

REVIEWER, PUBLISHER, AUDITOR = roles.REVIEWER, roles.PUBLISHER, roles.AUDITOR
CLEARED = roles.NATIONAL_SECURITY_REVIEWER
STAFF = "staff without a group"
ANONYMOUS = "anonymous"
ROLES = [REVIEWER, PUBLISHER, AUDITOR, CLEARED, STAFF, ANONYMOUS]
DESK = {REVIEWER, PUBLISHER, AUDITOR}

# --- what each role may do with each model ----------------------------------------------------
# see: changelist, change page (read-only without change), history; add; change; delete (nobody,
# unless listed).
ACCESS = {
    "requests_app.datarequest": {"see": DESK, "add": {REVIEWER, PUBLISHER}, "change": {REVIEWER, PUBLISHER}},
    "requests_app.authority": {"see": DESK, "add": {REVIEWER, PUBLISHER}, "change": {REVIEWER, PUBLISHER}},
    "requests_app.pausedecision": {"see": DESK, "add": {PUBLISHER}, "change": {PUBLISHER}},
    # "Add" is the publish-a-period page; a publication itself is never changed.
    "requests_app.publication": {"see": DESK, "add": {PUBLISHER}, "change": set()},
    "requests_app.importrun": {"see": DESK, "add": set(), "change": set()},
    # Publishers add the international bodies requests may come from (and delete an unused one).
    "requests_app.internationalbody": {
        "see": DESK,
        "add": {PUBLISHER},
        "change": {PUBLISHER},
        "delete": {PUBLISHER},
    },
    # Only the cleared role knows national-security requests exist; their categories are the law's.
    "requests_app.nationalsecurityrequest": {"see": {CLEARED}, "add": {CLEARED}, "change": {CLEARED}},
    "requests_app.nationalsecuritycategory": {"see": {CLEARED}, "add": {CLEARED}, "change": {CLEARED}},
    # The managed lists: every role reads them, Publishers keep them.
    "requests_app.legalprocess": {"see": DESK, **dict.fromkeys(["add", "change", "delete"], {PUBLISHER})},
    "requests_app.product": {"see": DESK, **dict.fromkeys(["add", "change", "delete"], {PUBLISHER})},
    # Users, groups and login records are for superusers only.
    "auth.user": {"see": set(), "add": set(), "change": set()},
    "auth.group": {"see": set(), "add": set(), "change": set()},
    "axes.accessattempt": {"see": set(), "add": set(), "change": set()},
    "axes.accesslog": {"see": set(), "add": set(), "change": set()},
    "axes.accessfailurelog": {"see": set(), "add": set(), "change": set()},
}

# --- which access each URL needs, for GET and for POST ----------------------------------------
# "see" / "add" / "change" / "delete": that column of ACCESS; None: nobody below superuser
# (history is never rewritten); "redirect": any staff user is redirected.
STANDARD_VIEWS = {
    "changelist": ("see", "see"),  # a POST here runs an action: see ACTIONS
    "add": ("add", "add"),
    "change": ("see", "change"),
    "delete": ("delete", "delete"),
    "history": ("see", None),
    "simple_history": ("see", None),  # one old version, read-only for everyone
}
CUSTOM_VIEWS = {
    "requests_app_datarequest_import": ("add", "add"),
    "requests_app_datarequest_workflow": ("change", "change"),  # a request's workflow steps
    # The fixture's body is in use, so a Publisher's POST is refused too (the page says why).
    "requests_app_internationalbody_delete": ("delete", "delete"),
    "auth_user_password_change": (None, None),
}

# --- which roles may run each action (model name, action) -------------------------------------
ACTIONS = {
    ("datarequest", "assign_to_me"): {REVIEWER, PUBLISHER},
    ("datarequest", "start_review"): {REVIEWER, PUBLISHER},
    ("datarequest", "complete_with_outcome"): {REVIEWER, PUBLISHER},
    ("datarequest", "withdraw"): {REVIEWER, PUBLISHER},
    ("datarequest", "export_as_csv"): DESK,
    ("pausedecision", "lift"): {PUBLISHER},
    ("pausedecision", "publish_decisions"): {PUBLISHER},
    ("pausedecision", "unpublish_decisions"): {PUBLISHER},
    ("publication", "republish_periods"): {PUBLISHER},
    ("legalprocess", "delete_selected"): {PUBLISHER},
    ("product", "delete_selected"): {PUBLISHER},
    ("accessattempt", "cleanup_expired_attempts"): set(),
    ("*", "delete_selected"): set(),
}
# Everything an action's confirmation page may ask for, so that an allowed action runs.
ACTION_CONFIRMATION = {
    "apply": "1",
    "confirm": "1",
    "post": "yes",
    "ended_on": "2020-12-31",
    "outcome": "all_data",
    "decided_on": "2020-12-31",
    "note": "Permission matrix.",
}

# The admin site's own pages: (GET status, POST status) for a logged-in staff user with any role.
SITE_VIEWS = {
    "index": (200, 200),
    "login": (302, 200),  # already logged in: to the desk; an empty form is a form error
    "logout": (405, 200),  # logging out takes a POST
    "password_change": (200, 200),  # their own password: a form error without the old one
    "password_change_done": (200, 405),
    "jsi18n": (200, 405),
}


def model_admins():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def url_rule(model, pattern_name: str | None) -> tuple | str | None:
    opts = model._meta
    if pattern_name is None:
        return "redirect"  # <pk>/ -> <pk>/change/
    if pattern_name in CUSTOM_VIEWS:
        return CUSTOM_VIEWS[pattern_name]
    prefix = f"{opts.app_label}_{opts.model_name}_"
    if pattern_name.startswith(prefix) and pattern_name[len(prefix) :] in STANDARD_VIEWS:
        return STANDARD_VIEWS[pattern_name[len(prefix) :]]
    return None


def action_names(model_admin) -> list[str]:
    return [name for _, name, _ in model_admin._get_base_actions()]


def action_roles(model, name: str) -> set[str] | None:
    return ACTIONS.get((model._meta.model_name, name), ACTIONS.get(("*", name)))


def test_every_admin_url_and_action_has_a_matrix_entry():
    missing = []
    for model, model_admin in model_admins():
        assert model._meta.label_lower in ACCESS, f"add {model._meta.label_lower} to ACCESS"
        for pattern in model_admin.get_urls():
            if url_rule(model, pattern.name) is None:
                missing.append(f"URL {pattern.name} ({model._meta.label}: {pattern.pattern})")
        for name in action_names(model_admin):
            if action_roles(model, name) is None:
                missing.append(f"action {name} of {model._meta.label}")
    site_names = {name for p in admin.site.get_urls() if (name := getattr(p, "name", None))}
    site_handled = set(SITE_VIEWS) | {"autocomplete", "view_on_site", "app_list"}
    missing += [f"site URL {name}" for name in sorted(site_names - site_handled)]
    assert missing == [], "add a matrix entry for: " + "; ".join(missing)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def objects(db, tmp_path):
    """One object of every model the admin shows, so that every object URL can be visited."""
    csv = tmp_path / "one.csv"
    csv.write_text("reference,country,received_on,request_type,accounts_specified\nM-1,FR,2020-02-03,emergency,1\n")
    call_command("import_requests", str(csv), stdout=io.StringIO())  # an ImportRun
    Client().post(reverse("admin:login"), {"username": "ghost", "password": "wrong"})  # axes rows
    UserFactory(username="someone-logged-in", password="pw-123456789")
    Client().post(reverse("admin:login"), {"username": "someone-logged-in", "password": "pw-123456789"})
    pause = PauseDecisionFactory()
    body = InternationalBodyFactory()
    DataRequestFactory(country=body.code)
    ns_request = services.ns_request_create(
        reference="NSL-MATRIX-1",
        category=NationalSecurityCategory.objects.get(code="nsl"),
        received_on=datetime.date(2020, 3, 1),
    )
    # Entries in use: a delete by whoever may delete is refused too, so every URL still finds them.
    legal_process, product = LegalProcessFactory(), ProductFactory()
    figures = FigureRowFactory(legal_process=legal_process, product=product)
    return {
        "requests_app.internationalbody": body,
        "requests_app.nationalsecurityrequest": ns_request,
        "requests_app.datarequest": DataRequestFactory(
            internal_notes="Internal.", legal_process=legal_process, product=product
        ),
        "requests_app.authority": AuthorityFactory(),
        "requests_app.pausedecision": pause,
        "requests_app.publication": figures.publication,
        "requests_app.legalprocess": legal_process,
        "requests_app.product": product,
    }


def object_of(model, objects):
    return objects.get(model._meta.label_lower) or model._default_manager.order_by("pk").first()


def client_for(role: str) -> Client:
    client = Client()
    if role == ANONYMOUS:
        return client
    user = UserFactory(username=f"matrix-{role.replace(' ', '-')}".lower())
    if role in DESK | {CLEARED}:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def snapshot() -> dict:
    """Every row of every table the desk could write (sessions aside: logging in writes one)."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


def post_value(field, value):
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def form_data(change_url: str) -> dict:
    """What a browser would post from the change page (read as a superuser), every text
    value altered: a POST that would change the row if it were accepted."""
    superuser = Client()
    superuser.force_login(UserFactory(username="matrix-superuser", is_superuser=True))
    response = superuser.get(change_url)
    if response.status_code != 200 or "adminform" not in response.context:
        return {}
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = post_value(field, form[name].value())
        if value is None:
            continue
        if isinstance(field, forms.CharField) and not isinstance(field, forms.ChoiceField) and value:
            value = value[: max((field.max_length or 100) - 4, 1)] + " [x]"
        data[name] = value
    data["confirm_hold_changes"] = "on"
    return data


def object_urls(objects):
    """(label, url name, url, GET rule, POST rule) for every URL of every ModelAdmin."""
    urls = []
    for model, model_admin in model_admins():
        obj = object_of(model, objects)
        for pattern in model_admin.get_urls():
            rule = url_rule(model, pattern.name)
            route = str(pattern.pattern)
            if "object_id" in route or route.startswith("^([^/]+)") or "<id>" in route:
                if obj is None:
                    continue
                if pattern.name and pattern.name.endswith("_simple_history"):
                    version = obj.history.order_by("history_id").first()
                    if version is None:
                        continue
                    url = reverse(f"admin:{pattern.name}", args=[obj.pk, version.history_id])
                elif pattern.name and "<str:step>" in route:
                    # Every step: "complete" asks for the decision (a GET page); the others act
                    # on a POST alone, so a GET is a 405 for whoever may take them.
                    for step in STEPS:
                        url = reverse(f"admin:{pattern.name}", args=[obj.pk, step])
                        step_rule = rule if step == "complete" else "post_only"
                        urls.append((model._meta.label_lower, pattern.name, url, step_rule))
                    continue
                elif pattern.name:
                    url = reverse(f"admin:{pattern.name}", args=[obj.pk])
                else:
                    opts = model._meta
                    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                    url = change.removesuffix("change/")
            else:
                url = reverse(f"admin:{pattern.name}")
            urls.append((model._meta.label_lower, pattern.name, url, rule))
    return urls


def expected_status(rule, access: dict, role: str, method: str) -> int:
    if rule == "redirect":
        return 302
    if rule == "post_only":
        allowed = role in access["change"]
        return (405 if allowed else 403) if method == "GET" else (200 if allowed else 403)
    needed = rule[0] if method == "GET" else rule[1]
    allowed = needed is not None and role in access.get(needed, set())
    return 200 if allowed else 403


# --- the matrix -------------------------------------------------------------------------------


def change_url_of(model, objects) -> str | None:
    obj = object_of(model, objects)
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]) if obj else None


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_url_answers_each_role_exactly_as_allowed(objects, role):
    client = client_for(role)
    urls = object_urls(objects)
    assert len(urls) >= 50
    # A POST carries the object's own form, every text altered (read before anything is posted).
    posted = {
        model._meta.label_lower: form_data(url)
        for model, _ in model_admins()
        if (url := change_url_of(model, objects))
    }
    for label, name, url, rule in urls:
        get = client.get(url)
        if role == ANONYMOUS:
            assert get.status_code == 302 and "/login/" in get["Location"], (role, url)
        else:
            expected = expected_status(rule, ACCESS[label], role, "GET")
            allowed_codes = {200, 302} if expected == 200 else {expected}  # 200: or a redirect
            assert get.status_code in allowed_codes, (role, name, url, get.status_code)

        data = {} if rule == "redirect" or name.endswith("_changelist") else posted.get(label, {})
        before = snapshot()
        post = client.post(url, data)
        if role == ANONYMOUS:
            assert post.status_code == 302 and "/login/" in post["Location"], (role, url)
            assert snapshot() == before, (role, url)
            continue
        expected = expected_status(rule, ACCESS[label], role, "POST")
        if expected == 403:
            assert post.status_code == 403, (role, name, url, post.status_code)
            assert snapshot() == before, (role, name, url)
        else:
            assert post.status_code in {200, 302, 409}, (role, name, url, post.status_code)


@pytest.mark.parametrize("role", [REVIEWER, PUBLISHER, AUDITOR, STAFF])
def test_the_admin_site_pages_answer_each_role(role):
    client = client_for(role)
    for name, (get_status, post_status) in SITE_VIEWS.items():
        url = reverse(f"admin:{name}")
        if name == "logout":
            assert client.get(url).status_code == get_status
            continue
        assert client.get(url).status_code == get_status, (role, name)
        assert client.post(url, {}).status_code == post_status, (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_action_runs_only_for_the_roles_allowed(objects, role):
    client = client_for(role)
    today = timezone.localdate()
    checked = 0
    for model, model_admin in model_admins():
        obj = object_of(model, objects)
        if obj is None:
            continue
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        listed = client.get(changelist)
        offered = set()
        if listed.status_code == 200 and listed.context.get("action_form"):
            offered = {n for n, _ in listed.context["action_form"].fields["action"].choices if n}
        for name in action_names(model_admin):
            allowed = role in action_roles(model, name)
            assert (name in offered) == allowed, (role, opts.model_name, name)
            before = snapshot()
            data = {"action": name, "_selected_action": [obj.pk], **ACTION_CONFIRMATION}
            data["decided_on"] = data["ended_on"] = today.isoformat()
            response = client.post(changelist, data)
            if allowed:
                assert response.status_code in {200, 302}, (role, name, response.status_code)
            else:
                if role == ANONYMOUS:
                    assert response.status_code == 302 and "/login/" in response["Location"]
                else:
                    assert response.status_code in {200, 302, 403}, (role, name, response.status_code)
                assert snapshot() == before, (role, opts.model_name, name)
            checked += 1
    assert checked >= 12


def test_a_superuser_cannot_rewrite_history_either(objects):
    client = client_for(STAFF)
    client.force_login(UserFactory(username="matrix-root", is_superuser=True))
    posted = {
        model._meta.label_lower: form_data(url)
        for model, _ in model_admins()
        if (url := change_url_of(model, objects))
    }
    rewritten = 0
    for label, name, url, _ in object_urls(objects):
        if name and name.endswith(("_simple_history", "_history")):
            before = snapshot()
            response = client.post(url, posted[label])
            if label.startswith("requests_app."):
                assert response.status_code == 403, url
                rewritten += 1
            assert snapshot() == before, url
    assert rewritten >= 8  # history and version pages of the desk's models
