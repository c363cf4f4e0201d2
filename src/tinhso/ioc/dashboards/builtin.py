"""The built-in sectors and their dashboards, created idempotently by a data migration.

Sectors bind indicators by the ``sector`` field of their groups: the General Statistics
Office importer writes the English category of the PX-Web table there ("Education"), the
built-in groups and sector templates write a slug ("ngan-sach").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

OVERVIEW_SLUG = "tong-quan"


@dataclass(frozen=True)
class SectorSpec:
    code: str
    name: str
    name_en: str
    group_sectors: tuple[str, ...]
    group_codes: tuple[str, ...] = ()


BUILTIN_SECTORS = (
    SectorSpec(
        "kinh-te",
        "Kinh tế",
        "Economy",
        (
            "kinh-te",
            "National Accounts",
            "Industry",
            "Agriculture, Forestry and Fishery",
            "Trade, Price and Tourism",
            "Transport, Postal Services and Telecommunications",
        ),
    ),
    SectorSpec("ngan-sach", "Ngân sách", "Budget", ("ngan-sach",), ("ns-mof",)),
    SectorSpec("dau-tu", "Đầu tư", "Investment", ("dau-tu", "Investment and Construction")),
    SectorSpec("giao-duc", "Giáo dục", "Education", ("giao-duc", "Education")),
    SectorSpec("y-te", "Y tế", "Health", ("y-te", "Health, Culture and Living Standard")),
    SectorSpec(
        "an-ninh-trat-tu", "An ninh, trật tự", "Security and order", ("an-ninh-trat-tu", "an-ninh")
    ),
)


# Indicators a provincial leader reads first, in this order, when no administrator composed
# the overview's cards: the codes the GSO importer and the budget group create.
HEADLINE_INDICATORS = (
    "gso.index-of-industrial-production-by-province",
    "gso.retail-sales-of-goods-and-services-at-current-prices-by-province",
    "ns-mof.thu-nsnn-tren-dia-ban",
    "ns-mof.chi-nsdp",
    "gso.foreign-direct-investment-projects-licensed-by-province-accum-1ff752f1.total-registered-capital-mill-usd",
    "gso.average-population-by-province.total",
    "gso.number-of-pupils-of-general-education-as-of-30-september-by-province.total",
    "gso.poverty-rate-by-province",
)


def sector_dashboard_slug(sector_code: str) -> str:
    return f"linh-vuc-{sector_code}"


def ensure_builtin(sector_model: Any, dashboard_model: Any) -> int:
    """Create the built-in sectors and their dashboards where missing; return how many were new.

    Takes the model classes so that a data migration can pass its historical models.
    Existing rows are left as administrators edited them.
    """
    created = 0
    for position, spec in enumerate(BUILTIN_SECTORS, start=1):
        sector, new = sector_model.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "group_sectors": list(spec.group_sectors),
                "group_codes": list(spec.group_codes),
                "position": position * 10,
                "built_in": True,
            },
        )
        created += int(new)
        _, new = dashboard_model.objects.get_or_create(
            slug=sector_dashboard_slug(spec.code),
            defaults={"title": spec.name, "sector": sector, "roles": []},
        )
        created += int(new)
    _, new = dashboard_model.objects.get_or_create(
        slug=OVERVIEW_SLUG,
        defaults={
            "title": "Tổng quan",
            "description": "Các thẻ của trang tổng quan; khi chưa có thẻ nào, trang tự chọn chỉ tiêu có số liệu.",
            "roles": [],
        },
    )
    created += int(new)
    if created:
        logger.info("Created %s built-in sectors and dashboards", created)
    return created
