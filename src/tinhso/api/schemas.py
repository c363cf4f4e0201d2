"""Response schemas of the API (they also shape the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str


class UnitRef(Schema):
    code: str
    name: str
    level: int
    valid_from: dt.date | None
    valid_to: dt.date | None


class UnitOut(Schema):
    code: str
    name: str
    short_name: str
    type: str
    type_label: str
    level: int
    parent: str | None
    parent_name: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    centroid: list[float] | None
    area_km2: float | None


class UnitLinkOut(Schema):
    unit: UnitRef
    kind: str
    partly: bool
    effective_date: dt.date


class UnitDetailOut(UnitOut):
    predecessors: list[UnitLinkOut]
    successors: list[UnitLinkOut]
    has_boundary: bool
    children_count: int


class UnitPage(Schema):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None
    results: list[UnitOut]


class ApiRoot(Schema):
    name: str
    version: str
    openapi: str
    resources: dict[str, str]


GeoJSON = dict[str, Any]
