"""``tinhso compiletranslations``: build .mo files from the .po catalogues without GNU gettext."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compile the platform's .po translation catalogues to .mo (pure Python, no msgfmt needed)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for locale_dir in catalogue_dirs():
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                compiled += 1
        self.stdout.write(f"Compiled {compiled} translation catalogue(s).")


def catalogue_dirs() -> list[Path]:
    """Return the project catalogue and each platform app's own ``locale`` folder, as Django reads them."""
    dirs = [Path(path) for path in settings.LOCALE_PATHS]
    package_dir = Path(settings.PACKAGE_DIR)
    for app_config in apps.get_app_configs():
        app_dir = Path(app_config.path)
        if app_dir.is_relative_to(package_dir) and (app_dir / "locale").is_dir():
            dirs.append(app_dir / "locale")
    return dirs
