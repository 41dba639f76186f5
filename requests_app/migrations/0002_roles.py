from django.db import migrations

from requests_app.roles import sync_roles

# The roles as they were at this migration, frozen: later changes come with later migrations.
_READ_ALL = ["view_authority", "view_datarequest", "view_pausedecision", "view_publication", "view_figurerow"]
_REVIEWER = _READ_ALL + ["add_authority", "change_authority", "add_datarequest", "change_datarequest"]
ROLES = {
    "Reviewer": _REVIEWER,
    "Publisher": _REVIEWER + ["add_pausedecision", "change_pausedecision"],
    "Auditor": _READ_ALL,
}


def create_roles(apps, schema_editor):
    sync_roles(apps, ROLES)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
