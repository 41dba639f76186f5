from importlib import import_module

from django.db import migrations

from requests_app.roles import sync_roles

# The roles as they were at 0002 (frozen there) ...
BEFORE = import_module("requests_app.migrations.0002_roles").ROLES
# ... and from this migration on: Publishers publish periods and pause decisions.
AFTER = {**BEFORE, "Publisher": BEFORE["Publisher"] + ["publish_period", "publish_pausedecision"]}


def grant_publishing(apps, schema_editor):
    sync_roles(apps, AFTER)


def revoke_publishing(apps, schema_editor):
    sync_roles(apps, BEFORE)


class Migration(migrations.Migration):
    """Publishers publish report periods and pause decisions (and only they, with superusers)."""

    dependencies = [
        ("requests_app", "0004_publication_permissions_and_unknown_pause_figures"),
    ]

    operations = [migrations.RunPython(grant_publishing, revoke_publishing)]
