"""The periodic security-posture report in Vietnamese, as DOCX and PDF.

The figures come from :func:`tinhso.soc.incidents.metrics.compute` for the period (and an
optional agency); the document is laid out by the ``reports`` app's writers under Decree
30/2020/NĐ-CP. The same figures are embedded as the report manifest (schema
:data:`MANIFEST_SCHEMA`), so a reader can check the file against the data.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tinhso.core import audit
from tinhso.core.models import AuditAction, Department
from tinhso.reports import document as layout
from tinhso.reports import docx_writer, pdf_writer
from tinhso.reports.outline import Evaluation, RenderedBlock, RenderedPart, format_number
from tinhso.soc.incidents import metrics
from tinhso.soc.incidents.grouping import SEVERITY_NAMES_VI
from tinhso.soc.models import IncidentStatus, Severity, SourceKind

logger = logging.getLogger(__name__)

FORMATS = ("docx", "pdf")
MANIFEST_SCHEMA = "tinhso.soc-posture/1"
# Layout fields of the document. NOTE: the issuing body is the provincial department that
# runs the SOC in the first deployment; another deployment edits these lines.
ISSUER_PARENT = "UBND tỉnh Phú Thọ"
ISSUER = "Sở Khoa học và Công nghệ"
DOCUMENT_SYMBOL = "BC-SKHCN"
PLACE = "Phú Thọ"
RECIPIENTS = ["Ủy ban nhân dân tỉnh (để báo cáo)", "Các sở, ban, ngành", "Lưu: VT"]
SIGNER_AUTHORITY = ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
# Targets behind the recommendations. NOTE: these are the SOC's working targets, not figures
# set by a regulation; change them here if the province sets others.
MTTA_TARGET_HOURS = 4
MTTR_TARGET_HOURS = 24
# The counting rule of the period, printed under the title. Figures use the platform's times
# (see tinhso.soc.incidents.metrics), so a late-delivered old log does not change a report.
PERIOD_RULE = (
    "Số liệu trong báo cáo tính các cảnh báo được phát sinh và các sự cố được mở trong kỳ, "
    "không phụ thuộc thời điểm xảy ra của các sự kiện gốc."
)
STATUS_NAMES_VI = {
    IncidentStatus.NEW.value: "Mới",
    IncidentStatus.ACKNOWLEDGED.value: "Đã tiếp nhận",
    IncidentStatus.RESOLVED.value: "Đã xử lý",
    IncidentStatus.CLOSED.value: "Đã đóng",
}
SOURCE_KINDS_VI = {
    SourceKind.SYSLOG.value: "syslog",
    SourceKind.JSON_HTTP.value: "JSON qua HTTP",
    SourceKind.EVTX.value: "tệp EVTX",
}


class ReportRequestError(ValueError):
    """A report request that cannot be served, such as an unknown file format."""


@dataclass
class PostureReport:
    title: str
    posture: metrics.Posture
    sources: list[metrics.SourceActivity]
    recommendations: list[str]
    manifest: dict[str, Any]
    evaluation: Evaluation


def number(value: float, decimals: int = 0) -> str:
    return format_number(value, decimals)


def day_text(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def duration_text(seconds: float | None) -> str:
    """Write a duration in Vietnamese hours and minutes ("2 giờ 05 phút", "45 phút")."""
    if seconds is None:
        return "chưa có"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return f"{days} ngày {hours} giờ"
    if hours:
        return f"{hours} giờ {minutes:02d} phút"
    return f"{minutes} phút"


def title_of(period: metrics.Period, agency: Department | None) -> str:
    title = (
        f"Tình hình an toàn thông tin mạng từ ngày {day_text(period.first_day)} "
        f"đến ngày {day_text(period.last_day)}"
    )
    return f"{title} của {agency.name}" if agency is not None else title


def recommendations(posture: metrics.Posture, sources: list[metrics.SourceActivity]) -> list[str]:
    """Derive the recommendations from the figures; each names the figure behind it."""
    found = []
    silent = [item for item in sources if item.silent]

    if silent:
        names = ", ".join(f"{item.source.host} ({item.source.agency.name})" for item in silent[:10])
        more = f" và {len(silent) - 10} nguồn khác" if len(silent) > 10 else ""
        found.append(
            f"Kiểm tra kết nối và cấu hình ghi nhật ký của {len(silent)} nguồn nhật ký không gửi "
            f"sự kiện nào trong kỳ: {names}{more}."
        )

    if not sources:
        found.append(
            "Đăng ký nguồn nhật ký cho các máy chủ và máy trạm quan trọng: trong kỳ chưa có nguồn "
            "nhật ký nào đang hoạt động."
        )

    if posture.open_high:
        found.append(
            f"Ưu tiên xử lý {number(posture.open_high)} sự cố mức cao và nghiêm trọng còn mở."
        )

    unacknowledged = posture.incidents_by_status.get(IncidentStatus.NEW.value, 0)
    if unacknowledged:
        found.append(
            f"Phân công tiếp nhận {number(unacknowledged)} sự cố mở trong kỳ chưa được tiếp nhận."
        )

    if posture.mtta.mean is not None and posture.mtta.mean > MTTA_TARGET_HOURS * 3600:
        found.append(
            f"Rút ngắn thời gian tiếp nhận sự cố: MTTA trung bình {duration_text(posture.mtta.mean)}, "
            f"vượt mục tiêu {MTTA_TARGET_HOURS} giờ; bố trí trực giám sát đủ các ca."
        )

    if posture.mttr.mean is not None and posture.mttr.mean > MTTR_TARGET_HOURS * 3600:
        found.append(
            f"Rút ngắn thời gian xử lý sự cố: MTTR trung bình {duration_text(posture.mttr.mean)}, "
            f"vượt mục tiêu {MTTR_TARGET_HOURS} giờ."
        )

    if posture.top_techniques:
        leading = ", ".join(
            f"{technique.label} ({number(count)} cảnh báo)"
            for technique, count in posture.top_techniques[:3]
        )
        found.append(
            f"Tăng cường phòng chống các kỹ thuật tấn công gặp nhiều nhất trong kỳ: {leading}."
        )

    if not found:
        found.append("Duy trì giám sát an toàn thông tin và rà soát định kỳ các quy tắc phát hiện.")
    return found


def _heading(text: str) -> RenderedBlock:
    return RenderedBlock(kind="heading", level=1, parts=[text])


def _paragraph(text: str) -> RenderedBlock:
    return RenderedBlock(kind="paragraph", parts=[text])


def _table(title: str, header: list[str], rows: list[list[str]]) -> RenderedBlock:
    cells: list[list[list[RenderedPart]]] = [[[text] for text in header]]
    cells.extend([[text] for text in row] for row in rows)
    return RenderedBlock(kind="table", parts=[title], rows=cells)


def _summary(posture: metrics.Posture) -> str:
    high = posture.incidents_by_severity.get(Severity.HIGH.value, 0) + (
        posture.incidents_by_severity.get(Severity.CRITICAL.value, 0)
    )
    return (
        f"Trong kỳ, hệ thống giám sát ghi nhận {number(posture.alerts_total)} cảnh báo và "
        f"mở {number(posture.incidents_total)} sự cố, trong đó {number(high)} sự cố mức cao và "
        f"nghiêm trọng. Hiện còn {number(posture.open_total)} sự cố chưa xử lý xong, trong đó "
        f"{number(posture.open_high)} sự cố mức cao và nghiêm trọng. Thời gian tiếp nhận sự cố "
        f"(MTTA) trung bình {duration_text(posture.mtta.mean)}, thời gian xử lý sự cố (MTTR) "
        f"trung bình {duration_text(posture.mttr.mean)}."
    )


def _blocks(
    posture: metrics.Posture, sources: list[metrics.SourceActivity], advice: list[str]
) -> list[RenderedBlock]:
    blocks = [_paragraph(PERIOD_RULE), _heading("I. TỔNG QUAN"), _paragraph(_summary(posture))]

    blocks.append(_heading("II. SỰ CỐ THEO MỨC ĐỘ NGHIÊM TRỌNG VÀ TRẠNG THÁI"))
    statuses = list(IncidentStatus.values)
    rows = []
    for severity in metrics.SEVERITIES:
        counts = [posture.incident_matrix.get((severity, status), 0) for status in statuses]
        rows.append(
            [
                SEVERITY_NAMES_VI[severity].capitalize(),
                number(posture.alerts_by_severity.get(severity, 0)),
                *(number(count) for count in counts),
                number(sum(counts)),
            ]
        )
    rows.append(
        [
            "Tổng cộng",
            number(posture.alerts_total),
            *(number(posture.incidents_by_status.get(status, 0)) for status in statuses),
            number(posture.incidents_total),
        ]
    )
    header = ["Mức độ", "Cảnh báo", *(STATUS_NAMES_VI[status] for status in statuses), "Sự cố"]
    blocks.append(_table("Bảng 1. Cảnh báo và sự cố theo mức độ, trạng thái", header, rows))

    blocks.append(_heading("III. KỸ THUẬT VÀ CHIẾN THUẬT TẤN CÔNG (MITRE ATT&CK)"))
    if posture.top_techniques:
        blocks.append(
            _table(
                "Bảng 2. Các kỹ thuật tấn công gặp nhiều nhất",
                ["Kỹ thuật", "Tên", "Cảnh báo"],
                [
                    [technique.id, technique.name if technique.known else "–", number(count)]
                    for technique, count in posture.top_techniques
                ],
            )
        )
        blocks.append(
            _table(
                "Bảng 3. Các chiến thuật tấn công",
                ["Chiến thuật", "Mã", "Cảnh báo"],
                [[name, tactic, number(total)] for tactic, name, total in posture.top_tactics],
            )
        )
    else:
        blocks.append(_paragraph("Trong kỳ không có cảnh báo gắn kỹ thuật MITRE ATT&CK."))

    blocks.append(_heading("IV. MÁY VÀ CƠ QUAN CÓ NHIỀU CẢNH BÁO"))
    if posture.top_hosts:
        blocks.append(
            _table(
                "Bảng 4. Các máy có nhiều cảnh báo nhất",
                ["Máy", "Cảnh báo"],
                [[host, number(count)] for host, count in posture.top_hosts],
            )
        )
        blocks.append(
            _table(
                "Bảng 5. Các cơ quan có nhiều cảnh báo nhất",
                ["Cơ quan", "Mã", "Cảnh báo"],
                [[name, code, number(count)] for name, code, count in posture.top_agencies],
            )
        )
    else:
        blocks.append(_paragraph("Trong kỳ không có cảnh báo."))

    blocks.append(_heading("V. THỜI GIAN TIẾP NHẬN VÀ XỬ LÝ SỰ CỐ"))
    blocks.append(
        _table(
            "Bảng 6. MTTA và MTTR",
            ["Chỉ số", "Số sự cố", "Trung vị", "Trung bình"],
            [
                [
                    "Thời gian tiếp nhận (MTTA)",
                    number(posture.mtta.count),
                    duration_text(posture.mtta.median),
                    duration_text(posture.mtta.mean),
                ],
                [
                    "Thời gian xử lý (MTTR)",
                    number(posture.mttr.count),
                    duration_text(posture.mttr.median),
                    duration_text(posture.mttr.mean),
                ],
            ],
        )
    )

    blocks.append(_heading("VI. NGUỒN NHẬT KÝ"))
    silent = sum(1 for item in sources if item.silent)
    blocks.append(
        _paragraph(
            f"Có {number(len(sources))} nguồn nhật ký đang bật, trong đó {number(silent)} nguồn "
            "không gửi sự kiện nào trong kỳ."
        )
    )
    if sources:
        blocks.append(
            _table(
                "Bảng 7. Hoạt động của các nguồn nhật ký",
                ["Máy", "Cơ quan", "Loại", "Sự kiện nhận trong kỳ", "Sự kiện gần nhất"],
                [
                    [
                        item.source.host,
                        item.source.agency.name,
                        SOURCE_KINDS_VI.get(item.source.kind, item.source.kind),
                        number(item.events),
                        _time_text(item.last_event_at),
                    ]
                    for item in sources
                ],
            )
        )

    blocks.append(_heading("VII. SỰ CỐ MỨC CAO VÀ NGHIÊM TRỌNG CHƯA XỬ LÝ"))
    high = [
        incident
        for incident in posture.open_incidents
        if incident.severity in (Severity.HIGH.value, Severity.CRITICAL.value)
    ]
    if high:
        blocks.append(
            _table(
                "Bảng 8. Sự cố mức cao và nghiêm trọng còn mở",
                ["Sự cố", "Mức độ", "Máy", "Mở lúc", "Trạng thái"],
                [
                    [
                        f"#{incident.pk} {incident.title}",
                        SEVERITY_NAMES_VI[incident.severity],
                        incident.host or "-",
                        _time_text(incident.created_at),
                        STATUS_NAMES_VI[incident.status],
                    ]
                    for incident in high
                ],
            )
        )
    else:
        blocks.append(_paragraph("Không còn sự cố mức cao hoặc nghiêm trọng nào chưa xử lý."))

    blocks.append(_heading("VIII. KIẾN NGHỊ"))
    blocks.extend(RenderedBlock(kind="bullet", parts=[text]) for text in advice)
    return blocks


def _time_text(value: dt.datetime | None) -> str:
    if value is None:
        return "chưa có"
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def _manifest(
    title: str, posture: metrics.Posture, sources: list[metrics.SourceActivity]
) -> dict[str, Any]:
    return {
        "schema": MANIFEST_SCHEMA,
        "title": title,
        "from": posture.period.first_day.isoformat(),
        "to": posture.period.last_day.isoformat(),
        "agency": posture.agency.code if posture.agency else "",
        "generated_at": timezone.now().isoformat(),
        "figures": {
            "alerts_total": posture.alerts_total,
            "alerts_by_severity": posture.alerts_by_severity,
            "incidents_total": posture.incidents_total,
            "incidents_by_severity": posture.incidents_by_severity,
            "incidents_by_status": posture.incidents_by_status,
            "open_total": posture.open_total,
            "open_high": posture.open_high,
            "mtta_seconds": {"median": posture.mtta.median, "mean": posture.mtta.mean},
            "mttr_seconds": {"median": posture.mttr.median, "mean": posture.mttr.mean},
            "top_techniques": [[t.id, count] for t, count in posture.top_techniques],
            "top_hosts": [[host, count] for host, count in posture.top_hosts],
            "sources": len(sources),
            "silent_sources": sorted(item.source.host for item in sources if item.silent),
        },
    }


def build(period: metrics.Period, agency: Department | None = None) -> PostureReport:
    """Compute the figures of the period and lay out the report's content."""
    posture = metrics.compute(period, agency)
    sources = metrics.source_activity(period, agency)
    advice = recommendations(posture, sources)
    title = title_of(period, agency)
    evaluation = Evaluation(blocks=_blocks(posture, sources, advice), figures=[])
    return PostureReport(
        title=title,
        posture=posture,
        sources=sources,
        recommendations=advice,
        manifest=_manifest(title, posture, sources),
        evaluation=evaluation,
    )


def write(report: PostureReport, file_format: str, today: dt.date | None = None) -> bytes:
    """Write the report as ``docx`` or ``pdf`` and return the file's bytes."""
    if file_format not in FORMATS:
        raise ReportRequestError(f"unknown report format {file_format!r}; use docx or pdf")
    document = layout.ReportDocument(
        issuer_parent=ISSUER_PARENT,
        issuer=ISSUER,
        number_line=layout.number_line(DOCUMENT_SYMBOL),
        place_date=layout.place_date_line(PLACE, today or timezone.localdate()),
        title=report.title,
        evaluation=report.evaluation,
        recipients=RECIPIENTS,
        signer_authority=SIGNER_AUTHORITY,
        signer_title="",
        signer_name="",
        manifest=report.manifest,
        subject=report.title,
    )
    writer = docx_writer.write_docx if file_format == "docx" else pdf_writer.write_pdf
    data = writer(document)
    logger.info(
        "Wrote the %s posture report for %s to %s (%s bytes)",
        file_format,
        report.manifest["from"],
        report.manifest["to"],
        len(data),
    )
    return data


def file_name(report: PostureReport, file_format: str) -> str:
    agency = report.manifest["agency"]
    suffix = f"-{agency}" if agency else ""
    return f"bao-cao-attt-{report.manifest['from']}-{report.manifest['to']}{suffix}.{file_format}"


def record_export(report: PostureReport, file_format: str) -> None:
    """Write the audit row of a generated report: who exported which period and agency."""
    audit.record(
        AuditAction.EXPORT,
        None,
        object_type="soc.posture_report",
        object_repr=report.title,
        extra={
            "from": report.manifest["from"],
            "to": report.manifest["to"],
            "agency": report.manifest["agency"],
            "format": file_format,
        },
    )
