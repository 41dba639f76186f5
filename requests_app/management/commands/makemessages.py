"""Django's makemessages with this project's choices, so that `manage.py makemessages` is the
whole command (docs/translation.md; `make messages` runs it, tests/test_translations.py checks
the catalogue against it):

* every language of settings.LANGUAGES that has a catalogue (``--all``) unless one is named;
* locations by file only (``--add-location=file``): line numbers would change the catalogue
  with every edit above a marked string;
* the tests, benchmarks, tools and virtual environments are not scanned (they mark nothing).
"""

from django.core.management.commands import makemessages

IGNORED = ["tests/*", "bench/*", "tools/*", "staticfiles/*", ".venv/*", "venv/*"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*(options.get("ignore_patterns") or []), *IGNORED]
        options["add_location"] = options.get("add_location") or "file"
        if not (options.get("locale") or options.get("exclude") or options.get("all")):
            options["all"] = True
        return super().handle(*args, **options)
