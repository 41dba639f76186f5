"""Publishing from the admin: Publishers only, through the services; publications stay immutable."""

import datetime
from importlib import import_module

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from requests_app import roles, services
from requests_app.models import PauseDecision, Publication
from tests.factories import DataRequestFactory, PauseDecisionFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLISH_URL = reverse("admin:requests_app_publication_add")
CHANGELIST = reverse("admin:requests_app_publication_changelist")
PAUSES = reverse("admin:requests_app_pausedecision_changelist")


def staff(client, username: str, *codenames: str):
    user = UserFactory(username=username)
    perms = Permission.objects.filter(
        content_type__app_label="requests_app",
        codename__in=["view_publication", "view_pausedecision", "change_pausedecision", *codenames],
    )
    user.user_permissions.set(perms)
    client.force_login(user)
    return user


@pytest.fixture
def requests_2020_h1():
    DataRequestFactory(received_on=datetime.date(2020, 3, 1))
    DataRequestFactory(received_on=datetime.date(2020, 4, 1), country="FR")


def test_publisher_publishes_a_period_from_the_admin(client, requests_2020_h1):
    publisher = staff(client, "publisher.mei", "publish_period")
    assert client.get(PUBLISH_URL).status_code == 200

    response = client.post(PUBLISH_URL, {"period": "2020-H1", "note": ""})
    publication = Publication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:requests_app_publication_change", args=[publication.pk])
    assert (publication.period, publication.version, publication.published_by) == ("2020-H1", 1, publisher)
    assert publication.rows.count() == 2

    response = client.post(PUBLISH_URL, {"period": "2020-H1", "note": ""})
    assert response.status_code == 200
    assert "Say why it is re-published" in response.text
    response = client.post(PUBLISH_URL, {"period": "2099-H1", "note": ""})
    assert "2099-H1 has not ended yet" in response.text
    response = client.post(PUBLISH_URL, {"period": "2020-H3", "note": ""})
    assert "&#x27;2020-H3&#x27; is not a period" in response.text
    assert Publication.objects.count() == 1


def test_reviewer_without_the_permission_cannot_publish(client, requests_2020_h1):
    staff(client, "reviewer.jonas")
    assert client.get(PUBLISH_URL).status_code == 403
    assert client.post(PUBLISH_URL, {"period": "2020-H1"}).status_code == 403
    services.period_publish(period="2020-H1")
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "republish_periods" not in response.text
    response = client.post(
        CHANGELIST,
        {
            "action": "republish_periods",
            "_selected_action": [Publication.objects.get().pk],
            "confirm": "yes",
            "note": "x",
        },
    )
    assert Publication.objects.count() == 1


def test_republish_action_asks_for_a_note_then_creates_new_versions(client, requests_2020_h1):
    staff(client, "publisher.mei", "publish_period")
    DataRequestFactory(received_on=datetime.date(2020, 9, 1))
    first = services.period_publish(period="2020-H1")
    services.period_publish(period="2020-H2")
    selected = [first.pk, Publication.objects.get(period="2020-H2").pk]

    response = client.post(CHANGELIST, {"action": "republish_periods", "_selected_action": selected})
    assert response.status_code == 200
    assert "2020-H1, 2020-H2" in response.text and 'name="note"' in response.text
    assert Publication.objects.count() == 2

    response = client.post(
        CHANGELIST,
        {"action": "republish_periods", "_selected_action": selected, "confirm": "yes", "note": ""},
    )
    assert "This field is required" in response.text
    response = client.post(
        CHANGELIST,
        {
            "action": "republish_periods",
            "_selected_action": selected,
            "confirm": "yes",
            "note": "Late entries.",
        },
        follow=True,
    )
    assert "Published 2020-H1 version 2." in response.text
    assert set(Publication.objects.filter(version=2).values_list("period", "note")) == {
        ("2020-H1", "Late entries."),
        ("2020-H2", "Late entries."),
    }


def test_publications_cannot_be_changed_or_deleted(admin_client, requests_2020_h1):
    publication = services.period_publish(period="2020-H1")
    change_url = reverse("admin:requests_app_publication_change", args=[publication.pk])
    response = admin_client.get(change_url)
    assert response.status_code == 200
    assert 'name="note"' not in response.text  # read-only
    admin_client.post(change_url, {"note": "tampered"})
    publication.refresh_from_db()
    assert publication.note == ""
    delete_url = reverse("admin:requests_app_publication_delete", args=[publication.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Publication.objects.filter(pk=publication.pk).exists()


def test_pause_decisions_are_published_by_an_action_of_publishers_only(client):
    draft = PauseDecisionFactory(country="BY", is_published=False, public_statement="We paused Belarus.")
    bare = PauseDecisionFactory(country="MM", is_published=False, public_statement="")
    data = {"action": "publish_decisions", "_selected_action": [draft.pk, bare.pk]}

    staff(client, "reviewer.jonas")
    response = client.get(PAUSES)
    assert "publish_decisions" not in response.text
    client.post(PAUSES, data)
    assert not PauseDecision.objects.filter(is_published=True).exists()
    # The change form cannot flip the flag either.
    change = client.get(reverse("admin:requests_app_pausedecision_change", args=[draft.pk]))
    assert 'name="is_published"' not in change.text

    client.logout()
    staff(client, "publisher.mei", "publish_pausedecision")
    response = client.post(PAUSES, data, follow=True)
    assert "1 decision(s) published." in response.text
    assert "Write the public statement before publishing" in response.text
    draft.refresh_from_db()
    bare.refresh_from_db()
    assert draft.is_published and not bare.is_published

    client.post(PAUSES, {"action": "unpublish_decisions", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_published


def test_only_the_publisher_role_holds_the_publishing_permissions():
    for role in [roles.REVIEWER, roles.PUBLISHER, roles.AUDITOR]:
        user = UserFactory(username=f"{role.lower()}-1")
        user.groups.add(Group.objects.get(name=role))
        can = role == roles.PUBLISHER
        assert user.has_perm("requests_app.publish_period") is can, role
        assert user.has_perm("requests_app.publish_pausedecision") is can, role


def test_the_role_migrations_end_at_todays_roles():
    """Migrations hold frozen copies of the roles; roles.py must not drift from where they end
    (a change to a role needs a migration that applies it)."""
    after_0005 = import_module("requests_app.migrations.0005_publisher_publishing_permissions").AFTER
    after_0006 = {role: {*codenames, "view_importrun"} for role, codenames in after_0005.items()}
    # 0016: every role reads the managed lists; Publishers keep them.
    lists = ["legalprocess", "product"]
    after_0016 = {role: codenames | {f"view_{m}" for m in lists} for role, codenames in after_0006.items()}
    after_0016[roles.PUBLISHER] |= {f"{verb}_{m}" for verb in ["add", "change", "delete"] for m in lists}
    assert after_0016 == {role: set(codenames) for role, codenames in roles.ROLE_PERMISSIONS.items()}
