"""Turning units into API dicts."""

from __future__ import annotations

from typing import Any

from tinhso.core.models import Unit, UnitLink


def unit_ref(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
    }


def unit_dict(unit: Unit) -> dict[str, Any]:
    parent = unit.parent
    centroid = None
    if unit.centroid_lon is not None and unit.centroid_lat is not None:
        centroid = [unit.centroid_lon, unit.centroid_lat]
    return {
        **unit_ref(unit),
        "short_name": unit.short_name,
        "type": unit.type,
        "type_label": str(unit.get_type_display()),
        "parent": parent.code if parent else None,
        "parent_name": parent.name if parent else None,
        "centroid": centroid,
        "area_km2": unit.area_km2,
    }


def link_dict(link: UnitLink, other: Unit) -> dict[str, Any]:
    return {
        "unit": unit_ref(other),
        "kind": link.kind,
        "partly": link.partly,
        "effective_date": link.effective_date,
    }
