"""The content of a generated report, independent of its file format.

Both writers lay the document out under Decree 30/2020/NĐ-CP on Vietnamese administrative
documents. The font is Times New Roman (or a font with the same role) at 13–14 pt. Margins are
20–25 mm at top and bottom, 30–35 mm at left and 15–20 mm at right. The national title and
motto sit at top right, the issuing body and the number at top left, then come the place and
date, the document type and title centred, the body, the "Nơi nhận" block and the signature
block.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from tinhso.reports.outline import Evaluation, Figure, Observation

logger = logging.getLogger(__name__)

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
DOCUMENT_TYPE = "BÁO CÁO"
APPENDIX_TITLE = "Phụ lục: nguồn số liệu"
APPENDIX_HEADERS = (
    "Số liệu",
    "Nội dung hiển thị",
    "Chỉ tiêu (mã, tên)",
    "Đơn vị tính",
    "Kỳ",
    "Nguồn",
    "Lô nhập",
    "Phê duyệt",
    "DataValue (id, phiên bản)",
)
NBSP = "\u00a0"
MISSING_LIST_TITLE = "Các số liệu chưa có trong cơ sở dữ liệu"

# Page geometry in millimetres, inside the ranges Decree 30/2020/NĐ-CP allows.
MARGIN_TOP_MM = 20
MARGIN_BOTTOM_MM = 20
MARGIN_LEFT_MM = 30
MARGIN_RIGHT_MM = 15
BODY_SIZE_PT = 14
FONT_NAME = "Times New Roman"


@dataclass
class ReportDocument:
    """Everything both writers print, with the figure manifest to embed."""

    issuer_parent: str
    issuer: str
    number_line: str
    place_date: str
    title: str
    evaluation: Evaluation
    recipients: list[str]
    signer_authority: list[str]
    signer_title: str
    signer_name: str
    manifest: dict[str, Any]
    chart_images: dict[int, bytes] = field(default_factory=dict)
    # The PDF's Subject metadata.
    subject: str = "Báo cáo giao ban"

    @property
    def issuer_lines(self) -> list[str]:
        return [line.strip() for line in self.issuer.splitlines() if line.strip()]


def place_date_line(place: str, day: dt.date) -> str:
    """Write "Phú Thọ, ngày 05 tháng 02 năm 2026": days below 10 and months 1 and 2 get a zero."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def number_line(symbol: str) -> str:
    """Write the number line; the number stays blank for the clerk who registers the signed document."""
    return f"Số:{NBSP * 8}/{symbol}"


def appendix_rows(evaluation: Evaluation) -> list[tuple[str, ...]]:
    """Build one row per figure, its inputs joined line by line, in the order of APPENDIX_HEADERS."""
    return [_appendix_row(figure) for figure in evaluation.figures]


def _appendix_row(figure: Figure) -> tuple[str, ...]:
    inputs = figure.inputs
    names = _lines(f"{o.code} – {o.meta.get('indicator_name', '')}".rstrip(" –") for o in inputs)
    units = _lines(str(o.meta.get("unit_of_measure") or "-") for o in inputs)
    periods = _lines(f"{o.period} ({o.unit_code})" for o in inputs)
    sources = _lines(_source(o) for o in inputs)
    batches = _lines(str(o.meta.get("batch_id") or "-") for o in inputs)
    approvals = _lines(_approval(o) for o in inputs)
    ids = _lines(
        f"{o.data_value_id} v{o.version}" if o.data_value_id else "không có" for o in inputs
    )
    return (figure.id, figure.text, names, units, periods, sources, batches, approvals, ids)


def _lines(items: Any) -> str:
    return "\n".join(items)


def _source(observation: Observation) -> str:
    if observation.data_value_id is None:
        return "chưa có số liệu"
    kind = observation.meta.get("source_kind_label", observation.meta.get("source_kind", ""))
    detail = observation.meta.get("source_detail", "")
    return f"{kind}: {detail}" if detail else str(kind)


def _approval(observation: Observation) -> str:
    if observation.data_value_id is None:
        return "-"
    who = observation.meta.get("approved_by") or ""
    when = str(observation.meta.get("approved_at") or "")[:16].replace("T", " ")
    status = observation.meta.get("status", "")
    if who or when:
        return f"{who} {when}".strip()
    return (
        "đã phê duyệt (không ghi người duyệt)"
        if status == "approved"
        else f"chưa phê duyệt ({status})"
    )
