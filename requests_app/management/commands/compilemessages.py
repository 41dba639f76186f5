"""Django's compilemessages, never walking into a virtual environment: it compiles every
``locale`` directory under the current one, and a ``.venv`` holds Django's own."""

from django.core.management.commands import compilemessages

IGNORED = [".venv", "venv", "staticfiles"]


class Command(compilemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*(options.get("ignore_patterns") or []), *IGNORED]
        return super().handle(*args, **options)
