from django.core.management.base import BaseCommand
from django.db import connection

from requests_app import public_state


class Command(BaseCommand):
    help = (
        "Make every app server render the public pages afresh (a new public-state token). Needed "
        "only after writes that bypass database triggers, e.g. a restore with triggers disabled."
    )

    def handle(self, *args, **options):
        public_state.install(connection)  # puts back triggers a restore left out, and bumps
        self.stdout.write("Public pages will be rendered afresh on their next request.")
