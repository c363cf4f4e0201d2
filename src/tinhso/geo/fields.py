"""A geometry model field that stores shapely geometries on SQLite and on PostGIS."""

from __future__ import annotations

import json
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext_lazy as _
from shapely.geometry.base import BaseGeometry

GEOMETRY_TYPES = {
    "GEOMETRY",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
}


class GeometryField(models.Field):
    """A geometry in one CRS (``srid``), read and written as a shapely geometry.

    PostGIS stores it as ``geometry(TYPE, SRID)`` and returns hex EWKB; SQLite stores
    plain WKB in a blob. Spatial filters go through :mod:`tinhso.geo.storage`, which
    uses bounding-box columns on SQLite and ST_* functions on PostGIS.
    """

    description = _("Geometry")

    def __init__(
        self, *args: Any, srid: int = 4326, geometry_type: str = "GEOMETRY", **kwargs: Any
    ) -> None:
        if geometry_type.upper() not in GEOMETRY_TYPES:
            raise ValueError(f"unknown geometry type {geometry_type!r}")
        self.srid = srid
        self.geometry_type = geometry_type.upper()
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["srid"] = self.srid
        kwargs["geometry_type"] = self.geometry_type
        return name, path, args, kwargs

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        if connection.vendor == "postgresql":
            return f"geometry({self.geometry_type},{self.srid})"
        return "blob"

    def from_db_value(
        self, value: Any, expression: Any, connection: BaseDatabaseWrapper
    ) -> BaseGeometry | None:
        if value is None:
            return None
        if isinstance(value, str):
            return shapely.from_wkb(bytes.fromhex(value))
        return shapely.from_wkb(bytes(value))

    def to_python(self, value: Any) -> BaseGeometry | None:
        if value is None or isinstance(value, BaseGeometry):
            return value
        try:
            if isinstance(value, dict):
                return shapely.geometry.shape(value)
            if isinstance(value, bytes | memoryview):
                return shapely.from_wkb(bytes(value))
            text = str(value).strip()
            if text.startswith("{"):
                return shapely.geometry.shape(json.loads(text))
            return shapely.from_wkt(text)
        except (ValueError, TypeError, shapely.errors.GEOSException) as error:
            raise ValidationError(
                _("Not a valid geometry: %(error)s"),
                code="invalid_geometry",
                params={"error": error},
            ) from error

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        geometry = self.to_python(value)
        if geometry is None:
            return None
        if connection.vendor == "postgresql":
            return shapely.to_wkb(
                shapely.set_srid(geometry, self.srid), hex=True, include_srid=True
            )
        return shapely.to_wkb(geometry)

    def value_to_string(self, obj: models.Model) -> str:
        geometry = self.value_from_object(obj)
        return "" if geometry is None else geometry.wkt
