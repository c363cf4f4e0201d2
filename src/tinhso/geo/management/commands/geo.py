"""``tinhso geo``: import boundaries onto units, import files into map layers, list layers."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db.models import Count
from django.utils.translation import gettext as _

from tinhso.core.errors import ImportFileError
from tinhso.core.management.base import PlatformCommand
from tinhso.core.models import UnitLevel
from tinhso.geo import crs as crs_module
from tinhso.geo.boundaries import BoundaryImportOptions, import_boundaries
from tinhso.geo.imports.service import (
    LayerImportOptions,
    crs_source_label,
    import_layer,
    import_osm,
)
from tinhso.geo.models import Layer

LEVELS = {
    "province": UnitLevel.PROVINCE,
    "district": UnitLevel.DISTRICT,
    "commune": UnitLevel.COMMUNE,
}


class Command(PlatformCommand):
    help = "Digital map: import-boundaries FILE, import-layer FILE --layer SLUG, layers."

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

        self._add_import_layer(actions)
        actions.add_parser("layers", help="List the map layers with their feature counts.")

    def _add_import_layer(self, actions: Any) -> None:
        parser = actions.add_parser(
            "import-layer",
            help=(
                "Import features into a map layer from GeoJSON, zipped Shapefile, GeoPackage, "
                "KML, CSV, DXF, DGN or OpenStreetMap PBF."
            ),
        )
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--layer",
            help=(
                "Slug of the target layer (see 'tinhso geo layers'). An .osm.pbf file without "
                "--layer fills the four OSM base layers."
            ),
        )
        parser.add_argument(
            "--crs",
            help=(
                "CRS of the coordinates, e.g. EPSG:5897 (VN-2000 TM-3 Vĩnh Phúc); required to "
                "confirm the suggestion when the file declares none."
            ),
        )
        parser.add_argument(
            "--layer-name", help="Layer inside the file (GeoPackage or zip with several)."
        )
        parser.add_argument(
            "--map",
            nargs="+",
            default=[],
            metavar="COLUMN=ATTRIBUTE",
            help="Rename file columns to schema attributes; COLUMN=- drops a column.",
        )
        parser.add_argument(
            "--id-field",
            help="Column that identifies a feature, so importing the file again updates it.",
        )
        parser.add_argument(
            "--bbox",
            type=parse_bbox,
            help="Keep only features within min_lon,min_lat,max_lon,max_lat (WGS 84 degrees).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import-layer":
            self._import_layer(options)
            return
        if options["action"] == "layers":
            self._list_layers()
            return
        self._import_boundaries(options)

    def _list_layers(self) -> None:
        layers = Layer.objects.annotate(feature_count=Count("features")).order_by(
            "sort_order", "slug"
        )
        for layer in layers:
            self.stdout.write(
                f"{layer.slug:<28} {layer.geometry_type:<10} {layer.feature_count:>8}  "
                f"{layer.legal_crs:<10} {layer.name}"
            )

    def _import_layer(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        import_options = LayerImportOptions(
            crs=options["crs"],
            layer_name=options["layer_name"],
            field_map=parse_field_map(options["map"]),
            id_field=options["id_field"],
            bbox=options["bbox"],
        )
        is_osm = path.name.lower().endswith(".pbf")
        if not options["layer"] and not is_osm:
            raise CommandError(
                _("Name the target layer with --layer SLUG; 'tinhso geo layers' lists them.")
            )
        if is_osm and not options["layer"]:
            report = import_osm(path, import_options, progress=self._progress)
        else:
            try:
                layer = Layer.objects.get(slug=options["layer"])
            except Layer.DoesNotExist:
                raise CommandError(
                    _("No map layer has the slug %(slug)s; 'tinhso geo layers' lists them.")
                    % {"slug": options["layer"]}
                ) from None
            report = import_layer(path, layer, import_options, progress=self._progress)
        self.print_report(report)
        self._print_summary(report.summary)
        if report.rows_total and report.rows_accepted == 0:
            raise CommandError(_("No feature was imported."))

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(
            _("  %(done)s/%(total)s features checked") % {"done": done, "total": total}
        )

    def _print_summary(self, summary: dict[str, Any]) -> None:
        self.stdout.write(
            _(
                "New %(created)s, updated %(updated)s, unchanged %(unchanged)s, repaired "
                "%(repaired)s, quarantined %(quarantined)s, outside the bounding box %(outside)s."
            )
            % {
                "created": summary.get("created", 0),
                "updated": summary.get("updated", 0),
                "unchanged": summary.get("unchanged", 0),
                "repaired": summary.get("repaired", 0),
                "quarantined": summary.get("quarantined", 0),
                "outside": summary.get("outside_bbox", 0),
            }
        )
        self.stdout.write(
            _("CRS %(crs)s (%(how)s), operation %(operation)s; text encoding %(encoding)s.")
            % {
                "crs": summary.get("crs", "-"),
                "how": crs_source_label(summary.get("crs_source", "")),
                "operation": " + ".join(summary.get("crs_operation", [])) or "-",
                "encoding": summary.get("encoding", "-"),
            }
        )
        for note in summary.get("notes", []):
            self.stdout.write(f"  {note}")

    def _import_boundaries(self, options: dict[str, Any]) -> None:
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


def parse_field_map(pairs: list[str]) -> dict[str, str]:
    """Parse ``column=attribute`` pairs; raise CommandError on a pair without "="."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, attribute = pair.partition("=")
        if not sep or not column.strip():
            raise CommandError(
                _("--map takes COLUMN=ATTRIBUTE pairs (COLUMN=- drops a column), not %(pair)s.")
                % {"pair": pair}
            )
        mapping[column.strip()] = attribute.strip()
    return mapping


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """Parse ``min_lon,min_lat,max_lon,max_lat`` in WGS 84 degrees."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or values[0] >= values[2] or values[1] >= values[3]:
        raise argparse.ArgumentTypeError(
            _(
                "--bbox takes min_lon,min_lat,max_lon,max_lat in degrees, e.g. 105.3,21.1,105.8,21.6; got %(text)s."
            )
            % {"text": text}
        )
    return values[0], values[1], values[2], values[3]
