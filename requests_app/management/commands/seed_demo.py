import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from requests_app.demo import seed_demo
from requests_app.models import DataRequest


class Command(BaseCommand):
    help = "Load the realistic demo data set (idempotent: running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiply request volumes (default 1.0; tests use 0.05)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds requests (used by `make run`).",
        )
        parser.add_argument(
            "--with-admin",
            action="store_true",
            help="Also create (or reset) the superuser 'admin' and print its new password.",
        )

    def handle(self, *args, scale, if_empty, with_admin, **options):
        if not 0 < scale <= 10:
            raise CommandError("--scale must be greater than 0 and at most 10.")
        if if_empty and DataRequest.objects.exists():
            self.stdout.write("The database already holds requests; demo not loaded.")
            return
        summary = seed_demo(scale=scale)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {summary.requests_created} new requests, "
                f"{summary.authorities} authorities, {summary.pauses} pause decisions, "
                f"{summary.periods_published} periods published."
            )
        )
        if with_admin:
            password = secrets.token_urlsafe(12)
            User = get_user_model()
            user, _ = User.objects.get_or_create(username="admin", defaults={"email": "admin@example.org"})
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            self.stdout.write(f"Superuser 'admin' password: {password}")
