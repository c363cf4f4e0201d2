"""``tinhso setup``: everything a fresh installation needs before ``tinhso serve``."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management import call_command

from tinhso.core.management.base import PlatformCommand


class Command(PlatformCommand):
    help = "Migrate the database, compile translations, collect static files and load the reference units."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--skip-static", action="store_true", help="Do not run collectstatic.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("compiletranslations", stdout=self.stdout)
        call_command("migrate", interactive=False, verbosity=0)
        if not options["skip_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        call_command("units", "load-reference", stdout=self.stdout)
        # A first run shows the province: the built-in sample loads into an empty database.
        call_command("demo", "sample", "--if-empty", stdout=self.stdout)
