from django.core.management.base import BaseCommand

from requests_app.services import pauses_apply_due


class Command(BaseCommand):
    help = "Hold or release requests for pause decisions that took effect or ended by today (run daily)."

    def handle(self, *args, **options):
        change = pauses_apply_due()
        self.stdout.write(f"{change.to_hold} request(s) put on hold, {change.to_release} released to review.")
