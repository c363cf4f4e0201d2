"""The report pages: regime list, "Tạo báo cáo", downloads, "Kiểm tra số liệu", CSRF and audit."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from docx import Document
from pypdf import PdfReader

from tinhso.core.models import AuditAction, AuditEvent, Role
from tinhso.ioc.models import DataValue
from tinhso.ioc.periods import parse as parse_period
from tinhso.ioc.services.values import IncomingValue, store_values
from tinhso.reports import builtin
from tinhso.reports.models import GeneratedReport, ReportRegime

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader_client(make_user: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    return client


def test_home_lists_regimes_and_says_what_to_import(
    leader_client: Client, ktxh: ReportRegime
) -> None:
    response = leader_client.get("/reports/", HTTP_ACCEPT_LANGUAGE="vi")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Báo cáo tình hình kinh tế - xã hội" in page
    assert 'data-testid="empty-data"' in page
    assert "tinhso ioc import-gso" in page


def test_home_without_regimes(leader_client: Client, ktxh: ReportRegime) -> None:
    ReportRegime.objects.all().delete()
    page = leader_client.get("/reports/").content.decode()
    assert 'data-testid="no-regimes"' in page
    assert "tinhso setup" in page


def test_home_paginates(leader_client: Client, ktxh: ReportRegime) -> None:
    ReportRegime.objects.bulk_create(
        [ReportRegime(code=f"r{number:02d}", name=f"Chế độ {number}") for number in range(25)]
    )
    first = leader_client.get("/reports/").content.decode()
    second = leader_client.get("/reports/?page=2").content.decode()
    assert "r00" in first
    assert "r24" not in first
    assert "r24" in second


@pytest.mark.shared_data
def test_generate_download_and_verify(
    leader_client: Client, real_data: None, ktxh: ReportRegime, report_dir: Path
) -> None:
    page = leader_client.get("/reports/regimes/ktxh/").content.decode()
    assert 'data-testid="generate-form"' in page

    response = leader_client.post(
        "/reports/regimes/ktxh/generate/", {"kind": "year", "year": "2016"}
    )
    record = GeneratedReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/generated/{record.pk}/"
    assert record.generated_by is not None
    assert record.generated_by.username == "lanhdao"
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_id=str(record.pk))
    assert event.actor == record.generated_by

    detail = leader_client.get(response["Location"]).content.decode()
    assert 'data-testid="download-docx"' in detail
    assert "F29" in detail  # listed among the figures without data

    docx = leader_client.get(f"/reports/generated/{record.pk}/download/docx/")
    assert docx.status_code == 200
    assert "attachment" in docx["Content-Disposition"]
    data = b"".join(docx.streaming_content)  # type: ignore[attr-defined]
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "362 trường phổ thông" in text
    pdf = leader_client.get(f"/reports/generated/{record.pk}/download/pdf/")
    reader = PdfReader(io.BytesIO(b"".join(pdf.streaming_content)))  # type: ignore[attr-defined]
    assert "191.457" in "\n".join(page.extract_text() for page in reader.pages)

    unchanged = leader_client.post(
        f"/reports/generated/{record.pk}/verify/", follow=True
    ).content.decode()
    assert 'data-testid="mismatches"' not in unchanged
    assert 'data-testid="verify-result"' in unchanged

    stored = DataValue.objects.get(indicator__code=builtin.SCHOOLS, unit__code="26", period="2016")
    store_values(
        [
            IncomingValue(
                indicator_id=stored.indicator_id,
                unit_id=stored.unit_id,
                period=parse_period("2016"),
                value=363,
                status=stored.status,
            )
        ]
    )
    changed = leader_client.post(
        f"/reports/generated/{record.pk}/verify/", follow=True
    ).content.decode()
    assert 'data-testid="mismatches"' in changed
    assert builtin.SCHOOLS in changed
    assert "<td>362</td><td>363</td>" in changed


def test_generate_rejects_bad_period(leader_client: Client, ktxh: ReportRegime) -> None:
    response = leader_client.post(
        "/reports/regimes/ktxh/generate/", {"kind": "month", "year": "2016"}
    )
    assert response.status_code == 400
    assert GeneratedReport.objects.count() == 0
    future = leader_client.post("/reports/regimes/ktxh/generate/", {"kind": "year", "year": "2999"})
    assert future.status_code == 400


def test_generate_offers_only_regime_period_types(
    leader_client: Client, ktxh: ReportRegime
) -> None:
    ktxh.period_types = ["year"]
    ktxh.save()
    response = leader_client.post(
        "/reports/regimes/ktxh/generate/", {"kind": "nine_months", "year": "2016"}
    )
    assert response.status_code == 400


def test_generate_needs_csrf(make_user: Callable[..., Any], ktxh: ReportRegime) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("lanhdao", Role.PROVINCIAL_LEADER))
    response = client.post("/reports/regimes/ktxh/generate/", {"kind": "year", "year": "2016"})
    assert response.status_code == 403
    assert GeneratedReport.objects.count() == 0


def test_download_unknown_format(leader_client: Client, ktxh: ReportRegime) -> None:
    record = GeneratedReport.objects.create(regime=ktxh, period="2016", title="t", sha256="0" * 64)
    assert leader_client.get(f"/reports/generated/{record.pk}/download/xlsx/").status_code == 404
    assert leader_client.get(f"/reports/generated/{record.pk}/download/pdf/").status_code == 404


def test_regime_edit_is_audited(ktxh: ReportRegime) -> None:
    ktxh.deadline = "Trước ngày 18"
    ktxh.save()
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="reports.reportregime", object_id=str(ktxh.pk)
    ).exists()


def test_verify_redirects_to_report_page(leader_client: Client, ktxh: ReportRegime) -> None:
    record = GeneratedReport.objects.create(regime=ktxh, period="2016", title="Báo cáo thử")

    response = leader_client.post(f"/reports/generated/{record.pk}/verify/")

    # A GET page shows the result, so reloading it or switching language repeats no POST.
    assert response.status_code == 302
    assert response["Location"] == f"/reports/generated/{record.pk}/?verify=1"
