"""The translation catalogue (locale/): up to date with the code, complete, compiled.

`make test` installs Debian's gettext first (makemessages runs xgettext and msgmerge); without it
the first test fails and says how to get it. docs/translation.md: how to update the catalogue.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
# What makemessages reads (the rest of the tree marks nothing; see its override in
# requests_app/management/commands/makemessages.py).
SOURCES = ["manage.py", "requests_app", "templates", "transparency", "locale"]
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdif%]")


def catalogues() -> list[Path]:
    return sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po"))


def without_creation_date(text: str) -> str:
    return re.sub(r'^"POT-Creation-Date: .*\\n"\n', "", text, flags=re.M)


def test_every_language_but_english_has_a_catalogue():
    codes = {translation.to_locale(code) for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE}
    assert {path.parent.parent.name for path in catalogues()} == codes


def test_the_catalogue_is_up_to_date_with_the_code(tmp_path):
    """makemessages on a copy of the sources changes nothing but the creation date: no marked
    string is missing from the catalogue, and none that is gone is still in it."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        pytest.fail("gettext is not installed (xgettext, msgmerge): `make gettext` installs Debian's.")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "transparency.settings"},
    )
    for committed in catalogues():
        fresh = tmp_path / committed.relative_to(ROOT)
        assert without_creation_date(fresh.read_text()) == without_creation_date(committed.read_text()), (
            f"{committed.relative_to(ROOT)} is stale: run `make messages`, translate what is new, "
            "and `make messages` again (docs/translation.md)."
        )


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: p.parent.parent.name)
def test_every_entry_is_translated_and_none_is_fuzzy_or_obsolete(path):
    catalogue = polib.pofile(str(path))
    assert not catalogue.metadata_is_fuzzy  # msgfmt would drop the header, and Plural-Forms with it
    assert catalogue.untranslated_entries() == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.obsolete_entries()] == []
    assert catalogue.percent_translated() == 100


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: p.parent.parent.name)
def test_every_translation_keeps_the_placeholders_of_its_source(path):
    """A %(name)s lost or renamed would raise (or show a raw placeholder) on the page."""
    wrong = []
    for entry in polib.pofile(str(path)):
        sources = [entry.msgid, *([entry.msgid_plural] if entry.msgid_plural else [])]
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        expected = sorted(set(PLACEHOLDER.findall(sources[-1])) - {""})
        for text in translations:
            if sorted(set(PLACEHOLDER.findall(text)) - {""}) != expected:
                wrong.append((entry.msgid[:60], text[:60]))
    assert wrong == []


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: p.parent.parent.name)
def test_the_compiled_catalogue_is_the_catalogue(path):
    """The committed .mo (what Django reads) holds exactly the .po's translations: `make
    messages` compiles it."""
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    source = polib.pofile(str(path))

    def entries(catalogue):
        return {
            (entry.msgctxt, entry.msgid): (entry.msgstr, dict(sorted(entry.msgstr_plural.items())))
            for entry in catalogue
            if entry.msgid
        }

    assert entries(compiled) == entries(source), "run `make messages` to compile the .mo"
    plural_forms = compiled.metadata.get("Plural-Forms", "")
    assert plural_forms == source.metadata["Plural-Forms"] and plural_forms


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: p.parent.parent.name)
def test_msgfmt_accepts_the_catalogue(path, tmp_path):
    """msgfmt's own checks: formats of python-format entries, the header, plural forms."""
    if not shutil.which("msgfmt"):
        pytest.fail("gettext is not installed (msgfmt): `make gettext` installs Debian's.")
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
