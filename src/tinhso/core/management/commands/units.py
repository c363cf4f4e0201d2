"""``tinhso units``: load reference units, import the conversion table, show a unit's history."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.core.management.base import PlatformCommand
from tinhso.core.models import UnitLink
from tinhso.core.services import units as unit_service
from tinhso.core.services.conversion import import_conversion
from tinhso.core.services.history import apply_transfers
from tinhso.core.services.reference import load_reference_units


class Command(PlatformCommand):
    help = "Administrative units: load-reference, import-conversion FILE, show CODE."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "load-reference", help="Load the built-in units before and after 1 July 2025."
        )
        conversion = actions.add_parser(
            "import-conversion",
            help="Import the official old-to-new conversion table (CSV or XLSX).",
        )
        conversion.add_argument("file", type=Path)
        show = actions.add_parser("show", help="Print a unit with its predecessors and successors.")
        show.add_argument("code")
        show.add_argument(
            "--date", type=dt.date.fromisoformat, help="Date the unit was valid on (YYYY-MM-DD)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "load-reference":
            result = load_reference_units()
            self.stdout.write(
                _("Reference data %(source)s: %(units)s units and %(links)s links created.")
                % {
                    "source": result.source,
                    "units": result.units_created,
                    "links": result.links_created,
                }
            )
            transfers = apply_transfers()
            if transfers:
                self.stdout.write(
                    _("Earlier boundary changes recorded: %(count)s.") % {"count": transfers}
                )
        elif action == "import-conversion":
            try:
                report = import_conversion(options["file"])
            except ImportFileError as error:
                raise CommandError(error.message) from error
            self.print_report(report)
            if report.rows_accepted == 0 and report.rejected:
                raise CommandError(_("No row was imported."))
        elif action == "show":
            self._show(options["code"], options["date"])

    def _show(self, code: str, date: dt.date | None) -> None:
        unit = unit_service.find_unit(code, date)
        valid_from = unit.valid_from.isoformat() if unit.valid_from else "…"
        valid_to = unit.valid_to.isoformat() if unit.valid_to else "…"
        self.stdout.write(
            f"{unit.code} {unit.name} [{unit.get_type_display()}] {valid_from} – {valid_to}"
        )
        for link in unit_service.predecessors(unit):
            self.stdout.write(
                f"  ← {link.predecessor.code} {link.predecessor.name} {self._describe(link)}"
            )
        for link in unit_service.successors(unit):
            self.stdout.write(
                f"  → {link.successor.code} {link.successor.name} {self._describe(link)}"
            )

    @staticmethod
    def _describe(link: UnitLink) -> str:
        kind = str(link.get_kind_display())
        return _("%(kind)s (partly)") % {"kind": kind} if link.partly else kind
