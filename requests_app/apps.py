from django.apps import AppConfig
from django.db.backends.signals import connection_created


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Government data requests"

    def ready(self):
        from .db import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="requests_app_sqlite_functions")
