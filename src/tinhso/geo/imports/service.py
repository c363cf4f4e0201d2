"""Importing a file into a map layer: CRS, attributes, repairs, quarantine, one transaction.

:func:`import_layer` reads a file (see :mod:`tinhso.geo.imports.readers`), chooses its CRS,
checks every feature on its own and stores the good ones in one transaction. A feature
whose geometry was repaired is stored with a warning. A feature that cannot be stored goes
to quarantine with the reason and the fix, and the others are still stored.
:func:`import_osm` does the same for an OpenStreetMap extract into the four base layers.

The CRS comes from the user (``--crs``), from the file, or from the coordinates when they
are longitude/latitude inside Vietnam. Metric coordinates without a declared CRS only get a
suggestion (:class:`CrsConfirmationRequired`), because the province's VN-2000 TM-3 zones
cover the same range of numbers.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import shapely
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from tinhso.core import audit
from tinhso.core.errors import ImportFileError
from tinhso.core.models import AuditAction
from tinhso.geo import builtin
from tinhso.geo import crs as crs_module
from tinhso.geo.editing.export import MAPPING_FILE
from tinhso.geo.imports import readers
from tinhso.geo.imports.geometry import fit_geometry, has_finite_coordinates
from tinhso.geo.models import Layer, MapFeature
from tinhso.geo.services.features import FeatureError, prepare_feature, touch_layer
from tinhso.geo.services.schema import clean_properties
from tinhso.geo.storage import round_coordinates
from tinhso.ingest.report import ImportReport, RowProblem, finish_batch, start_batch

logger = logging.getLogger(__name__)

KIND = "geo.layer"
OSM_KIND = "geo.osm"
ProgressCallback = Callable[[int, int], None]
BBox = tuple[float, float, float, float]
PROGRESS_EVERY = 200
# Column names that mean "drop this column" in a field mapping (--map column=-).
DROP = {"", "-"}

OSM_LAYERS = {
    readers.OSM_ROADS: builtin.OSM_ROADS,
    readers.OSM_WATERWAYS: builtin.OSM_WATERWAYS,
    readers.OSM_PLACES: builtin.OSM_PLACES,
    readers.OSM_POIS: builtin.OSM_POIS,
}


@dataclass(frozen=True)
class LayerImportOptions:
    """Choices the user gave the importer; every field may be left empty.

    ``field_map`` maps file columns to schema names ("-" drops a column). ``id_field`` names
    the column that identifies a feature across imports, so a repeated import updates it.
    ``bbox`` (WGS 84 min lon, min lat, max lon, max lat) keeps only features that touch it.
    """

    crs: str | None = None
    layer_name: str | None = None
    field_map: dict[str, str] = field(default_factory=dict)
    id_field: str | None = None
    bbox: BBox | None = None
    user: Any = None


class CrsConfirmationRequired(ImportFileError):
    """A file without a CRS whose coordinates only suggest one; ``suggested`` is that CRS."""

    def __init__(self, message: str, suggested: str | None) -> None:
        super().__init__(message, "crs_confirmation_required")
        self.suggested = suggested


@dataclass
class _Prepared:
    """Features checked and ready to write, and the counts of what happens to them."""

    new: list[MapFeature] = field(default_factory=list)
    changed: list[MapFeature] = field(default_factory=list)
    unchanged: int = 0
    repaired: int = 0
    reoriented: int = 0
    outside_bbox: int = 0


# --- entry points ----------------------------------------------------------------------------


def import_layer(
    path: Path,
    layer: Layer,
    options: LayerImportOptions | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import the features of ``path`` into ``layer``; return the report.

    Raises ImportFileError when the file as a whole cannot be imported (unreadable, several
    layers and none chosen, a CRS to confirm, columns a strict layer does not accept).
    """
    options = options or LayerImportOptions()
    if _is_osm(path):
        return import_osm(path, options, progress, only={layer.slug})
    report = ImportReport(kind=KIND, source_name=str(path))
    report.summary["layer"] = layer.slug
    batch = start_batch(KIND, str(path))
    try:
        data = _read(path, options)
        report.rows_total = len(data.records)
        _describe_source(report, data)
        options = _with_export_names(path, data.columns, options, report)
        check_columns(layer, data.columns, options)
        _warn_unknown_columns(layer, data.columns, options, report)
        source_crs = choose_crs(data, layer, options, report)
    except ImportFileError as error:
        finish_batch(batch, report, message=error.message, file_error=True)
        raise

    prepared = _prepare(data.records, layer, source_crs, options, report, progress, batch)
    stored = False
    try:
        with transaction.atomic():
            _write(layer, prepared)
            _audit(layer, path, prepared, batch)
        stored = True
    finally:
        _summarise(report, prepared, stored)
        finish_batch(batch, report)
    if progress:
        progress(report.rows_total, report.rows_total)
    logger.info(
        "Imported %s into layer %s: %s new, %s updated, %s rejected",
        path.name,
        layer.slug,
        len(prepared.new),
        len(prepared.changed),
        report.rejected_rows,
    )
    return report


def import_osm(
    path: Path,
    options: LayerImportOptions | None = None,
    progress: ProgressCallback | None = None,
    only: set[str] | None = None,
) -> ImportReport:
    """Import an OpenStreetMap extract into the four OSM base layers (or the ``only`` ones).

    Features are identified by their OSM id, so importing a newer extract updates them.
    """
    # NOTE: an object deleted from OpenStreetMap stays in its layer after a newer extract
    # is imported. Only objects present in the extract are added or updated.
    options = options or LayerImportOptions()
    report = ImportReport(kind=OSM_KIND, source_name=str(path))
    batch = start_batch(OSM_KIND, str(path))
    targets = {category: slug for category, slug in OSM_LAYERS.items() if not only or slug in only}
    try:
        if not targets:
            raise ImportFileError(
                _(
                    "An OpenStreetMap file is imported into the layers %(layers)s; choose one of "
                    "them or leave the layer out."
                )
                % {"layers": ", ".join(OSM_LAYERS.values())},
                "wrong_layer",
            )
        data = readers.read_osm(path, options.bbox)
    except readers.ReadError as error:
        file_error = _file_error(error)
        finish_batch(batch, report, message=file_error.message, file_error=True)
        raise file_error from None
    except ImportFileError as error:
        finish_batch(batch, report, message=error.message, file_error=True)
        raise

    layers = {category: Layer.objects.get(slug=slug) for category, slug in targets.items()}
    report.rows_total = sum(len(data.records[category]) for category in targets)
    report.summary.update(
        {
            "format": "OSM",
            "crs": crs_module.WGS84,
            "crs_source": "declared",
            "encoding": "utf-8",
            "layer": ", ".join(targets.values()),
            "objects_read": data.read,
        }
    )
    prepared: dict[str, _Prepared] = {}
    done = 0
    for category, layer in layers.items():
        records = data.records[category]

        def offset_progress(count: int, _total: int, start: int = done) -> None:
            if progress:
                progress(start + count, report.rows_total)

        prepared[category] = _prepare(
            records, layer, crs_module.WGS84, options, report, offset_progress, batch
        )
        done += len(records)
    stored = False
    try:
        with transaction.atomic():
            for category, layer in layers.items():
                _write(layer, prepared[category])
                _audit(layer, path, prepared[category], batch)
        stored = True
    finally:
        total = _Prepared()
        for category, part in prepared.items():
            report.summary.setdefault("layers_written", {})[layers[category].slug] = {
                "created": len(part.new),
                "updated": len(part.changed),
                "unchanged": part.unchanged,
            }
            total.new += part.new
            total.changed += part.changed
            total.unchanged += part.unchanged
            total.repaired += part.repaired
            total.outside_bbox += part.outside_bbox
            total.reoriented += part.reoriented
        _summarise(report, total, stored)
        finish_batch(batch, report)
    if progress:
        progress(report.rows_total, report.rows_total)
    return report


def inspect_file(path: Path, layer: Layer, options: LayerImportOptions) -> dict[str, Any]:
    """Read ``path`` without storing anything and return what the confirmation page shows.

    The result has the format, the layers in the file, the feature count, the encoding, the
    declared CRS and, when the file declares none, the suggested CRS and whether the user
    must confirm it. Raises ImportFileError when the file cannot be read.
    """
    # NOTE: this reads the whole file, and the import reads it again; a file of several
    # hundred megabytes is better imported with the command line.
    if _is_osm(path):
        return {
            "format": "OSM",
            "features": None,
            "declared_crs": crs_module.WGS84,
            "crs": crs_module.WGS84,
            "needs_crs": False,
            "needs_layer": False,
            "layers": [],
        }
    try:
        data = readers.read_file(path, options.layer_name)
    except readers.ReadError as error:
        if error.code != "choose_layer":
            raise _file_error(error) from None
        return {
            "format": "",
            "layers": list(error.params["layers"]),
            "needs_layer": True,
            "needs_crs": False,
        }
    report = ImportReport(kind=KIND, source_name=str(path))
    result: dict[str, Any] = {
        "format": data.format,
        "layers": data.layers,
        "needs_layer": False,
        "features": len(data.records),
        "encoding": data.encoding,
        "columns": data.columns,
        "declared_crs": data.declared_crs or "",
    }
    try:
        result["crs"] = choose_crs(data, layer, options, report)
        result["needs_crs"] = False
        result["suggested_crs"] = result["crs"]
    except CrsConfirmationRequired as error:
        result["needs_crs"] = True
        result["suggested_crs"] = error.suggested or ""
        result["message"] = error.message
    return result


# --- reading and checking the file -----------------------------------------------------------


def _is_osm(path: Path) -> bool:
    return path.name.lower().endswith(".pbf")


def _read(path: Path, options: LayerImportOptions) -> readers.SourceData:
    try:
        return readers.read_file(path, options.layer_name)
    except readers.ReadError as error:
        raise _file_error(error) from None


def _file_error(error: readers.ReadError) -> ImportFileError:
    """Word a reader's error for the user, with the fix."""
    params = {key: _listing(value) for key, value in error.params.items()}
    messages = {
        "file_not_found": _("File %(path)s does not exist."),
        "unsupported_format": _(
            "File %(name)s has the extension %(suffix)s. Map layers are imported from GeoJSON, "
            "zipped Shapefile (.zip), GeoPackage (.gpkg), KML, CSV, DXF, DGN or OpenStreetMap "
            "(.osm.pbf) files."
        ),
        "osm_file": _(
            "File %(name)s is an OpenStreetMap extract; import it into the OSM base layers."
        ),
        "bad_zip": _("File %(name)s is not a valid zip archive; compress the Shapefile again."),
        "zip_without_map": _(
            "The zip archive %(name)s contains no Shapefile (.shp with its .dbf and .shx) and no "
            "other map file."
        ),
        "unreadable": _(
            "File %(name)s cannot be read as a map layer: %(error)s. Check that the file is "
            "complete and in one of the supported formats."
        ),
        "empty_file": _("File %(name)s contains no layer and no feature."),
        "choose_layer": _(
            "File %(name)s contains several layers: %(layers)s. Choose one with --layer-name "
            "(or in the form)."
        ),
        "layer_not_found": _("File %(name)s has no layer %(layer)s; its layers are: %(layers)s."),
        "csv_no_coordinates": _(
            "File %(name)s has no coordinate columns. Name them lon and lat (or kinh_do and "
            "vi_do) for WGS 84, X and Y for VN-2000, or give a WKT column; its columns are: "
            "%(columns)s."
        ),
    }
    message = messages.get(error.code, _("File %(name)s cannot be read.")) % params
    return ImportFileError(message, error.code if error.code in messages else "invalid_file")


def _listing(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "-"
    return value


def _describe_source(report: ImportReport, data: readers.SourceData) -> None:
    report.summary.update(
        {
            "format": data.format,
            "layer_in_file": data.layer_name,
            "layers_in_file": data.layers,
            "encoding": data.encoding,
            "encoding_source": data.encoding_source,
            "column_encodings": data.column_encodings,
            "notes": [_note_text(code, params) for code, params in data.notes],
        }
    )
    if data.undecodable:
        report.problems.append(
            RowProblem(
                "file",
                "undecodable_text",
                _(
                    "The columns %(columns)s are not UTF-8 and fit no Vietnamese encoding "
                    "(Windows-1258, TCVN3, VNI) without doubt; the features with such text are "
                    "quarantined. Save the file again in UTF-8."
                )
                % {"columns": ", ".join(data.undecodable)},
                fatal=False,
            )
        )


def _note_text(code: str, params: dict[str, Any]) -> str:
    notes = {
        "csv_lonlat": _("Columns %(first)s and %(second)s read as longitude and latitude."),
        "csv_lonlat_swapped": _(
            "Column %(first)s holds latitudes and %(second)s longitudes; they were read that way."
        ),
        "csv_vn2000_northing_first": _(
            "Columns %(first)s and %(second)s follow the VN-2000 surveyors' convention: "
            "%(first)s is the northing and %(second)s the easting (the values tell: northings "
            "are above 1,900 km)."
        ),
        "csv_vn2000_easting_first": _(
            "Columns %(first)s and %(second)s read as VN-2000 easting and northing."
        ),
        "csv_coordinates_unknown": _(
            "The values of columns %(first)s and %(second)s match neither longitude/latitude in "
            "Vietnam nor VN-2000 TM-3; they were read as x and y."
        ),
    }
    return notes.get(code, code) % params


def _with_export_names(
    path: Path, columns: list[str], options: LayerImportOptions, report: ImportReport
) -> LayerImportOptions:
    """Undo the 10-character field names of a Shapefile this platform exported.

    The export writes ``field_names.csv`` beside the Shapefile with each short name and the
    attribute it stands for; renames the user gave still win.
    """
    renames = _export_field_names(path)
    usable = {
        short: full
        for short, full in renames.items()
        if short in columns and short not in options.field_map
    }
    if not usable:
        return options
    report.problems.append(
        RowProblem(
            "file",
            "renamed_columns",
            _("Columns renamed as %(file)s in the file lists: %(renames)s.")
            % {
                "file": MAPPING_FILE,
                "renames": ", ".join(f"{short} → {full}" for short, full in usable.items()),
            },
            fatal=False,
        )
    )
    return replace(options, field_map={**usable, **options.field_map})


def _export_field_names(path: Path) -> dict[str, str]:
    if path.suffix.lower() != ".zip":
        return {}
    try:
        with zipfile.ZipFile(path) as bundle:
            member = next(
                (name for name in bundle.namelist() if name.rsplit("/", 1)[-1] == MAPPING_FILE),
                None,
            )
            if member is None:
                return {}
            text = bundle.read(member).decode("utf-8-sig")
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError):
        logger.info("No readable %s in %s; field names kept as they are", MAPPING_FILE, path)
        return {}
    rows = csv.DictReader(io.StringIO(text))
    return {
        row["shapefile_field"]: row["attribute"]
        for row in rows
        if row.get("shapefile_field") and row.get("attribute")
    }


def _warn_unknown_columns(
    layer: Layer, columns: list[str], options: LayerImportOptions, report: ImportReport
) -> None:
    """Name the columns that match no attribute, which a misspelt column name otherwise hides."""
    known = {f["name"] for f in layer.schema if f.get("name")}
    unknown = [
        column
        for column in columns
        if options.field_map.get(column, column) not in known | DROP and column != options.id_field
    ]
    if not unknown or layer.attributes_strict:
        return
    report.problems.append(
        RowProblem(
            "file",
            "unknown_columns",
            _(
                "The columns %(columns)s match no attribute of layer %(layer)s (%(allowed)s), so "
                "they are kept as extra attributes. If one is a misspelt attribute, map it with "
                "--map column=attribute (the column mapping on the import page); drop a column with "
                "--map column=-."
            )
            % {
                "columns": ", ".join(unknown),
                "layer": layer.slug,
                "allowed": ", ".join(sorted(known)) or "-",
            },
            fatal=False,
        )
    )


def check_columns(layer: Layer, columns: list[str], options: LayerImportOptions) -> None:
    """Refuse a file whose columns a strict layer does not list; name them and the fix."""
    for column in options.field_map:
        if column not in columns:
            raise ImportFileError(
                _(
                    "The mapping names the column %(column)s, which the file does not have; its "
                    "columns are: %(columns)s."
                )
                % {"column": column, "columns": ", ".join(columns) or "-"},
                "wrong_columns",
            )
    if not layer.attributes_strict:
        return
    known = {f["name"] for f in layer.schema if f.get("name")}
    refused = [
        column for column in columns if options.field_map.get(column, column) not in known | DROP
    ]
    if refused:
        raise ImportFileError(
            _(
                "Layer %(layer)s accepts only the attributes %(allowed)s, so it does not take "
                "the columns %(columns)s (it never holds individual records). Map each column to "
                "an attribute with --map column=attribute, drop it with --map column=-, or remove "
                "it from the file."
            )
            % {
                "layer": layer.slug,
                "allowed": ", ".join(sorted(known)) or "-",
                "columns": ", ".join(refused),
            },
            "refused_columns",
        )


def choose_crs(
    data: readers.SourceData, layer: Layer, options: LayerImportOptions, report: ImportReport
) -> str:
    """Return the CRS of the file's coordinates and record in ``report`` how it was chosen."""
    if options.crs:
        try:
            crs_module.parse_crs(options.crs)
        except crs_module.UnknownCRSError:
            raise ImportFileError(
                _(
                    "The CRS %(crs)s is unknown. Give an EPSG code such as EPSG:4326 (WGS 84), "
                    "EPSG:9208 (VN-2000 TM-3 Phú Thọ) or EPSG:5897 (VN-2000 TM-3 Vĩnh Phúc)."
                )
                % {"crs": options.crs},
                "unknown_crs",
            ) from None
        return _record_crs(report, options.crs, "confirmed")

    bounds = _bounds(data.records)
    if bounds is None:
        raise ImportFileError(
            _("File %(name)s contains no geometry.") % {"name": report.source_name},
            "empty_file",
        )
    declared = data.declared_crs
    # GDAL reports every GeoJSON and KML file as WGS 84, as those formats prescribe, but
    # files exported in VN-2000 metres are common: metric coordinates overrule that.
    if declared and (_is_lonlat(bounds) or not crs_module.parse_crs(declared).is_geographic):
        return _record_crs(report, declared, "declared")

    guess = crs_module.guess_crs(bounds, province_zone=layer.legal_crs or crs_module.TM3_PHU_THO)
    if guess.crs and guess.certain:
        return _record_crs(report, guess.crs, "guessed")
    zones = "; ".join(f"{code} {label}" for code, label in crs_module.TM3_ZONES.items())
    if guess.crs:
        raise CrsConfirmationRequired(
            _(
                "File %(name)s declares no CRS and its coordinates (%(bounds)s) look like "
                "VN-2000 TM-3. The suggested CRS is %(suggested)s (the zone of layer %(layer)s); "
                "confirm it with --crs %(suggested)s or give another zone. Zones: %(zones)s."
            )
            % {
                "name": Path(report.source_name).name,
                "bounds": _format_bounds(bounds),
                "suggested": guess.crs,
                "layer": layer.slug,
                "zones": zones,
            },
            guess.crs,
        )
    raise CrsConfirmationRequired(
        _(
            "File %(name)s declares no CRS and its coordinates (%(bounds)s) match no CRS used in "
            "Vietnam. Give the CRS with --crs EPSG:NNNN."
        )
        % {"name": Path(report.source_name).name, "bounds": _format_bounds(bounds)},
        None,
    )


def _record_crs(report: ImportReport, crs: str, how: str) -> str:
    epsg_zone = crs_module.recognize_vn2000(crs)
    if epsg_zone and crs_module.parse_crs(epsg_zone) != crs_module.parse_crs(crs):
        report.summary.setdefault("notes", []).append(
            _(
                "The CRS %(original)s is a VN-2000 zone written without its EPSG code (for example "
                "with +towgs84); it was read as %(epsg)s, so the published transformation "
                "EPSG:6960 applies."
            )
            % {"original": crs_module.parse_crs(crs).name, "epsg": epsg_zone}
        )
        logger.info("CRS %r read as %s", crs[:200], epsg_zone)
        crs = epsg_zone
    report.summary["crs"] = crs
    report.summary["crs_source"] = how
    source = crs_module.parse_crs(crs)
    operation = crs_module.transformer(crs, crs_module.WGS84)
    report.summary["crs_name"] = source.name
    # EPSG:15498 only swaps the axes (longitude first), so listing it would mean nothing to a reader.
    report.summary["crs_operation"] = [
        code for code in crs_module.operation_codes(operation) if code != "EPSG:15498"
    ]
    return crs


def _bounds(records: list[readers.SourceRecord]) -> tuple[float, float, float, float] | None:
    geometries = [r.geometry for r in records if r.geometry is not None and not r.geometry.is_empty]
    if not geometries:
        return None
    min_x, min_y, max_x, max_y = (float(v) for v in shapely.total_bounds(geometries))
    return min_x, min_y, max_x, max_y


def _is_lonlat(bounds: tuple[float, ...]) -> bool:
    min_x, min_y, max_x, max_y = bounds
    return min_x >= -180 and max_x <= 180 and min_y >= -90 and max_y <= 90


def _format_bounds(bounds: tuple[float, ...]) -> str:
    return ", ".join(f"{value:.3f}" for value in bounds)


# --- checking features -----------------------------------------------------------------------


def _prepare(
    records: list[readers.SourceRecord],
    layer: Layer,
    source_crs: str,
    options: LayerImportOptions,
    report: ImportReport,
    progress: ProgressCallback | None,
    batch: Any,
) -> _Prepared:
    """Check each record against ``layer``; quarantine the bad ones, return the good ones."""
    prepared = _Prepared()
    area = box(*options.bbox) if options.bbox else None
    ids = [_external_id(record, options) for record in records]
    existing = _existing_features(layer, [i for i in ids if i])
    seen: dict[str, str] = {}
    now = timezone.now()

    moved = crs_module.transform_many(
        [_usable_source_geometry(record) for record in records], source_crs, crs_module.WGS84
    )

    for index, (record, external_id) in enumerate(zip(records, ids, strict=True)):
        if progress and index % PROGRESS_EVERY == 0:
            progress(index, len(records))
        geometry = _checked_geometry(record, moved[index], source_crs, report)
        if geometry is None:
            continue
        if area is not None and not geometry.intersects(area):
            prepared.outside_bbox += 1
            continue
        fitted = fit_geometry(geometry, layer.geometry_type)
        if fitted.geometry is None:
            _reject_geometry(record, layer, fitted.refusal, fitted.detail, report)
            continue
        if fitted.repairs:
            prepared.repaired += 1
            _warn_repairs(record, fitted.repairs, fitted.detail, report)
        prepared.reoriented += fitted.reoriented

        try:
            properties = clean_properties(layer, _mapped(record.attributes, options))
        except FeatureError as error:
            message = _("%(position)s: %(error)s") % {
                "position": _position_label(record.position),
                "error": error,
            }
            _reject(record, "invalid_attribute", message, report, field_name="properties")
            continue
        if external_id and external_id in seen:
            _reject(
                record,
                "duplicate",
                _("%(position)s repeats the identifier %(id)s of %(first)s; remove one of them.")
                % {
                    "position": _position_label(record.position),
                    "id": external_id,
                    "first": _position_label(seen[external_id]),
                },
                report,
                field_name=options.id_field or "external_id",
            )
            continue
        if external_id:
            seen[external_id] = record.position

        feature = existing.get(external_id) if external_id else None
        try:
            if feature is None:
                feature = MapFeature(
                    layer=layer,
                    properties=properties,
                    external_id=external_id[:100],
                    batch=batch,
                    updated_by=options.user,
                )
                prepare_feature(feature, fitted.geometry)
                prepared.new.append(feature)
            elif _same(feature, fitted.geometry, properties):
                prepared.unchanged += 1
            else:
                feature.properties = properties
                prepare_feature(feature, fitted.geometry)
                feature.version += 1
                feature.batch = batch
                feature.updated_by = options.user
                feature.updated_at = now
                prepared.changed.append(feature)
        except FeatureError as error:
            _reject(record, "invalid_geometry", str(error), report, field_name="geometry")
    if progress:
        progress(len(records), len(records))
    return prepared


def _external_id(record: readers.SourceRecord, options: LayerImportOptions) -> str:
    if options.id_field:
        value = record.attributes.get(options.id_field)
        return "" if value in (None, "") else str(value)
    return record.external_id


def _existing_features(layer: Layer, ids: list[str]) -> dict[str, MapFeature]:
    found: dict[str, MapFeature] = {}
    unique = sorted(set(ids))
    # Chunks keep the IN list under SQLite's limit on query parameters.
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        for feature in MapFeature.objects.filter(layer=layer, external_id__in=chunk):
            found[feature.external_id] = feature
    return found


def _same(feature: MapFeature, geometry: BaseGeometry, properties: dict[str, Any]) -> bool:
    if feature.properties != properties or feature.geom is None:
        return False
    return bool(round_coordinates(geometry).equals_exact(feature.geom, 1e-9))


def _mapped(attributes: dict[str, Any], options: LayerImportOptions) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for column, value in attributes.items():
        name = options.field_map.get(column, column)
        if name in DROP:
            continue
        result[name] = value
    return result


def _usable_source_geometry(record: readers.SourceRecord) -> BaseGeometry | None:
    if record.problem or record.geometry is None or record.geometry.is_empty:
        return None
    return shapely.force_2d(record.geometry)


def _checked_geometry(
    record: readers.SourceRecord,
    moved: BaseGeometry | None,
    source_crs: str,
    report: ImportReport,
) -> BaseGeometry | None:
    """Return the record's geometry, ``moved`` to WGS 84, or quarantine the record and return None."""
    if record.problem:
        _reject_read_problem(record, report)
        return None
    if record.geometry is None or record.geometry.is_empty:
        _reject(
            record,
            "missing_geometry",
            _("%(position)s has no geometry; draw it or give its coordinates.")
            % {"position": _position_label(record.position)},
            report,
            field_name="geometry",
        )
        return None
    if moved is None or not has_finite_coordinates(moved) or not _is_lonlat(moved.bounds):
        _reject(
            record,
            "invalid_coordinates",
            _(
                "%(position)s has coordinates that are not valid in %(crs)s; check the CRS of "
                "the file or the coordinates of this feature."
            )
            % {"position": _position_label(record.position), "crs": source_crs},
            report,
            field_name="geometry",
        )
        return None
    return moved


def _reject_read_problem(record: readers.SourceRecord, report: ImportReport) -> None:
    position = _position_label(record.position)
    if record.problem == "undecodable_text":
        message = _(
            "%(position)s: the text in column %(column)s is not UTF-8 and fits no Vietnamese "
            "encoding without doubt. Save the file again in UTF-8."
        ) % {"position": position, "column": record.detail}
        _reject(record, record.problem, message, report, field_name=record.detail)
        return
    if record.problem == "invalid_wkt":
        message = _("%(position)s: the WKT geometry cannot be read (%(error)s).") % {
            "position": position,
            "error": record.detail,
        }
    elif record.problem == "invalid_wkb":
        message = _(
            "%(position)s: the geometry cannot be built (%(error)s). Close each ring on its "
            "first point, with at least four points, and give each line at least two points."
        ) % {"position": position, "error": record.detail}
    else:
        message = _(
            "%(position)s: the coordinates %(values)s are not numbers; write them with a decimal "
            "point or comma and no other text."
        ) % {"position": position, "values": record.detail}
    _reject(record, record.problem, message, report, field_name="geometry")


def _reject_geometry(
    record: readers.SourceRecord, layer: Layer, refusal: str, detail: str, report: ImportReport
) -> None:
    position = _position_label(record.position)
    if refusal == "wrong_type":
        message = _(
            "%(position)s is a %(type)s, but layer %(layer)s holds %(expected)s geometries; import "
            "it into a layer of that kind or convert it in a GIS editor."
        ) % {
            "position": position,
            "type": detail,
            "layer": layer.slug,
            "expected": layer.get_geometry_type_display(),
        }
        code = "wrong_geometry_type"
    elif refusal == "empty_geometry":
        message = _("%(position)s has an empty geometry; draw it or remove the feature.") % {
            "position": position
        }
        code = "missing_geometry"
    else:
        message = _(
            "%(position)s has an invalid geometry that cannot be repaired safely (%(reason)s). "
            "Fix it in a GIS editor and import the file again."
        ) % {"position": position, "reason": detail or "-"}
        code = "invalid_geometry"
    _reject(record, code, message, report, field_name="geometry")


def _warn_repairs(
    record: readers.SourceRecord, repairs: list[str], detail: str, report: ImportReport
) -> None:
    texts = {
        "repeated_points": _("repeated vertices removed"),
        "made_valid": _("invalid geometry rebuilt (%(reason)s)") % {"reason": detail},
        "closed_line": _("closed outline turned into a polygon"),
        "collection": _("geometry collection turned into a multi-part geometry"),
    }
    report.problems.append(
        RowProblem(
            record.position,
            "repaired_geometry",
            _("%(position)s was repaired: %(repairs)s.")
            % {
                "position": _position_label(record.position),
                "repairs": "; ".join(texts[r] for r in repairs),
            },
            field="geometry",
            fatal=False,
        )
    )


def _reject(
    record: readers.SourceRecord,
    code: str,
    message: str,
    report: ImportReport,
    field_name: str = "",
) -> None:
    raw: dict[str, Any] = {
        "attributes": _json_safe(record.attributes),
        "geometry": None
        if record.geometry is None
        else shapely.to_wkt(record.geometry, rounding_precision=7)[:100_000],
    }
    if record.external_id:
        raw["external_id"] = record.external_id
    report.problems.append(RowProblem(record.position, code, message, field=field_name, raw=raw))


def _json_safe(attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key): value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        for key, value in attributes.items()
    }


def _position_label(position: str) -> str:
    """Translate a stored position ("feature 12", "row 3") for a message."""
    kind, _sep, number = position.partition(" ")
    if kind == "row":
        return _("Row %(number)s") % {"number": number}
    return _("Feature %(number)s") % {"number": number}


# --- writing ---------------------------------------------------------------------------------

UPDATED_FIELDS = [
    "geom",
    "min_x",
    "min_y",
    "max_x",
    "max_y",
    "properties",
    "search_text",
    "version",
    "batch",
    "updated_by",
    "updated_at",
]


def _write(layer: Layer, prepared: _Prepared) -> None:
    """Store new and changed features; call inside the import's transaction."""
    if not prepared.new and not prepared.changed:
        return
    MapFeature.objects.bulk_create(prepared.new, batch_size=500)
    MapFeature.objects.bulk_update(prepared.changed, UPDATED_FIELDS, batch_size=500)
    touch_layer(layer)


def _audit(layer: Layer, path: Path, prepared: _Prepared, batch: Any) -> None:
    audit.record(
        AuditAction.IMPORT,
        None,
        object_type="geo.layer",
        object_id=str(layer.pk),
        object_repr=f"{layer.slug} ← {path.name}",
        extra={
            "created": len(prepared.new),
            "updated": len(prepared.changed),
            "unchanged": prepared.unchanged,
            "batch": batch.pk,
        },
    )


def _summarise(report: ImportReport, prepared: _Prepared, stored: bool) -> None:
    """Put the counts in ``report``; nothing counts as accepted when the transaction failed."""
    accepted = len(prepared.new) + len(prepared.changed) + prepared.unchanged
    report.rows_accepted = accepted if stored else 0
    report.summary.update(
        {
            "created": len(prepared.new),
            "updated": len(prepared.changed),
            "unchanged": prepared.unchanged,
            "repaired": prepared.repaired,
            "reoriented": prepared.reoriented,
            "outside_bbox": prepared.outside_bbox,
            "quarantined": report.rejected_rows,
        }
    )


# --- the report as the pages show it ---------------------------------------------------------

REPORTED_PROBLEMS = 200
SUMMARY_KEYS = (
    "created",
    "updated",
    "unchanged",
    "repaired",
    "reoriented",
    "quarantined",
    "outside_bbox",
    "crs",
    "crs_name",
    "crs_source",
    "crs_operation",
    "encoding",
    "encoding_source",
    "column_encodings",
    "format",
    "layer",
    "layer_in_file",
    "notes",
    "layers_written",
)


def report_data(report: ImportReport) -> dict[str, Any]:
    """Return the report as JSON-ready data for the job page, quarantined features included."""
    data: dict[str, Any] = {key: report.summary.get(key) for key in SUMMARY_KEYS}
    data.update(
        {
            "rows_total": report.rows_total,
            "rows_accepted": report.rows_accepted,
            "rows_rejected": report.rejected_rows,
            "crs_source_label": crs_source_label(report.summary.get("crs_source", "")),
            "problems": [
                {
                    "position": problem.position,
                    "field": problem.field,
                    "code": problem.code,
                    "message": problem.message,
                    "fatal": problem.fatal,
                    "raw": problem.raw,
                }
                for problem in report.problems[:REPORTED_PROBLEMS]
            ],
            "more_problems": max(0, len(report.problems) - REPORTED_PROBLEMS),
            "batch_id": report.batch_id,
        }
    )
    return data


def crs_source_label(source: str) -> str:
    """Say in words how the CRS was chosen ("confirmed", "declared" or "guessed")."""
    labels = {
        "confirmed": _("given by the user"),
        "declared": _("declared in the file"),
        "guessed": _("recognised from the coordinates (longitude/latitude)"),
    }
    return labels.get(source, source or "-")
