"""Reading map files into records of (geometry, attributes, position), without Django.

Formats: GeoJSON, Shapefile (zipped or beside its .dbf/.shx/.prj/.cpg), GeoPackage, KML,
CSV with coordinate columns, DXF, DGN v7 (all through GDAL by pyogrio) and OpenStreetMap
PBF (:func:`read_osm`). Attribute text is returned as Unicode NFC, with the encoding that
was found: a Shapefile's ``.cpg`` names it, or it is detected per column among UTF-8,
Windows-1258, TCVN3 and VNI. Text that GDAL decoded with the wrong code page (a TCVN3 or
VNI font's bytes shown as Western letters) is recognised and decoded again.

Errors are :class:`ReadError` with a stable code and parameters; the Django service turns
them into translated messages.
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from tinhso.geo import crs as crs_module
from tinhso.ioc.encodings import (
    UndecodableTextError,
    decode,
    legacy_readings,
    vietnamese_score,
)
from tinhso.text import fold

logger = logging.getLogger(__name__)

GDAL_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".kml": "KML",
    ".kmz": "KML",
    ".dxf": "DXF",
    ".dgn": "DGN",
}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
SUPPORTED = [".geojson", ".json", ".zip", ".shp", ".gpkg", ".kml", ".kmz", ".csv", ".dxf", ".dgn"]
SUPPORTED += [".osm.pbf"]

# Columns that GDAL's CAD and KML drivers always add and that describe the drawing, not
# the feature.
CAD_DRAWING_COLUMNS = {
    "DXF": {"PaperSpace", "SubClasses", "Linetype", "EntityHandle", "RawCodeValues"},
    "DGN": {"Type", "GraphicGroup", "ColorIndex", "Weight", "Style", "EntityNum", "ULink"},
    "KML": {"altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon"},
}

# .cpg contents seen in Vietnamese agencies' files, mapped to a Python codec. Western code
# pages cannot hold Vietnamese, so text under them was typed with a TCVN3 or VNI font and
# is detected instead.
CPG_CODECS = {
    "1258": "cp1258",
    "cp1258": "cp1258",
    "windows-1258": "cp1258",
    "ansi 1258": "cp1258",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
}
CPG_WESTERN = {"1252", "cp1252", "windows-1252", "ansi 1252", "iso-8859-1", "iso88591", "latin1"}
ENCODING_NAMES = {"cp1258": "windows-1258", "utf-8": "utf-8"}

# Normalised CSV header names of coordinate columns (folded, without spaces, _ - .).
LON_NAMES = ("lon", "lng", "long", "longitude", "kinhdo")
LAT_NAMES = ("lat", "latitude", "vido")
X_NAMES = ("x", "toadox", "toado_x", "easting", "e")
Y_NAMES = ("y", "toadoy", "toado_y", "northing", "n")
WKT_NAMES = ("wkt", "geometry", "geom", "thegeom")
_HEADER_NOISE = re.compile(r"[\s_\-.()]+")

LEGACY_MINIMUM_SCORE = 0.97


class ReadError(Exception):
    """A file that cannot be read as a whole; ``code`` names the reason, ``params`` the details."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass
class SourceRecord:
    """One feature or CSV row: ``position`` is "feature N" or "row N" as the file counts them.

    ``problem`` is set when the reader could not build the record (for example coordinates
    that are not numbers); the service quarantines such records with ``detail``.
    """

    position: str
    geometry: BaseGeometry | None
    attributes: dict[str, Any]
    external_id: str = ""
    problem: str = ""
    detail: str = ""


@dataclass
class SourceData:
    """The records of a file, with the format, CRS, encoding and layers the reader found.

    ``notes`` are (code, params) pairs for the report, for example the column order of
    VN-2000 coordinates. ``column_encodings`` maps columns with non-ASCII text to the
    encoding they were decoded from; ``undecodable`` lists columns no encoding fits.
    """

    format: str
    records: list[SourceRecord]
    declared_crs: str | None
    encoding: str
    encoding_source: str
    layer_name: str = ""
    layers: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    column_encodings: dict[str, str] = field(default_factory=dict)
    undecodable: list[str] = field(default_factory=list)
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def read_file(path: Path, layer_name: str | None = None) -> SourceData:
    """Read a supported map file; raise ReadError naming the problem.

    ``layer_name`` picks a layer of a GeoPackage (required when it has several) or a
    Shapefile in a zip with several.
    """
    if not path.is_file():
        raise ReadError("file_not_found", path=str(path))
    name = path.name.lower()
    if name.endswith(".pbf"):
        raise ReadError("osm_file", name=path.name)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv(path)
    if suffix == ".zip":
        return _read_zip(path, layer_name)
    if suffix in GDAL_SUFFIXES:
        driver = GDAL_SUFFIXES[suffix]
        if driver == "ESRI Shapefile":
            return _read_shapefile(str(path), _sidecar_cpg(path), layer_name=None)
        if driver == "GeoJSON":
            return _read_geojson(path, layer_name)
        return _read_gdal(str(path), driver, path.name, layer_name)
    raise ReadError("unsupported_format", name=path.name, suffix=suffix or "-")


# --- GDAL formats ----------------------------------------------------------------------------


def _read_zip(path: Path, layer_name: str | None) -> SourceData:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.startswith("__MACOSX/")]
            shapefiles = [m for m in members if m.lower().endswith(".shp")]
            if not shapefiles:
                others = [m for m in members if Path(m).suffix.lower() in GDAL_SUFFIXES]
                if not others:
                    raise ReadError("zip_without_map", name=path.name)
                inner = others[0]
                driver = GDAL_SUFFIXES[Path(inner).suffix.lower()]
                return _read_gdal(f"/vsizip/{path}/{inner}", driver, path.name, layer_name)
            chosen = _choose_shapefile(shapefiles, layer_name, path.name)
            cpg_name = chosen[:-4] + ".cpg"
            cpg_member = next((m for m in members if m.lower() == cpg_name.lower()), None)
            cpg = archive.read(cpg_member).decode("ascii", "replace") if cpg_member else None
    except zipfile.BadZipFile:
        raise ReadError("bad_zip", name=path.name) from None
    data = _read_shapefile(f"/vsizip/{path}/{chosen}", cpg, layer_name=None)
    data.layers = [Path(m).stem for m in shapefiles]
    return data


def _choose_shapefile(shapefiles: list[str], layer_name: str | None, name: str) -> str:
    if layer_name:
        for member in shapefiles:
            if Path(member).stem == layer_name:
                return member
        raise ReadError(
            "layer_not_found",
            name=name,
            layer=layer_name,
            layers=[Path(m).stem for m in shapefiles],
        )
    if len(shapefiles) > 1:
        raise ReadError("choose_layer", name=name, layers=[Path(m).stem for m in shapefiles])
    return shapefiles[0]


def _sidecar_cpg(path: Path) -> str | None:
    for candidate in (path.with_suffix(".cpg"), path.with_suffix(".CPG")):
        if candidate.is_file():
            return candidate.read_text("ascii", errors="replace")
    return None


def _list_layers(source: str, name: str) -> list[str]:
    import pyogrio
    import pyogrio.errors

    try:
        return [str(row[0]) for row in pyogrio.list_layers(source)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise ReadError("unreadable", name=name, error=_first_line(error)) from None


def _raw_read(source: str, name: str, **options: Any) -> tuple[Any, ...]:
    import pyogrio.errors
    import pyogrio.raw

    try:
        return tuple(pyogrio.raw.read(source, datetime_as_string=True, **options))
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
    ) as error:
        raise ReadError("unreadable", name=name, error=_first_line(error)) from None


def _parse_wkb(wkb: Any) -> tuple[list[BaseGeometry | None], dict[int, str]]:
    """Parse GDAL's WKB per feature, keeping what GEOS rejects as errors by index.

    GDAL passes on shapes that GEOS cannot build at all, such as a ring that is not closed or
    has fewer than four points, or a line of one point; one of them must not sink the file.
    """
    try:
        return list(shapely.from_wkb(wkb)), {}
    except shapely.errors.GEOSException:
        pass
    geometries: list[BaseGeometry | None] = []
    errors: dict[int, str] = {}
    for index, item in enumerate(wkb):
        try:
            geometries.append(None if item is None else shapely.from_wkb(item))
        except shapely.errors.GEOSException as error:
            geometries.append(None)
            errors[index] = str(error).removeprefix("IllegalArgumentException: ")[:200]
    return geometries, errors


def _read_gdal(source: str, driver: str, name: str, layer_name: str | None) -> SourceData:
    layers = _list_layers(source, name)
    if driver == "KML" and not layer_name:
        # KML folders are layers to GDAL; agencies use them to group one kind of feature.
        chosen = [layer for layer in layers if layer]
    else:
        chosen = [_choose_layer(layers, layer_name, name)]

    records: list[SourceRecord] = []
    columns: list[str] = []
    declared: str | None = None
    for layer in chosen:
        meta, _fids, wkb, field_data = _raw_read(source, name, layer=layer)
        fields = [str(f) for f in meta["fields"]]
        declared = declared or meta.get("crs")
        columns += [f for f in fields if f not in columns]
        drop = CAD_DRAWING_COLUMNS.get(driver, set())
        geometries, errors = _parse_wkb(wkb)
        for index, geometry in enumerate(geometries):
            attributes = {
                f: _python_value(field_data[i][index])
                for i, f in enumerate(fields)
                if f not in drop
            }
            position = f"feature {len(records) + 1}"
            if index in errors:
                records.append(
                    SourceRecord(
                        position, None, attributes, problem="invalid_wkb", detail=errors[index]
                    )
                )
                continue
            if driver in ("DGN", "DXF"):
                geometry = _cad_point(geometry)
            records.append(SourceRecord(position, geometry, attributes))
    columns = [c for c in columns if c not in CAD_DRAWING_COLUMNS.get(driver, set())]

    data = SourceData(
        format=driver,
        records=records,
        declared_crs=str(declared) if declared else None,
        encoding="utf-8",
        encoding_source="format",
        layer_name=",".join(chosen),
        layers=layers,
        columns=columns,
    )
    _repair_misdecoded_text(data)
    return data


def _read_geojson(path: Path, layer_name: str | None) -> SourceData:
    """Read GeoJSON, which RFC 7946 requires in UTF-8, also when it was saved in a legacy encoding."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _read_gdal(str(path), "GeoJSON", path.name, layer_name)
    try:
        decoded = decode(data)
    except UndecodableTextError as error:
        raise ReadError("unreadable", name=path.name, error=str(error)) from None
    with tempfile.TemporaryDirectory(prefix="tinhso-geojson-") as folder:
        copy = Path(folder) / path.name
        copy.write_text(decoded.text, encoding="utf-8")
        result = _read_gdal(str(copy), "GeoJSON", path.name, layer_name)
    result.encoding = decoded.encoding
    result.encoding_source = "detected"
    result.column_encodings = dict.fromkeys(result.column_encodings, decoded.encoding)
    return result


def _choose_layer(layers: list[str], layer_name: str | None, name: str) -> str:
    if layer_name:
        if layer_name not in layers:
            raise ReadError("layer_not_found", name=name, layer=layer_name, layers=layers)
        return layer_name
    if not layers:
        raise ReadError("empty_file", name=name)
    if len(layers) > 1:
        raise ReadError("choose_layer", name=name, layers=layers)
    return layers[0]


def _cad_point(geometry: BaseGeometry | None) -> BaseGeometry | None:
    """Return a CAD line whose vertices all coincide as the point it stands for.

    DGN v7 has no point element, so CAD programs draw a point as a zero-length line.
    """
    if isinstance(geometry, LineString) and not geometry.is_empty:
        coords = np.asarray(geometry.coords)
        if np.all(coords == coords[0]):
            return Point(coords[0])
    return geometry


def _read_shapefile(source: str, cpg: str | None, layer_name: str | None) -> SourceData:
    name = Path(source).name
    # Latin-1 maps each byte to one character, so the DBF's bytes come back unchanged and
    # are decoded here: GDAL's own recoding cuts Windows-1258 text at the field width.
    meta, _fids, wkb, field_data = _raw_read(source, name, encoding="latin1")
    fields = [str(f) for f in meta["fields"]]
    columns = {f: [_python_value(v) for v in field_data[i]] for i, f in enumerate(fields)}

    codec = CPG_CODECS.get((cpg or "").strip().lower())
    encoding_source = "cpg" if codec else "detected"
    column_encodings: dict[str, str] = {}
    undecodable: list[str] = []
    for column, values in columns.items():
        raw = [v.encode("latin-1") for v in values if isinstance(v, str) and not v.isascii()]
        if not raw:
            continue
        column_codec = codec
        if column_codec == "utf-8" and not _all_decode(raw, "utf-8"):
            column_codec = None  # a .cpg that claims UTF-8 over legacy bytes is wrong
        if column_codec:
            columns[column] = [_decode_cell(v, column_codec) for v in values]
            column_encodings[column] = ENCODING_NAMES.get(column_codec, column_codec)
            continue
        try:
            found = decode(b"\n".join(raw)).encoding
        except UndecodableTextError:
            undecodable.append(column)
            continue
        columns[column] = [_decode_cell(v, found) for v in values]
        column_encodings[column] = found

    geometries, errors = _parse_wkb(wkb)
    records = [
        SourceRecord(
            f"feature {index + 1}",
            geometry,
            {column: values[index] for column, values in columns.items()},
            problem="invalid_wkb" if index in errors else "",
            detail=errors.get(index, ""),
        )
        for index, geometry in enumerate(geometries)
    ]
    for column in undecodable:
        for record in records:
            value = record.attributes.get(column)
            if isinstance(value, str) and not value.isascii():
                record.problem = "undecodable_text"
                record.detail = column
    declared = meta.get("crs")
    if cpg and not codec and (cpg.strip().lower() not in CPG_WESTERN):
        logger.info("Shapefile %s names the unknown code page %r; text detected", name, cpg)
    return SourceData(
        format="ESRI Shapefile",
        records=records,
        declared_crs=str(declared) if declared else None,
        encoding=_overall_encoding(column_encodings),
        encoding_source=encoding_source,
        layer_name=Path(source).stem,
        layers=[Path(source).stem],
        columns=fields,
        column_encodings=column_encodings,
        undecodable=undecodable,
    )


def _all_decode(cells: list[bytes], codec: str) -> bool:
    try:
        for cell in cells:
            cell.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _decode_cell(value: Any, encoding: str) -> Any:
    if not isinstance(value, str) or value.isascii():
        return value
    data = value.encode("latin-1")
    if encoding in ("utf-8", "ascii"):
        return unicodedata.normalize("NFC", data.decode("utf-8", errors="replace"))
    if encoding == "cp1258":
        return unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
    for name, text in legacy_readings(data):
        if name == encoding:
            return text
    return unicodedata.normalize("NFC", data.decode("utf-8", errors="replace"))


def _overall_encoding(column_encodings: dict[str, str]) -> str:
    found = set(column_encodings.values())
    if not found:
        return "ascii"
    if len(found) > 1:
        return "mixed"
    return found.pop()


def _repair_misdecoded_text(data: SourceData) -> None:
    """Decode again the text columns that GDAL read with the wrong code page.

    A TCVN3 or VNI font's bytes, or UTF-8 bytes, read as Windows-1252 or Latin-1 come out
    as Western letters ("Thµnh phè" for "Thành phố"). When such a column reads poorly as
    Vietnamese and its bytes read well in one encoding, the column is replaced.
    """
    text_columns: dict[str, list[str]] = {}
    for record in data.records:
        for column, value in record.attributes.items():
            if isinstance(value, str) and not value.isascii():
                text_columns.setdefault(column, []).append(value)
    for column, values in text_columns.items():
        if vietnamese_score("\n".join(values)) >= LEGACY_MINIMUM_SCORE:
            data.column_encodings[column] = "utf-8"
            continue
        raw = [_original_bytes(v) for v in values]
        if any(b is None for b in raw):
            continue
        try:
            found = decode(b"\n".join(b for b in raw if b is not None))
        except UndecodableTextError:
            continue
        if found.confidence < LEGACY_MINIMUM_SCORE:
            continue
        for record in data.records:
            value = record.attributes.get(column)
            if isinstance(value, str) and not value.isascii():
                original = _original_bytes(value)
                if original is not None:
                    record.attributes[column] = _decode_cell(
                        original.decode("latin-1"), found.encoding
                    )
        data.column_encodings[column] = found.encoding
        data.encoding_source = "detected"
    data.encoding = _overall_encoding(data.column_encodings)


def _original_bytes(text: str) -> bytes | None:
    """Return the bytes that a Latin-1 or Windows-1252 decoding turned into ``text``."""
    for codec in ("latin-1", "cp1252"):
        try:
            return text.encode(codec)
        except UnicodeEncodeError:
            continue
    return None


def _python_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [""])[0][:200]


# --- CSV -------------------------------------------------------------------------------------


def read_csv(path: Path) -> SourceData:
    """Read a CSV file of points with lon/lat, VN-2000 X/Y or WKT columns."""
    # decode_csv is plain Python; its module imports Django only to word its own errors.
    from tinhso.ingest.tables import decode_csv

    data = path.read_bytes()
    if b"\x00" in data:
        raise ReadError("unreadable", name=path.name, error="binary data in a CSV file")
    decoded = decode_csv(data)
    records_text = [(n, cells) for n, cells in decoded.records if any(c.strip() for c in cells)]
    if not records_text:
        raise ReadError("empty_file", name=path.name)
    header = [unicodedata.normalize("NFC", cell.strip()) for cell in records_text[0][1]]
    rows = records_text[1:]

    normalised = {_HEADER_NOISE.sub("", fold(h)): i for i, h in enumerate(header)}
    wkt_index = _find_column(normalised, WKT_NAMES)
    first_index = _find_column(normalised, LON_NAMES)
    second_index = _find_column(normalised, LAT_NAMES)
    degrees_named = first_index is not None and second_index is not None
    if not degrees_named:
        first_index = _find_column(normalised, X_NAMES)
        second_index = _find_column(normalised, Y_NAMES)
    notes: list[tuple[str, dict[str, Any]]] = []
    if wkt_index is not None:
        geometry_columns = {wkt_index}
        build = _wkt_builder(wkt_index)
    elif first_index is not None and second_index is not None:
        geometry_columns = {first_index, second_index}
        build, note = _coordinate_builder(rows, first_index, second_index, header, path.name)
        notes.append(note)
    else:
        raise ReadError("csv_no_coordinates", name=path.name, columns=header)

    records: list[SourceRecord] = []
    for line, cells in rows:
        attributes = {
            header[i]: (cells[i].strip() if i < len(cells) else None)
            for i in range(len(header))
            if i not in geometry_columns and header[i]
        }
        geometry, problem, detail = build(cells)
        records.append(
            SourceRecord(f"row {line}", geometry, attributes, problem=problem, detail=detail)
        )

    column_encodings = {
        header[i]: encoding for i, encoding in decoded.column_encodings.items() if i < len(header)
    }
    undecodable = [header[i] for i in decoded.undecodable_columns if i < len(header)]
    for column in undecodable:
        for record in records:
            value = record.attributes.get(column)
            if isinstance(value, str) and "\ufffd" in value:
                record.problem, record.detail = "undecodable_text", column
    return SourceData(
        format="CSV",
        records=records,
        declared_crs=None,
        encoding=decoded.encoding,
        encoding_source="detected",
        layer_name=path.stem,
        layers=[path.stem],
        columns=[h for i, h in enumerate(header) if i not in geometry_columns and h],
        column_encodings=column_encodings,
        undecodable=undecodable,
        notes=notes,
    )


def _find_column(normalised: dict[str, int], names: Iterable[str]) -> int | None:
    for name in names:
        if name in normalised:
            return normalised[name]
    return None


Builder = Any  # Callable[[list[str]], tuple[BaseGeometry | None, str, str]]


def _wkt_builder(index: int) -> Builder:
    def build(cells: list[str]) -> tuple[BaseGeometry | None, str, str]:
        text = cells[index].strip() if index < len(cells) else ""
        if not text:
            return None, "", ""
        try:
            return shapely.from_wkt(text), "", ""
        except shapely.errors.GEOSException as error:
            return None, "invalid_wkt", _first_line(error)

    return build


def parse_number(text: str) -> float:
    """Parse a coordinate written with a decimal point or a Vietnamese decimal comma."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in cleaned and "." in cleaned:
        # "2.345.678,9" (Vietnamese) or "2,345,678.9" (English): the last separator is decimal.
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _coordinate_builder(
    rows: list[tuple[int, list[str]]],
    first: int,
    second: int,
    header: list[str],
    name: str,
) -> tuple[Builder, tuple[str, dict[str, Any]]]:
    """Decide which column is the easting (or longitude) from the ranges of their values."""
    firsts, seconds = [], []
    for _line, cells in rows:
        try:
            firsts.append(parse_number(cells[first]))
            seconds.append(parse_number(cells[second]))
        except (ValueError, IndexError):
            continue
    if not firsts:
        raise ReadError("csv_no_coordinates", name=name, columns=header)
    first_span = (min(firsts), max(firsts))
    second_span = (min(seconds), max(seconds))
    columns = {"first": header[first], "second": header[second]}

    swap = False
    lonlat = crs_module.lonlat_axis_order(first_span, second_span)
    metric = crs_module.vn2000_axis_order(first_span, second_span)
    if lonlat is not None:
        swap = lonlat == "lat-first"
        note = ("csv_lonlat_swapped" if swap else "csv_lonlat", columns)
    elif metric is not None:
        swap = metric == "northing-first"
        note = ("csv_vn2000_northing_first" if swap else "csv_vn2000_easting_first", columns)
    else:
        note = ("csv_coordinates_unknown", columns)
    x_index, y_index = (second, first) if swap else (first, second)

    def build(cells: list[str]) -> tuple[BaseGeometry | None, str, str]:
        x_text = cells[x_index].strip() if x_index < len(cells) else ""
        y_text = cells[y_index].strip() if y_index < len(cells) else ""
        if not x_text and not y_text:
            return None, "", ""
        try:
            return Point(parse_number(x_text), parse_number(y_text)), "", ""
        except ValueError:
            return None, "invalid_coordinates", f"{x_text!r}, {y_text!r}"

    return build, note


# --- OpenStreetMap ---------------------------------------------------------------------------

OSM_ROADS = "roads"
OSM_WATERWAYS = "waterways"
OSM_PLACES = "places"
OSM_POIS = "pois"
# Keys whose presence makes an OSM object a point of interest, in order of preference.
POI_KEYS = ("amenity", "shop", "tourism", "leisure", "healthcare", "office", "historic", "craft")
_OTHER_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


@dataclass
class OsmData:
    """Records of an OSM extract sorted into the four base-map categories."""

    records: dict[str, list[SourceRecord]]
    read: int


def read_osm(path: Path, bbox: tuple[float, float, float, float] | None = None) -> OsmData:
    """Read roads, waterways, places and points of interest from an ``.osm.pbf`` file.

    Each record has ``ten`` (name:vi, else name), ``loai`` (the tag's value) and ``osm_id``
    ("node/123", "way/45", "relation/6"), which is also its ``external_id``. Areas tagged
    as places or points of interest become their representative point. ``bbox`` (WGS 84)
    limits the objects read.
    """
    if not path.is_file():
        raise ReadError("file_not_found", path=str(path))
    source = str(path)
    layers = _list_layers(source, path.name)
    result: dict[str, list[SourceRecord]] = {
        key: [] for key in (OSM_ROADS, OSM_WATERWAYS, OSM_PLACES, OSM_POIS)
    }
    read = 0
    for layer in ("points", "lines", "multipolygons"):
        if layer not in layers:
            continue
        options: dict[str, Any] = {"layer": layer}
        if bbox is not None:
            options["bbox"] = bbox
        meta, _fids, wkb, field_data = _raw_read(source, path.name, **options)
        fields = [str(f) for f in meta["fields"]]
        # An OSM way that GEOS cannot build (an unclosed area) arrives without a geometry and
        # goes to quarantine as such.
        geometries, _errors = _parse_wkb(wkb)
        for index, geometry in enumerate(geometries):
            read += 1
            values = {f: _python_value(field_data[i][index]) for i, f in enumerate(fields)}
            tags = _osm_tags(values)
            osm_id = _osm_id(layer, values)
            for category, kind in _osm_categories(layer, tags):
                shape = geometry
                if category in (OSM_PLACES, OSM_POIS) and layer == "multipolygons":
                    shape = geometry.representative_point() if geometry is not None else None
                attributes = {
                    "ten": tags.get("name:vi") or tags.get("name") or "",
                    "loai": kind,
                    "osm_id": osm_id,
                }
                result[category].append(
                    SourceRecord(f"feature {read}", shape, attributes, external_id=osm_id)
                )
    return OsmData(records=result, read=read)


def _osm_tags(values: dict[str, Any]) -> dict[str, str]:
    tags = {
        key: str(value)
        for key, value in values.items()
        if key not in ("osm_id", "osm_way_id", "other_tags", "z_order") and value not in (None, "")
    }
    for key, value in _OTHER_TAG.findall(values.get("other_tags") or ""):
        tags.setdefault(key.replace('\\"', '"'), value.replace('\\"', '"'))
    return tags


def _osm_id(layer: str, values: dict[str, Any]) -> str:
    if layer == "points":
        return f"node/{values.get('osm_id')}"
    if layer == "lines":
        return f"way/{values.get('osm_id')}"
    if values.get("osm_id"):
        return f"relation/{values['osm_id']}"
    return f"way/{values.get('osm_way_id')}"


def _osm_categories(layer: str, tags: dict[str, str]) -> list[tuple[str, str]]:
    """Return the (category, kind) pairs an OSM object belongs to; most belong to one."""
    if layer == "lines":
        if "highway" in tags:
            return [(OSM_ROADS, tags["highway"])]
        if "waterway" in tags:
            return [(OSM_WATERWAYS, tags["waterway"])]
        return []
    if "place" in tags:
        return [(OSM_PLACES, tags["place"])]
    for key in POI_KEYS:
        if key in tags:
            return [(OSM_POIS, tags[key])]
    return []
