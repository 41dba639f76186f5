from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Government data requests"

    def ready(self):
        from .db import register_sqlite_functions
        from .public_state import install_after_migrate

        connection_created.connect(register_sqlite_functions, dispatch_uid="requests_app_sqlite_functions")
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="requests_app_public_state")
