"""The Vietnamese catalogues agree with one another.

Gettext keeps one translation per message for the whole platform, and the main catalogue
(``src/tinhso/locale``) wins over the app catalogues. A message that two catalogues translate
differently therefore shows the main catalogue's wording on the app's pages too.
"""

from __future__ import annotations

from pathlib import Path

import polib

import tinhso

SOURCE = Path(tinhso.__file__).parent
MAIN_CATALOGUE = SOURCE / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def translations(path: Path) -> dict[str, str]:
    return {entry.msgid: entry.msgstr for entry in polib.pofile(str(path)) if entry.msgstr}


def app_catalogues() -> list[Path]:
    return [
        path
        for path in sorted(SOURCE.glob("**/locale/vi/LC_MESSAGES/django.po"))
        if path != MAIN_CATALOGUE
    ]


def test_app_catalogues_exist() -> None:
    assert app_catalogues()


def test_shared_messages_translate_alike() -> None:
    main = translations(MAIN_CATALOGUE)
    conflicts = [
        f"{path.relative_to(SOURCE)}: {msgid!r} is {text!r} there, {main[msgid]!r} in the main catalogue"
        for path in app_catalogues()
        for msgid, text in translations(path).items()
        if msgid in main and main[msgid] != text
    ]

    assert conflicts == []


def test_main_catalogue_complete() -> None:
    catalogue = polib.pofile(str(MAIN_CATALOGUE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []
