"""The desk's roles, least privilege. Data migrations call ``sync_roles`` to create the groups.

Reviewer: logs and decides requests; reads pause decisions and publications.
Publisher: a reviewer who also records pause decisions and publishes periods and decisions.
Auditor: reads everything, history included; changes nothing.
"""

REVIEWER = "Reviewer"
PUBLISHER = "Publisher"
AUDITOR = "Auditor"

_READ_ALL = [
    "view_authority",
    "view_datarequest",
    "view_pausedecision",
    "view_publication",
    "view_figurerow",
]
_REVIEWER = _READ_ALL + [
    "add_authority",
    "change_authority",
    "add_datarequest",
    "change_datarequest",
]
_PUBLISHER = _REVIEWER + ["add_pausedecision", "change_pausedecision"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    REVIEWER: _REVIEWER,
    PUBLISHER: _PUBLISHER,
    AUDITOR: _READ_ALL,
}

# Custom permissions that exist from migration 0004 on (Meta.permissions of Publication and
# PauseDecision): publishing a period and publishing/withdrawing a pause decision. Migrations
# from 0005 on pass them to sync_roles as ``extra`` (an earlier migration's models lack them).
PUBLISHING_PERMISSIONS: dict[str, list[str]] = {
    PUBLISHER: ["publish_period", "publish_pausedecision"],
}

# From migration 0006 on: every role reads the audit record of CSV imports.
IMPORT_PERMISSIONS: dict[str, list[str]] = {
    role: ["view_importrun"] for role in (REVIEWER, PUBLISHER, AUDITOR)
}


def current_extra_permissions() -> dict[str, list[str]]:
    """Everything granted after migration 0002, for code that syncs the roles of today's models."""
    merged: dict[str, list[str]] = {}
    for extra in (PUBLISHING_PERMISSIONS, IMPORT_PERMISSIONS):
        for role, codenames in extra.items():
            merged.setdefault(role, []).extend(codenames)
    return merged


def sync_roles(apps, schema_editor=None, extra: dict[str, list[str]] | None = None) -> None:
    """Create the groups and set exactly their permissions (codenames of this app)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True  # historical app configs have none
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    roles = {name: list(codenames) for name, codenames in ROLE_PERMISSIONS.items()}
    for name, codenames in (extra or {}).items():
        roles[name] += codenames
    for name, codenames in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = list(
            Permission.objects.filter(content_type__app_label="requests_app", codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in permissions}
        if missing:
            raise RuntimeError(f"Role {name}: unknown permissions {sorted(missing)}")
        group.permissions.set(permissions)


def ensure_roles() -> None:
    """Recreate the groups on a database emptied after migrating (``flush``, transactional tests)."""
    from django.apps import apps

    sync_roles(apps, extra=current_extra_permissions())
