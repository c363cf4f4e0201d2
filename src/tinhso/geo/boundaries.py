"""Import of administrative boundaries (GeoJSON, zipped Shapefile, GeoPackage) onto units by code.

Each feature is matched to a unit by its official code and checked on its own: a feature
without a code, with an unknown code, a duplicate code or a geometry that cannot be
repaired goes to quarantine with the reason; invalid rings that can be repaired are
repaired and reported. Accepted boundaries are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from tinhso.core import audit
from tinhso.core.errors import ImportFileError, UnknownUnitError
from tinhso.core.models import AuditAction, Unit, UnitLevel
from tinhso.core.services.units import find_unit
from tinhso.geo import crs as crs_module
from tinhso.geo.models import Boundary
from tinhso.geo.services.boundary_layer import sync_boundary_layer
from tinhso.geo.storage import set_geometry
from tinhso.ingest.report import ImportReport, RowProblem, finish_batch, start_batch

logger = logging.getLogger(__name__)

KIND = "geo.boundaries"
SUPPORTED_SUFFIXES = {".geojson", ".json", ".zip", ".gpkg", ".shp"}
# Most specific first: a district file often also carries its province's code.
CODE_FIELDS = [
    "ward_code",
    "commune_code",
    "ma_xa",
    "maxa",
    "code",
    "ma",
    "ma_dvhc",
    "madvhc",
    "district_code",
    "ma_huyen",
    "province_code",
    "ma_tinh",
    "id",
]
LEVEL_OF_FIELD = {
    "ward_code": UnitLevel.COMMUNE,
    "commune_code": UnitLevel.COMMUNE,
    "ma_xa": UnitLevel.COMMUNE,
    "maxa": UnitLevel.COMMUNE,
    "district_code": UnitLevel.DISTRICT,
    "ma_huyen": UnitLevel.DISTRICT,
    "province_code": UnitLevel.PROVINCE,
    "ma_tinh": UnitLevel.PROVINCE,
}
LEVEL_WORDS = {
    "province": UnitLevel.PROVINCE,
    "tỉnh": UnitLevel.PROVINCE,
    "tinh": UnitLevel.PROVINCE,
    "thành phố trực thuộc trung ương": UnitLevel.PROVINCE,
    "district": UnitLevel.DISTRICT,
    "huyện": UnitLevel.DISTRICT,
    "quận": UnitLevel.DISTRICT,
    "thị xã": UnitLevel.DISTRICT,
    "huyen": UnitLevel.DISTRICT,
    "commune": UnitLevel.COMMUNE,
    "ward": UnitLevel.COMMUNE,
    "xã": UnitLevel.COMMUNE,
    "phường": UnitLevel.COMMUNE,
    "thị trấn": UnitLevel.COMMUNE,
    "đặc khu": UnitLevel.COMMUNE,
    "xa": UnitLevel.COMMUNE,
    "phuong": UnitLevel.COMMUNE,
}


@dataclass(frozen=True)
class BoundaryImportOptions:
    """What the user told the importer; every field may be left for the importer to work out."""

    crs: str | None = None
    code_field: str | None = None
    level: UnitLevel | None = None
    date: dt.date | None = None
    # NOTE: the merged province has no published single TM-3 zone yet; areas use Phú Thọ's
    # 104°45′ zone unless the caller names another.
    area_crs: str = crs_module.TM3_PHU_THO


@dataclass
class _Features:
    codes: list[str]
    levels: list[UnitLevel | None]
    geometries: np.ndarray[Any, Any]
    crs: str


ProgressCallback = Callable[[int, int], None]


def import_boundaries(
    path: Path,
    options: BoundaryImportOptions | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Attach the boundaries in ``path`` to units; return the report.

    Raises ImportFileError when the file cannot be read, has no usable code field, or has
    no CRS and none was given.
    """
    options = options or BoundaryImportOptions()
    report = ImportReport(kind=KIND, source_name=str(path))
    batch = start_batch(KIND, str(path))
    try:
        features = _read_features(path, options, report)
    except ImportFileError as error:
        finish_batch(batch, report, message=error.message, file_error=True)
        raise

    report.rows_total = len(features.codes)
    accepted: list[tuple[Unit, MultiPolygon]] = []
    seen: dict[int, int] = {}
    for index, (code, level, geometry) in enumerate(
        zip(features.codes, features.levels, features.geometries, strict=True)
    ):
        position = f"feature {index + 1}"
        unit = _match_unit(position, code, level, options, report)
        if unit is None:
            continue
        if unit.pk in seen:
            report.problems.append(
                RowProblem(
                    position,
                    "duplicate",
                    _(
                        "Feature %(index)s repeats code %(code)s of feature %(first)s; remove one of them."
                    )
                    % {"index": index + 1, "code": code, "first": seen[unit.pk]},
                    field="code",
                )
            )
            continue
        polygon = _usable_polygon(position, code, geometry, report)
        if polygon is None:
            continue
        seen[unit.pk] = index + 1
        accepted.append((unit, crs_module.transform(polygon, features.crs, crs_module.WGS84)))
        if progress and (index + 1) % 50 == 0:
            progress(index + 1, report.rows_total)

    try:
        with transaction.atomic():
            _store(accepted, batch, path, options)
            report.rows_accepted = len(accepted)
            # The boundaries layer of the map and its OGC collection read the same rows.
            sync_boundary_layer()
    finally:
        report.summary["crs"] = features.crs
        finish_batch(batch, report)
    if progress:
        progress(report.rows_total, report.rows_total)
    return report


def _read_features(path: Path, options: BoundaryImportOptions, report: ImportReport) -> _Features:
    import pyogrio
    import pyogrio.errors

    if not path.exists():
        raise ImportFileError(_("File %(path)s does not exist.") % {"path": path}, "file_not_found")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ImportFileError(
            _(
                "File %(name)s has the extension %(suffix)s; boundaries are read from GeoJSON, "
                "zipped Shapefile (.zip) or GeoPackage (.gpkg)."
            )
            % {"name": path.name, "suffix": path.suffix or _("(none)")},
            "unsupported_format",
        )
    try:
        meta, _fids, wkb, field_data = pyogrio.raw.read(path)
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
    ) as error:
        raise ImportFileError(
            _(
                "File %(name)s cannot be read as a map layer: %(error)s. Check that it is a complete "
                "GeoJSON, zipped Shapefile or GeoPackage."
            )
            % {"name": path.name, "error": str(error).splitlines()[0][:200]},
            "unsupported_format",
        ) from None

    fields = [str(name) for name in meta["fields"]]
    columns = {name: field_data[i] for i, name in enumerate(fields)}
    code_field = _choose_code_field(fields, options, path.name)
    geometries = shapely.from_wkb(wkb)
    source_crs = _choose_crs(meta.get("crs"), geometries, options, path.name, report)

    level_hint_field = next((f for f in ("level", "type", "loai", "cap") if f in columns), None)
    levels: list[UnitLevel | None] = []
    for i in range(len(geometries)):
        level = options.level or LEVEL_OF_FIELD.get(code_field.lower())
        if level is None and level_hint_field is not None:
            level = LEVEL_WORDS.get(str(columns[level_hint_field][i] or "").strip().lower())
        levels.append(level)

    codes = ["" if value is None else str(value).strip() for value in columns[code_field]]
    report.summary["code_field"] = code_field
    return _Features(codes=codes, levels=levels, geometries=geometries, crs=source_crs)


def _choose_code_field(fields: list[str], options: BoundaryImportOptions, name: str) -> str:
    if options.code_field:
        if options.code_field not in fields:
            raise ImportFileError(
                _("File %(name)s has no field %(field)s; its fields are %(fields)s.")
                % {"name": name, "field": options.code_field, "fields": ", ".join(fields) or "-"},
                "wrong_columns",
            )
        return options.code_field
    lowered = {field.lower(): field for field in fields}
    for candidate in CODE_FIELDS:
        if candidate in lowered:
            return lowered[candidate]
    raise ImportFileError(
        _(
            "File %(name)s has no field with the unit code (looked for %(candidates)s). Name the "
            "field with --code-field; its fields are %(fields)s."
        )
        % {"name": name, "candidates": ", ".join(CODE_FIELDS), "fields": ", ".join(fields) or "-"},
        "wrong_columns",
    )


def _choose_crs(
    declared: str | None,
    geometries: np.ndarray[Any, Any],
    options: BoundaryImportOptions,
    name: str,
    report: ImportReport,
) -> str:
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
        return options.crs
    present = geometries[~shapely.is_missing(geometries)]
    if len(present) == 0:
        raise ImportFileError(
            _("File %(name)s contains no geometry.") % {"name": name}, "empty_file"
        )
    bounds = tuple(float(v) for v in shapely.total_bounds(present))

    # GDAL reports every GeoJSON file as WGS 84, as the format prescribes, but files
    # exported in VN-2000 metres are common; metric coordinates overrule that declaration.
    if declared and (_is_lonlat(bounds) or not crs_module.parse_crs(str(declared)).is_geographic):
        report.summary["crs_detected"] = str(declared)
        return str(declared)
    guess = crs_module.guess_crs(bounds)  # type: ignore[arg-type]
    if guess.crs and guess.certain:
        report.summary["crs_guessed"] = guess.crs
        return guess.crs
    if guess.crs:
        zones = "; ".join(f"{code} {label}" for code, label in crs_module.TM3_ZONES.items())
        raise ImportFileError(
            _(
                "File %(name)s declares no CRS and its coordinates look like VN-2000 TM-3 (%(bounds)s). "
                "Confirm the zone with --crs, for example --crs %(suggested)s. Zones: %(zones)s."
            )
            % {
                "name": name,
                "bounds": _format_bounds(bounds),
                "suggested": guess.crs,
                "zones": zones,
            },
            "unknown_crs",
        )
    raise ImportFileError(
        _(
            "File %(name)s declares no CRS and its coordinates (%(bounds)s) match no CRS used in "
            "Vietnam. Give the CRS with --crs EPSG:NNNN."
        )
        % {"name": name, "bounds": _format_bounds(bounds)},
        "unknown_crs",
    )


def _feature_label(position: str) -> str:
    """Translate a feature position such as "feature 12" into the user's language."""
    return _("Feature %(index)s") % {"index": position.rsplit(" ", 1)[-1]}


def _is_lonlat(bounds: tuple[float, ...]) -> bool:
    min_x, min_y, max_x, max_y = bounds
    return min_x >= -180 and max_x <= 180 and min_y >= -90 and max_y <= 90


def _format_bounds(bounds: tuple[float, ...]) -> str:
    return ", ".join(f"{value:.3f}" for value in bounds)


def _match_unit(
    position: str,
    code: str,
    level: UnitLevel | None,
    options: BoundaryImportOptions,
    report: ImportReport,
) -> Unit | None:
    if not code:
        report.problems.append(
            RowProblem(
                position,
                "missing_code",
                _("%(position)s has no unit code; fill in the code field.")
                % {"position": _feature_label(position)},
                field="code",
            )
        )
        return None
    if level is None:
        digits = code.lstrip("0") if code.isdigit() else code
        # Without a hint, the width of the code as written gives its level.
        width = len(code) if code.startswith("0") else len(digits)
        level = (
            UnitLevel.PROVINCE
            if width <= 2
            else UnitLevel.DISTRICT
            if width == 3
            else UnitLevel.COMMUNE
        )
    try:
        return find_unit(code, options.date, level=level)
    except UnknownUnitError:
        report.problems.append(
            RowProblem(
                position,
                "unknown_unit",
                _(
                    "%(position)s: no %(level)s has the code %(code)s. Check the code, or load the units "
                    "of that period first."
                )
                % {
                    "position": _feature_label(position),
                    "level": UnitLevel(level).label,
                    "code": code,
                },
                field="code",
            )
        )
        return None


def _usable_polygon(
    position: str, code: str, geometry: BaseGeometry | None, report: ImportReport
) -> MultiPolygon | None:
    if geometry is None or geometry.is_empty:
        report.problems.append(
            RowProblem(
                position,
                "missing_geometry",
                _("%(position)s (code %(code)s) has no geometry.")
                % {"position": _feature_label(position), "code": code},
                field="geometry",
            )
        )
        return None
    if not isinstance(geometry, Polygon | MultiPolygon):
        report.problems.append(
            RowProblem(
                position,
                "invalid_geometry",
                _(
                    "%(position)s (code %(code)s) is a %(type)s; a boundary must be a polygon or multipolygon."
                )
                % {"position": _feature_label(position), "code": code, "type": geometry.geom_type},
                field="geometry",
            )
        )
        return None
    if geometry.is_valid:
        return _as_multipolygon(geometry)

    reason = shapely.is_valid_reason(geometry)
    repaired = _polygonal_part(shapely.make_valid(geometry))
    if repaired is None or repaired.area < geometry.area * 0.5:
        report.problems.append(
            RowProblem(
                position,
                "invalid_geometry",
                _(
                    "%(position)s (code %(code)s) has an invalid geometry that cannot be repaired safely "
                    "(%(reason)s). Fix it in a GIS editor and import again."
                )
                % {"position": _feature_label(position), "code": code, "reason": reason},
                field="geometry",
            )
        )
        return None
    report.problems.append(
        RowProblem(
            position,
            "repaired_geometry",
            _("%(position)s (code %(code)s) had an invalid geometry (%(reason)s); it was repaired.")
            % {"position": _feature_label(position), "code": code, "reason": reason},
            field="geometry",
            fatal=False,
        )
    )
    return repaired


def _polygonal_part(geometry: BaseGeometry) -> MultiPolygon | None:
    polygons: list[Polygon] = []
    for part in getattr(geometry, "geoms", [geometry]):
        if isinstance(part, Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part.geoms)
    return MultiPolygon(polygons) if polygons else None


def _as_multipolygon(geometry: Polygon | MultiPolygon) -> MultiPolygon:
    return geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])


def _store(
    accepted: list[tuple[Unit, MultiPolygon]],
    batch: Any,
    path: Path,
    options: BoundaryImportOptions,
) -> None:
    existing = {
        b.unit_id: b
        for b in Boundary.objects.filter(unit_id__in=[unit.pk for unit, _g in accepted])
    }
    for unit, polygon in accepted:
        boundary = existing.get(unit.pk) or Boundary(unit=unit)
        set_geometry(
            boundary,
            _as_multipolygon(polygon) if not isinstance(polygon, MultiPolygon) else polygon,
        )
        boundary.area_m2 = crs_module.area_m2(polygon, crs_module.WGS84, options.area_crs)
        boundary.source = path.name[:500]
        boundary.batch = batch
        boundary.save()
    audit.record(
        AuditAction.IMPORT,
        None,
        object_type="geo.boundary",
        object_repr=path.name,
        extra={"boundaries": len(accepted), "batch": batch.pk},
    )
    logger.info("Stored %s boundaries from %s", len(accepted), path)
