import secrets

from django.conf import settings
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
        parser.add_argument(
            "--dev-admin",
            action="store_true",
            help="Development only (refused with DEBUG=0): create the superuser 'admin' if no "
            "superuser exists and print how to log in (used by `make run`).",
        )

    def handle(self, *args, scale, if_empty, with_admin, dev_admin, **options):
        if not 0 < scale <= 10:
            raise CommandError("--scale must be greater than 0 and at most 10.")
        if dev_admin:
            self._dev_admin()
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
            self.stdout.write(f"Superuser 'admin' password: {_reset_admin()}")

    def _dev_admin(self) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "--dev-admin is for development only; with DEBUG=0 create users with createsuperuser."
            )
        if get_user_model().objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "Desk: log in at /admin/ as your superuser "
                "(`manage.py seed_demo --with-admin` sets a new password for 'admin')."
            )
            return
        password = _reset_admin()
        message = f"Desk: log in at /admin/ as 'admin' with the password {password}"
        self.stdout.write(self.style.SUCCESS(message))


def _reset_admin() -> str:
    """Create or reset the superuser 'admin'; returns its new password."""
    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"email": "admin@example.org"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return password
