"""Report pages: regimes, the "Tạo báo cáo" form, generated reports, downloads and verification."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tinhso.core.access import STAFF, policy
from tinhso.core.models import Unit
from tinhso.ioc.models import DataValue, Indicator
from tinhso.reports import services
from tinhso.reports.forms import GenerateForm
from tinhso.reports.models import GeneratedReport, ReportRegime

logger = logging.getLogger(__name__)

REGIMES_PER_PAGE = 20
REPORTS_PER_PAGE = 20
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@require_GET
@policy(STAFF)
def home(request: HttpRequest) -> HttpResponse:
    regimes = Paginator(ReportRegime.objects.all(), REGIMES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    recent = GeneratedReport.objects.select_related("regime")[:10]
    return render(
        request,
        "reports/home.html",
        {"page": regimes, "recent": recent, "has_data": DataValue.objects.exists()},
    )


def _latest_year(regime: ReportRegime) -> int:
    """Return the latest year with a stored value of the regime's indicators, else last year."""
    latest = DataValue.objects.filter(indicator__in=regime.indicators.all()).aggregate(
        Max("period_start")
    )["period_start__max"]
    return latest.year if latest else timezone.localdate().year - 1


def _form(regime: ReportRegime, data: Any = None) -> GenerateForm:
    # Importers create indicators in bulk, without signals, so the regime's data forms are
    # brought up to date before the page counts them.
    services.sync_indicators(regime)
    initial = {"kind": "year", "year": _latest_year(regime)}
    return GenerateForm(
        data, initial=initial, allowed=list(regime.period_types or []), cutoff_day=regime.cutoff_day
    )


def _regime_page(
    request: HttpRequest, regime: ReportRegime, form: GenerateForm, status: int = 200
) -> HttpResponse:
    reports = Paginator(regime.reports.all(), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/regime.html",
        {
            "regime": regime,
            "form": form,
            "page": reports,
            "indicators": regime.indicators.order_by("code"),
            "has_data": DataValue.objects.exists(),
        },
        status=status,
    )


@require_GET
@policy(STAFF)
def regime_detail(request: HttpRequest, regime_code: str) -> HttpResponse:
    regime = get_object_or_404(ReportRegime, code=regime_code)
    return _regime_page(request, regime, _form(regime))


@require_POST
@policy(STAFF)
def generate(request: HttpRequest, regime_code: str) -> HttpResponse:
    regime = get_object_or_404(ReportRegime, code=regime_code)
    form = _form(regime, request.POST)
    if not form.is_valid():
        return _regime_page(request, regime, form, status=400)
    try:
        record, _built = services.generate(regime, form.period_code(), user=request.user)  # type: ignore[arg-type]
    except services.ReportError as error:
        form.add_error(None, error.user_message())
        return _regime_page(request, regime, form, status=400)
    messages.success(
        request,
        _("The report was generated: %(figures)s figures, %(missing)s without data.")
        % {"figures": record.figure_count, "missing": record.missing_count},
    )
    return redirect("reports:report", report_id=record.pk)


def _with_names(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the indicator and unit names to manifest figures, for readers who do not know codes."""
    codes = {str(figure.get("code", "")) for figure in figures}
    unit_codes = {str(figure.get("unit", "")) for figure in figures}
    indicator_names = dict(Indicator.objects.filter(code__in=codes).values_list("code", "name"))
    unit_names = dict(Unit.objects.filter(code__in=unit_codes).values_list("code", "name"))
    named = []
    for figure in figures:
        code, unit_code = str(figure.get("code", "")), str(figure.get("unit", ""))
        named.append(
            {
                **figure,
                "indicator_name": indicator_names.get(code, code),
                "unit_name": unit_names.get(unit_code, unit_code),
            }
        )
    return named


def _report_page(
    request: HttpRequest, record: GeneratedReport, verification: dict[str, Any] | None = None
) -> HttpResponse:
    figures = record.manifest.get("figures", [])
    missing = _with_names([figure for figure in figures if figure.get("value") is None])
    return render(
        request,
        "reports/report.html",
        {
            "report": record,
            "missing": missing,
            "verification": verification,
            "has_docx": services.stored_file(record, "docx") is not None,
            "has_pdf": services.stored_file(record, "pdf") is not None,
        },
    )


@require_GET
@policy(STAFF)
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """Show a generated report; with ``?verify=1``, also re-derive its figures from the data."""
    record = get_object_or_404(GeneratedReport.objects.select_related("regime"), pk=report_id)
    if request.GET.get("verify") != "1":
        return _report_page(request, record)

    path = services.stored_file(record, "docx") or services.stored_file(record, "pdf")
    try:
        manifest = services.read_manifest(path.read_bytes()) if path else record.manifest
    except services.ReportError as error:
        messages.error(request, error.user_message())
        return _report_page(request, record)
    mismatches = services.verify(manifest)
    return _report_page(
        request,
        record,
        {"checked": len(manifest.get("figures", [])), "mismatches": mismatches},
    )


@require_POST
@policy(STAFF)
def verify(request: HttpRequest, report_id: int) -> HttpResponse:
    """Send the verification to the report page, so reloading or switching language repeats a GET."""
    record = get_object_or_404(GeneratedReport, pk=report_id)
    return redirect(f"{reverse('reports:report', args=[record.pk])}?verify=1")


@require_GET
@policy(STAFF)
def download(request: HttpRequest, report_id: int, file_format: str) -> FileResponse:
    if file_format not in services.FORMATS:
        raise Http404
    record = get_object_or_404(GeneratedReport, pk=report_id)
    path = services.stored_file(record, file_format)
    if path is None:
        raise Http404
    name = f"bao-cao-{record.regime.code}-{record.period}-{record.pk}.{file_format}"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[file_format]
    )
