"""``tinhso geo``: import boundaries onto administrative units."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.core.management.base import PlatformCommand
from tinhso.core.models import UnitLevel
from tinhso.geo import crs as crs_module
from tinhso.geo.boundaries import BoundaryImportOptions, import_boundaries

LEVELS = {
    "province": UnitLevel.PROVINCE,
    "district": UnitLevel.DISTRICT,
    "commune": UnitLevel.COMMUNE,
}


class Command(PlatformCommand):
    help = "Digital map: import-boundaries FILE."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        boundaries = actions.add_parser(
            "import-boundaries",
            help="Attach boundaries (GeoJSON, zipped Shapefile, GeoPackage) to units by code.",
        )
        boundaries.add_argument("file", type=Path)
        boundaries.add_argument(
            "--crs", help="CRS of a file that declares none, e.g. EPSG:9208 (VN-2000 TM-3 Phú Thọ)."
        )
        boundaries.add_argument(
            "--code-field",
            help="Attribute that holds the unit code (found automatically if omitted).",
        )
        boundaries.add_argument(
            "--level", choices=sorted(LEVELS), help="Level of the units in the file."
        )
        boundaries.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            help="Match units valid on this date (YYYY-MM-DD; default today).",
        )
        boundaries.add_argument(
            "--area-crs",
            default=crs_module.TM3_PHU_THO,
            help="Projected CRS for legal areas (default EPSG:9208).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        import_options = BoundaryImportOptions(
            crs=options["crs"],
            code_field=options["code_field"],
            level=LEVELS[options["level"]] if options["level"] else None,
            date=options["date"],
            area_crs=options["area_crs"],
        )

        def progress(done: int, total: int) -> None:
            self.stdout.write(
                _("  %(done)s/%(total)s features checked") % {"done": done, "total": total}
            )

        try:
            report = import_boundaries(path, import_options, progress=progress)
        except ImportFileError as error:
            raise CommandError(error.message) from error
        self.print_report(report)
        if report.rows_accepted == 0:
            raise CommandError(_("No boundary was imported."))
