"""Built-in reference data: Vietnam's administrative units before and after 1 July 2025.

The data comes from the ``vietnamadminunits`` package (MIT licence), which ships the 63
provinces with their districts and communes valid until 30 June 2025, the 34 provinces and
their communes valid from 1 July 2025, and the official conversion between the two. A
first run therefore needs no files. Loading is idempotent: units and links that exist
already are left as they are.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Any

from django.db import transaction

from tinhso.core import audit
from tinhso.core.models import AuditAction, LinkKind, Unit, UnitLevel, UnitLink, UnitType
from tinhso.core.services.units import COUNTRY_CODE, DAY_BEFORE_REFORM, REFORM_DATE
from tinhso.text import fold

logger = logging.getLogger(__name__)

PACKAGE = "vietnamadminunits"

COMMUNE_TYPES = {
    "Xã": UnitType.XA,
    "Phường": UnitType.PHUONG,
    "Thị trấn": UnitType.THI_TRAN,
    "Đặc khu": UnitType.DAC_KHU,
}
DISTRICT_TYPES = {
    "Huyện": UnitType.HUYEN,
    "Quận": UnitType.QUAN,
    "Thị xã": UnitType.THI_XA,
    # NOTE: Thủ Đức is a city under a centrally governed city, a type the law names apart;
    # it is stored as a provincial city here.
    "Thành phố": UnitType.THANH_PHO_THUOC_TINH,
}

UnitKey = tuple[str, int, bool]  # (code, level, is_current)


@dataclass
class ReferenceLoadResult:
    units_created: int
    links_created: int
    source: str


def source_label() -> str:
    return f"{PACKAGE} {metadata.version(PACKAGE)}"


def _rows(table: str) -> list[dict[str, Any]]:
    from vietnamadminunits.database import query

    allowed = {"admin_units", "admin_units_legacy"}
    if table not in allowed:
        raise ValueError(table)
    return list(query(f"SELECT * FROM {table}"))  # noqa: S608 (table name from a fixed set)


def _converter() -> dict[str, Any]:
    data_file = resources.files(PACKAGE).joinpath("data/converter_2025.json")
    return dict(json.loads(data_file.read_text(encoding="utf-8")))


def _province_type(name: str) -> UnitType:
    return (
        UnitType.THANH_PHO_TRUC_THUOC_TRUNG_UONG if name.startswith("Thành phố") else UnitType.TINH
    )


def _unit(
    code: str,
    name: str,
    short_name: str,
    unit_type: UnitType,
    level: UnitLevel,
    *,
    current: bool,
    lon: float | None,
    lat: float | None,
    area_km2: float | None = None,
    source: str,
) -> Unit:
    return Unit(
        code=code,
        name=name,
        short_name=short_name or "",
        type=unit_type,
        level=level,
        valid_from=REFORM_DATE if current else None,
        valid_to=None if current else DAY_BEFORE_REFORM,
        centroid_lon=lon,
        centroid_lat=lat,
        area_km2=area_km2,
        search_name=fold(name),
        source=source,
    )


def load_reference_units() -> ReferenceLoadResult:
    """Create every unit and succession link of the package that is not in the database yet."""
    source = source_label()
    existing: dict[UnitKey, int] = {
        (code, level, valid_to is None): pk
        for pk, code, level, valid_to in Unit.objects.values_list("id", "code", "level", "valid_to")
    }
    created = 0

    with transaction.atomic():
        current_rows = _rows("admin_units")
        legacy_rows = _rows("admin_units_legacy")

        created += _create_units(_country(source), existing, parents={})
        created += _create_units(_current_provinces(current_rows, source), existing, parents={})
        created += _create_units(
            _current_communes(current_rows, source), existing, parents={"province": True}
        )
        created += _create_units(_legacy_provinces(legacy_rows, source), existing, parents={})
        created += _create_units(
            _legacy_districts(legacy_rows, source), existing, parents={"province": False}
        )
        created += _create_units(
            _legacy_communes(legacy_rows, source), existing, parents={"district": False}
        )

        links = _reference_links(current_rows, legacy_rows, existing, source)
        known_pairs = set(UnitLink.objects.values_list("predecessor_id", "successor_id"))
        new_links = [
            link for link in links if (link.predecessor_id, link.successor_id) not in known_pairs
        ]
        UnitLink.objects.bulk_create(new_links, batch_size=2000)
        if created:
            drop_misplaced_centres()

        if created or new_links:
            audit.record(
                AuditAction.IMPORT,
                None,
                object_type="core.unit",
                object_repr=source,
                extra={"units_created": created, "links_created": len(new_links)},
            )

    logger.info("Reference data %s: %s units and %s links created", source, created, len(new_links))
    return ReferenceLoadResult(units_created=created, links_created=len(new_links), source=source)


# Each generator yields (unit, parent key or None); the parent must already exist.
PendingUnit = tuple[Unit, UnitKey | None]


def _create_units(
    pending: Iterator[PendingUnit], existing: dict[UnitKey, int], parents: dict[str, bool]
) -> int:
    to_create: list[Unit] = []
    seen: set[UnitKey] = set()
    for unit, parent_key in pending:
        key = (unit.code, unit.level, unit.valid_to is None)
        if key in existing or key in seen:
            continue
        seen.add(key)
        if parent_key is not None:
            unit.parent_id = existing.get(parent_key)
        to_create.append(unit)
    Unit.objects.bulk_create(to_create, batch_size=2000)
    created_rows = Unit.objects.filter(
        code__in={u.code for u in to_create}, level__in={u.level for u in to_create}
    ).values_list("id", "code", "level", "valid_to")
    for pk, code, level, valid_to in created_rows:
        existing[(code, level, valid_to is None)] = pk
    return len(to_create)


def _country(source: str) -> Iterator[PendingUnit]:
    country = _unit(
        COUNTRY_CODE, "Việt Nam", "Việt Nam", UnitType.QUOC_GIA, UnitLevel.COUNTRY,
        current=True, lon=105.85, lat=21.03, source=source,
    )  # fmt: skip
    country.valid_from = None  # the country predates every reform in the data
    yield country, None


def _current_provinces(rows: list[dict[str, Any]], source: str) -> Iterator[PendingUnit]:
    for row in rows:
        yield (
            _unit(
                row["provinceCode"].zfill(2),
                row["province"],
                row["provinceShort"],
                _province_type(row["province"]),
                UnitLevel.PROVINCE,
                current=True,
                lon=row["provinceLon"],
                lat=row["provinceLat"],
                source=source,
            ),
            None,
        )


def _current_communes(rows: list[dict[str, Any]], source: str) -> Iterator[PendingUnit]:
    for row in rows:
        yield (
            _unit(
                row["wardCode"].zfill(5),
                row["ward"],
                row["wardShort"],
                COMMUNE_TYPES[row["wardType"]],
                UnitLevel.COMMUNE,
                current=True,
                lon=row["wardLon"],
                lat=row["wardLat"],
                area_km2=row["wardAreaKm2"],
                source=source,
            ),
            (row["provinceCode"].zfill(2), UnitLevel.PROVINCE, True),
        )


def _legacy_provinces(rows: list[dict[str, Any]], source: str) -> Iterator[PendingUnit]:
    for row in rows:
        yield (
            _unit(
                row["provinceCode"].zfill(2),
                row["province"],
                row["provinceShort"],
                _province_type(row["province"]),
                UnitLevel.PROVINCE,
                current=False,
                lon=row["provinceLon"],
                lat=row["provinceLat"],
                source=source,
            ),
            None,
        )


def _legacy_districts(rows: list[dict[str, Any]], source: str) -> Iterator[PendingUnit]:
    for row in rows:
        yield (
            _unit(
                row["districtCode"].zfill(3),
                row["district"],
                row["districtShort"],
                DISTRICT_TYPES[row["districtType"]],
                UnitLevel.DISTRICT,
                current=False,
                lon=row["districtLon"],
                lat=row["districtLat"],
                source=source,
            ),
            (row["provinceCode"].zfill(2), UnitLevel.PROVINCE, False),
        )


def _legacy_communes(rows: list[dict[str, Any]], source: str) -> Iterator[PendingUnit]:
    for row in rows:
        if not row["wardCode"]:
            continue  # island districts without communes
        yield (
            _unit(
                row["wardCode"].zfill(5),
                row["ward"],
                row["wardShort"],
                COMMUNE_TYPES[row["wardType"]],
                UnitLevel.COMMUNE,
                current=False,
                lon=row["wardLon"],
                lat=row["wardLat"],
                source=source,
            ),
            (row["districtCode"].zfill(3), UnitLevel.DISTRICT, False),
        )


# Degrees (about 55 km) between a commune's centre and the places it should be near.
MISPLACED_CENTRE_DEGREES = 0.5


def drop_misplaced_centres() -> list[str]:
    """Clear the centres of old communes that the package placed in the wrong area.

    A centre is misplaced when it is far both from the median centre of the commune's
    district and from every commune that succeeded it; Xã Lương Điền of Vĩnh Tường, placed
    in Hải Dương, is one. An island far from its district stays, because its successor is
    the same island. Returns the codes cleared.
    """
    communes = [
        (pk, code, district_id, (lon, lat))
        for pk, code, district_id, lon, lat in Unit.objects.filter(
            level=UnitLevel.COMMUNE, valid_to=DAY_BEFORE_REFORM
        ).values_list("id", "code", "parent_id", "centroid_lon", "centroid_lat")
        if lon is not None and lat is not None
    ]
    by_district: dict[int, list[tuple[float, float]]] = {}
    for _pk, _code, district_id, point in communes:
        by_district.setdefault(district_id, []).append(point)
    medians = {
        district_id: (
            statistics.median(p[0] for p in points),
            statistics.median(p[1] for p in points),
        )
        for district_id, points in by_district.items()
    }
    successors: dict[int, list[tuple[float, float]]] = {}
    for predecessor_id, lon, lat in UnitLink.objects.filter(
        predecessor__level=UnitLevel.COMMUNE, successor__centroid_lon__isnull=False
    ).values_list("predecessor_id", "successor__centroid_lon", "successor__centroid_lat"):
        if lon is not None and lat is not None:
            successors.setdefault(predecessor_id, []).append((lon, lat))

    def far(point: tuple[float, float], other: tuple[float, float]) -> bool:
        return max(abs(point[0] - other[0]), abs(point[1] - other[1])) > MISPLACED_CENTRE_DEGREES

    misplaced = [
        (pk, code)
        for pk, code, district_id, point in communes
        if far(point, medians[district_id])
        and all(far(point, other) for other in successors.get(pk, []))
    ]
    Unit.objects.filter(pk__in=[pk for pk, _code in misplaced]).update(
        centroid_lon=None, centroid_lat=None
    )
    if misplaced:
        logger.warning(
            "Reference data: cleared the misplaced centres of %s old communes: %s",
            len(misplaced),
            ", ".join(code for _pk, code in misplaced),
        )
    return [code for _pk, code in misplaced]


def _reference_links(
    current_rows: list[dict[str, Any]],
    legacy_rows: list[dict[str, Any]],
    existing: dict[UnitKey, int],
    source: str,
) -> list[UnitLink]:
    """Province and commune links from the package's conversion table."""
    converter = _converter()
    new_province = {row["provinceKey"]: row["provinceCode"].zfill(2) for row in current_rows}
    old_province = {row["provinceKey"]: row["provinceCode"].zfill(2) for row in legacy_rows}
    new_commune = {
        (row["provinceKey"], row["wardKey"]): row["wardCode"].zfill(5) for row in current_rows
    }
    old_commune = {
        f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}": row["wardCode"].zfill(5)
        for row in legacy_rows
        if row["wardCode"]
    }

    pairs: dict[tuple[int, int], bool] = {}  # (old id, new id) -> partly
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        new_id = existing[(new_province[new_key], UnitLevel.PROVINCE, True)]
        for old_key in old_keys:
            pairs[(existing[(old_province[old_key], UnitLevel.PROVINCE, False)], new_id)] = False

    unresolved = 0
    for province_key, communes in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in communes.items():
            commune_id = existing.get(
                (new_commune.get((province_key, ward_key), ""), UnitLevel.COMMUNE, True)
            )
            for old_key in old_keys:
                old_id = existing.get((old_commune.get(old_key, ""), UnitLevel.COMMUNE, False))
                if commune_id is None or old_id is None:
                    unresolved += 1
                    continue
                pairs.setdefault((old_id, commune_id), False)

    for province_key, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in divided.items():
            old_id = existing.get((old_commune.get(old_key, ""), UnitLevel.COMMUNE, False))
            for target in targets:
                target_id = existing.get(
                    (
                        new_commune.get((province_key, target["newWardKey"]), ""),
                        UnitLevel.COMMUNE,
                        True,
                    )
                )
                if target_id is None or old_id is None:
                    unresolved += 1
                    continue
                pairs[(old_id, target_id)] = True
    if unresolved:
        logger.warning(
            "Reference conversion: %s old/new pairs name units the package lacks", unresolved
        )

    return _links_from_pairs(pairs, source)


def _links_from_pairs(pairs: dict[tuple[int, int], bool], source: str) -> list[UnitLink]:
    """Classify each pair as merge, split, rename or transfer from the shape of the mapping."""
    successors_of: dict[int, int] = {}
    predecessors_of: dict[int, int] = {}
    for old_id, new_id in pairs:
        successors_of[old_id] = successors_of.get(old_id, 0) + 1
        predecessors_of[new_id] = predecessors_of.get(new_id, 0) + 1
    names = dict(
        Unit.objects.filter(id__in={i for pair in pairs for i in pair}).values_list("id", "name")
    )

    links = []
    for (old_id, new_id), partly in pairs.items():
        links.append(
            UnitLink(
                predecessor_id=old_id,
                successor_id=new_id,
                kind=link_kind(
                    partly=partly,
                    successors=successors_of[old_id],
                    predecessors=predecessors_of[new_id],
                    renamed=names.get(old_id) != names.get(new_id),
                ),
                partly=partly,
                effective_date=REFORM_DATE,
                source=source,
            )
        )
    return links


def link_kind(*, partly: bool, successors: int, predecessors: int, renamed: bool) -> LinkKind:
    """The kind of a succession link from how many units sit on each side of it."""
    if partly or successors > 1:
        return LinkKind.SPLIT
    if predecessors > 1:
        return LinkKind.MERGE
    return LinkKind.RENAME if renamed else LinkKind.TRANSFER
