"""Permission-matrix entries of the report pages and their admin pages (see tests/matrix.py).

Staff of every role may read and generate reports. POST-only actions return 405 to a GET.
"""

from __future__ import annotations

from typing import Any

from tests.matrix import (
    CHANGE_PAGE,
    DENIED,
    LOGIN,
    NOT_ALLOWED,
    OK,
    OTP,
    Expect,
    admin_page,
    expect,
)
from tinhso.reports.models import GeneratedReport, ReportRegime

STAFF_PAGE = expect(anonymous=LOGIN, staff=OK, admin_without_otp=OTP, admin=OK)
POST_ONLY = expect(anonymous=LOGIN, staff=NOT_ALLOWED, admin_without_otp=OTP, admin=NOT_ALLOWED)

EXPECTED: dict[str, Expect] = {
    "reports/": STAFF_PAGE,
    "reports/regimes/<slug:regime_code>/": STAFF_PAGE,
    "reports/regimes/<slug:regime_code>/generate/": POST_ONLY,
    "reports/generated/<int:report_id>/": STAFF_PAGE,
    "reports/generated/<int:report_id>/verify/": POST_ONLY,
    "reports/generated/<int:report_id>/download/<str:file_format>/": STAFF_PAGE,
    # Regimes are edited in the administration.
    "admin/reports/reportregime/": admin_page(),
    "admin/reports/reportregime/add/": admin_page(),
    "admin/reports/reportregime/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/reports/reportregime/<path:object_id>/change/": admin_page(),
    "admin/reports/reportregime/<path:object_id>/history/": admin_page(),
    "admin/reports/reportregime/<path:object_id>/delete/": admin_page(),
    # Generated reports are the record of what was issued: viewed, never added, changed or deleted.
    "admin/reports/generatedreport/": admin_page(),
    "admin/reports/generatedreport/add/": admin_page(DENIED),
    "admin/reports/generatedreport/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/reports/generatedreport/<path:object_id>/change/": admin_page(),
    "admin/reports/generatedreport/<path:object_id>/history/": admin_page(),
    "admin/reports/generatedreport/<path:object_id>/delete/": admin_page(DENIED),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """A regime and one generated report with a stored PDF file, for the download page."""
    from tinhso.reports import services

    regime = ReportRegime.objects.get(code="ktxh")
    record = GeneratedReport.objects.create(
        regime=regime, period="2016", title="Báo cáo thử", sha256="0" * 64, manifest={}
    )
    folder = services.storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"matrix-{record.pk}.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    record.pdf_path = path.name
    record.save()
    return {"regime_code": regime.code, "report_id": str(record.pk), "file_format": "pdf"}
