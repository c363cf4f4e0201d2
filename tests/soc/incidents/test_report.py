"""The posture report: its figures in the DOCX and PDF files equal the data, by web and CLI."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tests.soc.incidents.support import finding_for, make_agency, make_event, make_source
from tinhso.core.models import AuditEvent, Role
from tinhso.reports import docx_writer, pdf_writer
from tinhso.soc.incidents import metrics
from tinhso.soc.incidents import report as posture_report
from tinhso.soc.incidents.alerts import raise_alerts
from tinhso.soc.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def data() -> dict[str, Any]:
    """Alerts on two agencies' hosts, one resolved incident with known times, a silent source."""
    health = make_agency("so-yt", "Sở Y tế")
    finance = make_agency("so-tc", "Sở Tài chính")
    hospital = make_source(health, host="BV-01")
    make_source(health, host="BV-LANG-IM")
    treasury = make_source(finance, host="TC-01")
    raise_alerts(
        [
            finding_for(
                make_event(hospital), "a", "critical", tags=("attack.execution", "attack.t1059.001")
            ),
            finding_for(
                make_event(hospital), "b", "high", tags=("attack.persistence", "attack.t1053.005")
            ),
            finding_for(
                make_event(treasury), "c", "low", tags=("attack.execution", "attack.t1059.001")
            ),
        ]
    )
    resolved = Incident.objects.get(rule_id="b")
    created = resolved.created_at
    Incident.objects.filter(pk=resolved.pk).update(
        status=IncidentStatus.RESOLVED,
        acknowledged_at=created + dt.timedelta(minutes=90),
        resolved_at=created + dt.timedelta(hours=30),
        resolution="true_positive",
    )
    return {"health": health}


def today_period() -> metrics.Period:
    return metrics.Period.of_dates(timezone.localdate(), timezone.localdate())


def test_docx_figures_equal_data(data: dict[str, Any]) -> None:
    built = posture_report.build(today_period())
    docx = posture_report.write(built, "docx")
    text = docx_writer.document_text(docx)

    assert "ghi nhận 3 cảnh báo và mở 3 sự cố, trong đó 2 sự cố mức cao và nghiêm trọng" in text
    assert "Hiện còn 2 sự cố chưa xử lý xong, trong đó 1 sự cố mức cao và nghiêm trọng" in text
    # MTTA and MTTR of the one acknowledged and resolved incident.
    assert "(MTTA) trung bình 1 giờ 30 phút" in text
    assert "(MTTR) trung bình 30 giờ 00 phút" in text
    assert "BV-LANG-IM" in text  # silent source, listed and recommended
    assert "1 nguồn nhật ký không gửi sự kiện nào trong kỳ: BV-LANG-IM (Sở Y tế)" in text
    assert "MTTR trung bình 30 giờ 00 phút, vượt mục tiêu 24 giờ" in text
    assert "T1059.001" in text
    assert "Command and Scripting Interpreter: PowerShell" in text
    assert "Phụ lục" not in text

    rows = _docx_table(docx, "Mức độ")
    assert rows["Nghiêm trọng"] == ["1", "1", "0", "0", "0", "1"]
    assert rows["Cao"] == ["1", "0", "0", "1", "0", "1"]
    assert rows["Thấp"] == ["1", "1", "0", "0", "0", "1"]
    assert rows["Tổng cộng"] == ["3", "2", "0", "1", "0", "3"]
    hosts = _docx_table(docx, "Máy", width=2)
    assert hosts["BV-01"] == ["2"]
    assert hosts["TC-01"] == ["1"]

    manifest = docx_writer.read_manifest(docx)
    assert manifest["schema"] == posture_report.MANIFEST_SCHEMA
    assert manifest["figures"]["alerts_total"] == 3
    assert manifest["figures"]["silent_sources"] == ["BV-LANG-IM"]
    assert manifest["figures"]["mttr_seconds"]["mean"] == 30 * 3600


def _docx_table(data: bytes, first_header: str, width: int = 0) -> dict[str, list[str]]:
    from docx import Document

    for table in Document(io.BytesIO(data)).tables:
        header = [cell.text for cell in table.rows[0].cells]
        if header[0] == first_header and (not width or len(header) == width):
            return {row.cells[0].text: [c.text for c in row.cells[1:]] for row in table.rows[1:]}
    raise AssertionError(f"No table starting with {first_header!r}")


def test_pdf_figures_equal_data(data: dict[str, Any]) -> None:
    pdf = posture_report.write(posture_report.build(today_period()), "pdf")
    text = " ".join(pdf_writer.document_text(pdf).split())
    assert "ghi nhận 3 cảnh báo và mở 3 sự cố" in text
    assert "trung bình 1 giờ 30 phút" in text
    assert "BV-LANG-IM" in text
    assert pdf_writer.read_manifest(pdf)["figures"]["incidents_total"] == 3


def test_agency_report_counts_agency_only(data: dict[str, Any]) -> None:
    built = posture_report.build(today_period(), data["health"])
    assert built.title.endswith("của Sở Y tế")
    assert built.posture.alerts_total == 2
    assert [item.source.host for item in built.sources] == ["BV-LANG-IM", "BV-01"]


def test_empty_period_recommends_monitoring() -> None:
    built = posture_report.build(today_period())
    assert built.posture.alerts_total == 0
    assert any(text.startswith("Đăng ký nguồn nhật ký") for text in built.recommendations)
    text = docx_writer.document_text(posture_report.write(built, "docx"))
    assert "ghi nhận 0 cảnh báo" in text


def test_cli_writes_report(data: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "bao-cao.docx"
    day = timezone.localdate()
    stdout = io.StringIO()
    call_command(
        "soc", "report", "--from", day.strftime("%d/%m/%Y"), "--to", day.isoformat(),
        "--agency", "so-yt", "--out", str(out), stdout=stdout,
    )  # fmt: skip
    manifest = docx_writer.read_manifest(out.read_bytes())
    assert manifest["agency"] == "so-yt"
    assert manifest["figures"]["alerts_total"] == 2
    assert AuditEvent.objects.filter(object_type="soc.posture_report").count() == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "32/01/2026", "--to", "01/02/2026", "--out", "a.docx"], "DD/MM/YYYY"),
        (["--from", "02/02/2026", "--to", "01/02/2026", "--out", "a.docx"], "--from"),
        (["--from", "01/02/2026", "--to", "02/02/2026", "--out", "a.txt"], ".docx hoặc .pdf"),
        (["--from", "01/02/2026", "--to", "02/02/2026", "--agency", "x", "--out", "a.pdf"], "'x'"),
    ],
)
def test_cli_rejects_bad_input(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("soc", "report", *arguments, stdout=io.StringIO())


def test_leader_downloads_report(make_user: Callable[..., Any], data: dict[str, Any]) -> None:
    client = Client()
    client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    assert client.get("/soc/reports/").status_code == 200
    day = timezone.localdate().strftime("%d/%m/%Y")
    response = client.get("/soc/reports/", {"date_from": day, "date_to": day, "file_format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert pdf_writer.read_manifest(response.content)["figures"]["alerts_total"] == 3

    bad = client.get("/soc/reports/", {"date_from": day, "date_to": "01/01/2000"})
    assert bad.status_code == 400


def test_report_states_period_rule(data: dict[str, Any]) -> None:
    text = docx_writer.document_text(
        posture_report.write(posture_report.build(today_period()), "docx")
    )
    assert posture_report.PERIOD_RULE in text
    assert "không phụ thuộc thời điểm xảy ra của các sự kiện gốc" in text


def test_pdf_subject_is_report_title(data: dict[str, Any]) -> None:
    from pypdf import PdfReader

    built = posture_report.build(today_period())
    metadata = PdfReader(io.BytesIO(posture_report.write(built, "pdf"))).metadata
    assert metadata is not None
    assert metadata.subject == built.title
    assert metadata.subject.startswith("Tình hình an toàn thông tin mạng")


def test_report_counts_hosts_once_by_case() -> None:
    agency = make_agency()
    raise_alerts(
        [
            finding_for(make_event(make_source(agency, host="MSEDGEWIN10")), "a"),
            finding_for(make_event(make_source(agency, host="msedgewin10", kind="evtx")), "b"),
        ]
    )
    docx = posture_report.write(posture_report.build(today_period()), "docx")
    hosts = _docx_table(docx, "Máy", width=2)
    assert hosts == {"MSEDGEWIN10": ["2"]}
