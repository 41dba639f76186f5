from django.apps import AppConfig
from django.core.signals import request_started
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_migrate, post_save


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Government data requests"

    def ready(self):
        from . import jurisdictions
        from .db import register_sqlite_functions
        from .models import InternationalBody
        from .public_state import install_after_migrate

        connection_created.connect(register_sqlite_functions, dispatch_uid="requests_app_sqlite_functions")
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="requests_app_public_state")
        # Each request reads the international bodies afresh (another process may have added
        # one); this process forgets them as soon as it changes one.
        request_started.connect(jurisdictions.forget, dispatch_uid="requests_app_jurisdictions")
        for signal in (post_save, post_delete):
            signal.connect(jurisdictions.forget, sender=InternationalBody, dispatch_uid="requests_app_bodies")
