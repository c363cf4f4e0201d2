"""Boundary changes before the 2025 reform that the reference package does not record.

The package knows the units valid just before and after 1 July 2025. Statistics reach back
further, and a series that crosses an older change would otherwise read as growth or loss.
Each change here is applied by ``tinhso units load-reference`` and is idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction

from tinhso.core import audit
from tinhso.core.models import AuditAction, LinkKind, Unit, UnitLevel, UnitLink

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistrictTransfer:
    """A district that moved from one province to another on ``effective``."""

    district_code: str
    district_name: str
    from_province: str
    to_province: str
    effective: dt.date
    document: str


# Resolution 15/2008/QH12 of the National Assembly (29 May 2008) moved Mê Linh district from
# Vĩnh Phúc to Hà Nội from 1 August 2008; Vĩnh Phúc's population series drops that year.
TRANSFERS = [
    DistrictTransfer(
        district_code="250",
        district_name="Huyện Mê Linh",
        from_province="26",
        to_province="01",
        effective=dt.date(2008, 8, 1),
        document="Nghị quyết 15/2008/QH12",
    ),
]


def apply_transfers() -> int:
    """Record every transfer not recorded yet; return how many were recorded."""
    recorded = 0
    for transfer in TRANSFERS:
        with transaction.atomic():
            recorded += _apply(transfer)
    return recorded


def _apply(transfer: DistrictTransfer) -> int:
    day_before = transfer.effective - dt.timedelta(days=1)
    if Unit.objects.filter(
        code=transfer.district_code, level=UnitLevel.DISTRICT, valid_to=day_before
    ).exists():
        return 0

    later = (
        Unit.objects.filter(
            code=transfer.district_code, level=UnitLevel.DISTRICT, parent__code=transfer.to_province
        )
        .order_by("valid_to")
        .first()
    )
    old_province = (
        Unit.objects.filter(code=transfer.from_province, level=UnitLevel.PROVINCE)
        .order_by("valid_to")
        .first()
    )
    if later is None or old_province is None:
        logger.warning(
            "Cannot record the transfer of %s: its units are not loaded", transfer.district_code
        )
        return 0

    earlier = Unit(
        code=transfer.district_code,
        name=transfer.district_name,
        short_name=later.short_name,
        type=later.type,
        level=UnitLevel.DISTRICT,
        parent=old_province,
        valid_from=None,
        valid_to=day_before,
        centroid_lon=later.centroid_lon,
        centroid_lat=later.centroid_lat,
        source=transfer.document,
    )
    earlier.save()
    later.valid_from = transfer.effective
    later.save(update_fields=["valid_from"])
    UnitLink.objects.create(
        predecessor=earlier,
        successor=later,
        kind=LinkKind.TRANSFER,
        partly=False,
        effective_date=transfer.effective,
        source=transfer.document,
    )
    audit.record(
        AuditAction.IMPORT,
        earlier,
        extra={"transfer": transfer.document, "to_province": transfer.to_province},
    )
    logger.info(
        "Recorded the transfer of %s to province %s", transfer.district_name, transfer.to_province
    )
    return 1


def boundary_changes(province: Unit, after: dt.date, until: dt.date) -> list[UnitLink]:
    """Links effective in (``after``, ``until``] that moved a unit into or out of ``province``."""
    links = UnitLink.objects.filter(
        effective_date__gt=after, effective_date__lte=until
    ).select_related("predecessor__parent", "successor__parent")
    return [
        link
        for link in links
        if link.predecessor.parent_id == province.pk or link.successor.parent_id == province.pk
    ]
