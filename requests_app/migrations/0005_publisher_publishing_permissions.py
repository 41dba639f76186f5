from django.db import migrations

from requests_app.roles import PUBLISHING_PERMISSIONS, sync_roles


def grant_publishing(apps, schema_editor):
    sync_roles(apps, schema_editor, extra=PUBLISHING_PERMISSIONS)


def revoke_publishing(apps, schema_editor):
    sync_roles(apps, schema_editor)


class Migration(migrations.Migration):
    """Publishers publish report periods and pause decisions (and only they, with superusers)."""

    dependencies = [
        ("requests_app", "0004_publication_permissions_and_unknown_pause_figures"),
    ]

    operations = [migrations.RunPython(grant_publishing, revoke_publishing)]
