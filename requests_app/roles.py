"""The desk's roles, least privilege. Data migrations call ``sync_roles`` to set the groups.

Reviewer: logs and decides requests; reads pause decisions and publications.
Publisher: a reviewer who also records pause decisions, publishes periods and decisions, keeps
the managed lists (legal processes, products) and adds the international bodies requests may
come from.
Auditor: reads everything, history included; changes nothing.
National security reviewer: the only role that sees national-security requests at all (together
with a desk role: it grants nothing else).
"""

REVIEWER = "Reviewer"
PUBLISHER = "Publisher"
AUDITOR = "Auditor"
NATIONAL_SECURITY_REVIEWER = "National security reviewer"

_READ_ALL = [
    "view_authority",
    "view_datarequest",
    "view_pausedecision",
    "view_publication",
    "view_figurerow",
    "view_importrun",
    "view_legalprocess",
    "view_product",
    "view_internationalbody",
]
_REVIEWER = _READ_ALL + [
    "add_authority",
    "change_authority",
    "add_datarequest",
    "change_datarequest",
]
_PUBLISHER = _REVIEWER + [
    "add_pausedecision",
    "change_pausedecision",
    "publish_period",
    "publish_pausedecision",
    # the managed lists figures are broken down by, and the international bodies
    "add_legalprocess",
    "change_legalprocess",
    "delete_legalprocess",
    "add_product",
    "change_product",
    "delete_product",
    "add_internationalbody",
    "change_internationalbody",
    "delete_internationalbody",
]

# Today's roles. Data migrations hold their own frozen copy of the roles of their time (0002,
# 0005, 0006, 0016): a change here takes a new migration that calls sync_roles with the new table.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    REVIEWER: _REVIEWER,
    PUBLISHER: _PUBLISHER,
    AUDITOR: _READ_ALL,
    NATIONAL_SECURITY_REVIEWER: [
        "handle_national_security",
        "view_nationalsecurityrequest",
        "add_nationalsecurityrequest",
        "change_nationalsecurityrequest",
        "view_nationalsecuritycategory",
        "add_nationalsecuritycategory",
        "change_nationalsecuritycategory",
    ],
}


def sync_roles(apps, roles: dict[str, list[str]]) -> None:
    """Create the groups and set exactly their permissions (codenames of this app).

    Data migrations call this with their own table of roles: keep its behaviour stable."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True  # historical app configs have none
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
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

    sync_roles(apps, ROLE_PERMISSIONS)
