"""Writing exported features as a GeoJSON file or a zipped ESRI Shapefile.

No Django here. The caller selects the features and strips the attributes the reader may not
see; this module only writes them. A Shapefile (dBASE) limits attribute names to 10 ASCII
characters, so names are shortened uniquely and a mapping file lists them. A Shapefile
contains one geometry family, so a layer of mixed geometries becomes one file per family.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely
from pyproj import CRS
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

# The maximum number of features in one export; a larger selection must be split.
MAX_EXPORT_FEATURES = 50_000
DBF_NAME_LENGTH = 10
# dBASE character fields hold at most 254 bytes.
DBF_TEXT_BYTES = 254
MAPPING_FILE = "field_names.csv"
FAMILIES = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}
MULTI_TYPES = {"point": "MultiPoint", "line": "MultiLineString", "polygon": "MultiPolygon"}


@dataclass(frozen=True)
class Column:
    """One attribute of the export: its name, schema type (string, integer, ...) and label."""

    name: str
    type: str = "string"
    label: str = ""


@dataclass(frozen=True)
class ExportFeature:
    feature_id: int
    geometry: BaseGeometry
    properties: dict[str, Any]


def geojson_bytes(features: Iterable[ExportFeature], name: str) -> bytes:
    """Serialise a GeoJSON FeatureCollection as UTF-8, with Vietnamese text left unescaped."""
    collection = {
        "type": "FeatureCollection",
        "name": name,
        "features": [
            {
                "type": "Feature",
                "id": item.feature_id,
                "geometry": mapping(item.geometry),
                "properties": item.properties,
            }
            for item in features
        ],
    }
    return json.dumps(collection, ensure_ascii=False, default=str).encode("utf-8")


def ascii_name(name: str) -> str:
    """``name`` folded to ASCII letters, digits and underscores ("Số hộ" -> "so_ho")."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", stripped).strip("_")
    return cleaned or "field"


def short_field_names(names: Sequence[str], length: int = DBF_NAME_LENGTH) -> dict[str, str]:
    """Map each attribute name to a unique ASCII name of at most ``length`` characters.

    Names compare case-insensitively, as dBASE does. A clash gets a numbered tail:
    ``so_nguoi_c`` then ``so_nguoi_1``.
    """
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        base = ascii_name(name)[:length]
        candidate = base
        counter = 1
        while candidate.lower() in taken:
            tail = str(counter)
            candidate = base[: length - len(tail)] + tail
            counter += 1
        taken.add(candidate.lower())
        result[name] = candidate
    return result


def _family(geometry: BaseGeometry) -> str | None:
    return FAMILIES.get(geometry.geom_type)


def _field_array(column: Column, values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Values of one column as a typed numpy array and its null mask."""
    mask = np.array([value is None for value in values], dtype=bool)
    if column.type == "integer":
        data = np.array([0 if value is None else int(value) for value in values], dtype=np.int64)
    elif column.type == "number":
        data = np.array(
            [0.0 if value is None else float(value) for value in values], dtype=np.float64
        )
    else:
        data = np.array(
            ["" if value is None else _dbf_text(value) for value in values], dtype=object
        )
    return data, mask


def _dbf_text(value: Any) -> str:
    """``value`` as text cut to the 254 bytes a dBASE field holds, never inside a character."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    encoded = text.encode("utf-8")
    if len(encoded) <= DBF_TEXT_BYTES:
        return text
    return encoded[:DBF_TEXT_BYTES].decode("utf-8", errors="ignore")


def _write_shapefile(
    folder: Path,
    basename: str,
    family: str,
    features: list[ExportFeature],
    columns: Sequence[Column],
    short: dict[str, str],
    crs_text: str,
) -> None:
    geometries = np.array([shapely.to_wkb(item.geometry) for item in features], dtype=object)
    field_data = []
    masks = []
    for column in columns:
        data, mask = _field_array(column, [item.properties.get(column.name) for item in features])
        field_data.append(data)
        masks.append(mask)
    pyogrio.raw.write(
        str(folder / f"{basename}.shp"),
        geometries,
        field_data,
        [short[column.name] for column in columns],
        field_mask=masks,
        driver="ESRI Shapefile",
        geometry_type=MULTI_TYPES[family],
        promote_to_multi=True,
        crs=CRS.from_user_input(crs_text).to_wkt(),
        encoding="UTF-8",
    )


def _mapping_csv(columns: Sequence[Column], short: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["shapefile_field", "attribute", "label"])
    for column in columns:
        writer.writerow([short[column.name], column.name, column.label])
    # A byte-order mark lets spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def shapefile_zip(
    features: list[ExportFeature],
    columns: Sequence[Column],
    basename: str,
    crs_text: str = "EPSG:4326",
) -> bytes:
    """Zip ``basename``.shp/.shx/.dbf/.prj/.cpg (one set per geometry family) and the name mapping.

    Geometries must already be in ``crs_text``. Geometry collections, which a Shapefile
    cannot contain, are left out and logged.
    """
    short = short_field_names([column.name for column in columns])
    by_family: dict[str, list[ExportFeature]] = {}
    for item in features:
        family = _family(item.geometry)
        if family is None:
            logger.warning(
                "Feature %s is a %s, which a Shapefile cannot hold; left out of the export",
                item.feature_id,
                item.geometry.geom_type,
            )
            continue
        by_family.setdefault(family, []).append(item)

    archive = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="tinhso-export-") as temp:
        folder = Path(temp)
        for family, items in sorted(by_family.items()):
            name = basename if len(by_family) == 1 else f"{basename}_{family}"
            _write_shapefile(folder, name, family, items, columns, short, crs_text)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(folder.iterdir()):
                bundle.write(path, path.name)
            bundle.writestr(MAPPING_FILE, _mapping_csv(columns, short))
    return archive.getvalue()
