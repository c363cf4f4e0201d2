"""Built-in indicator groups whose files have a fixed layout, with their import templates.

A group's template names the column of the unit, the column of the period and one column
per indicator. Files keep the column names of their source (``total.rev``), so each
indicator has an alias that the file importer accepts beside its code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from tinhso.ioc.models import Aggregation, Indicator, IndicatorGroup, ValueType

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    column: str
    name: str
    name_en: str
    description: str
    value_type: str = ValueType.NUMBER
    unit_of_measure: str = ""
    aggregation: str = Aggregation.SUM
    decimals: int = 0


@dataclass(frozen=True)
class GroupSpec:
    code: str
    name: str
    name_en: str
    sector: str
    source: str
    unit_columns: tuple[str, ...]
    period_columns: tuple[str, ...]
    indicators: tuple[IndicatorSpec, ...]


_MOF_UNKNOWN = (
    " Nguồn không ghi đơn vị tính (nhiều khả năng là triệu đồng) và không ghi đây là số dự toán "
    "hay số quyết toán."
)

# Provincial budget figures of the Ministry of Finance as republished with the columns
# prov, year, total.rev, ratio, total.exp, balance.trans, target.trans, project.trans and
# net.trans. In the Vĩnh Phúc file for 2006–2015, net.trans equals total.rev minus total.exp
# in every year, so it is the province's surplus, not a transfer.
NS_MOF = GroupSpec(
    code="ns-mof",
    name="Ngân sách địa phương (số liệu Bộ Tài chính)",
    name_en="Provincial budget (Ministry of Finance figures)",
    sector="ngan-sach",
    source="Bộ Tài chính (Ministry of Finance), số liệu ngân sách các tỉnh",
    unit_columns=("prov",),
    period_columns=("year",),
    indicators=(
        IndicatorSpec(
            code="ns-mof.thu-nsnn-tren-dia-ban",
            column="total.rev",
            name="Thu ngân sách nhà nước trên địa bàn",
            name_en="State budget revenue collected in the province",
            description="Tổng thu ngân sách nhà nước trên địa bàn tỉnh (cột total.rev)."
            + _MOF_UNKNOWN,
        ),
        IndicatorSpec(
            code="ns-mof.ty-le-dieu-tiet",
            column="ratio",
            name="Tỷ lệ điều tiết ngân sách địa phương được hưởng",
            name_en="Share of shared revenue retained by the province",
            description=(
                "Tỷ lệ phần trăm phân chia các khoản thu giữa ngân sách trung ương và ngân sách "
                "địa phương mà tỉnh được hưởng (cột ratio). Nguồn không ghi là số dự toán hay "
                "số quyết toán."
            ),
            value_type=ValueType.PERCENT,
            unit_of_measure="%",
            aggregation=Aggregation.MEAN,
        ),
        IndicatorSpec(
            code="ns-mof.chi-nsdp",
            column="total.exp",
            name="Chi ngân sách địa phương",
            name_en="Local budget expenditure",
            description="Tổng chi ngân sách địa phương (cột total.exp)." + _MOF_UNKNOWN,
            decimals=1,
        ),
        IndicatorSpec(
            code="ns-mof.bo-sung-can-doi",
            column="balance.trans",
            name="Bổ sung cân đối từ ngân sách trung ương",
            name_en="Balancing transfer from the central budget",
            description="Số bổ sung cân đối từ ngân sách trung ương (cột balance.trans)."
            + _MOF_UNKNOWN,
        ),
        IndicatorSpec(
            code="ns-mof.bo-sung-co-muc-tieu",
            column="target.trans",
            name="Bổ sung có mục tiêu từ ngân sách trung ương",
            name_en="Targeted transfer from the central budget",
            description="Số bổ sung có mục tiêu từ ngân sách trung ương (cột target.trans)."
            + _MOF_UNKNOWN,
            decimals=1,
        ),
        IndicatorSpec(
            code="ns-mof.bo-sung-du-an",
            column="project.trans",
            name="Bổ sung từ ngân sách trung ương cho chương trình, dự án",
            name_en="Central budget transfer for programmes and projects",
            description=(
                "Số ngân sách trung ương bổ sung cho các chương trình, dự án (cột project.trans); "
                "nguồn không giải thích cột này." + _MOF_UNKNOWN
            ),
        ),
        IndicatorSpec(
            code="ns-mof.chenh-lech-thu-chi",
            column="net.trans",
            name="Chênh lệch thu ngân sách trên địa bàn và chi ngân sách địa phương",
            name_en="Revenue collected in the province minus local budget expenditure",
            description=(
                "Cột net.trans của nguồn; trong số liệu Vĩnh Phúc 2006–2015 cột này bằng thu "
                "ngân sách trên địa bàn trừ chi ngân sách địa phương." + _MOF_UNKNOWN
            ),
            decimals=1,
        ),
    ),
)

BUILTIN_GROUPS: dict[str, GroupSpec] = {NS_MOF.code: NS_MOF}


def ensure_group(spec: GroupSpec) -> IndicatorGroup:
    """Create the group of ``spec`` and its missing indicators; existing ones stay as edited."""
    with transaction.atomic():
        group, created = IndicatorGroup.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "sector": spec.sector,
                "source": spec.source,
            },
        )
        existing = set(
            Indicator.objects.filter(code__in=[i.code for i in spec.indicators]).values_list(
                "code", flat=True
            )
        )
        missing = [
            Indicator(
                code=item.code,
                name=item.name,
                name_en=item.name_en,
                group=group,
                unit_of_measure=item.unit_of_measure,
                value_type=item.value_type,
                decimals=item.decimals,
                aggregation=item.aggregation,
                time_aggregation=item.aggregation,
                description=item.description,
                source=spec.source,
            )
            for item in spec.indicators
            if item.code not in existing
        ]
        Indicator.objects.bulk_create(missing)
    if created or missing:
        logger.info(
            "Built-in group %s: group created %s, %s indicators created",
            spec.code,
            created,
            len(missing),
        )
    return group
