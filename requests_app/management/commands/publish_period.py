from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from requests_app.services import period_publish


class Command(BaseCommand):
    help = (
        "Publish a report period: snapshot its figures per country and request type as the next "
        "version (e.g. `publish_period 2020-H2 --note 'Corrected Hong Kong emergency requests'`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", help="Half-year label, e.g. 2020-H2.")
        parser.add_argument(
            "--note", default="", help="Public changelog note; required when the period is already published."
        )
        parser.add_argument("--by", metavar="USERNAME", help="Record this user as the publisher.")

    def handle(self, *args, period, note, by, **options):
        user = None
        if by:
            try:
                user = get_user_model().objects.get(username=by)
            except get_user_model().DoesNotExist as error:
                raise CommandError(f"No user named '{by}'.") from error
        try:
            publication = period_publish(period=period, note=note, actor=user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        rows = publication.rows.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Published {publication.period} version {publication.version}: {rows} figure rows "
                f"(country × request type)."
            )
        )
