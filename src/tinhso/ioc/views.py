"""IOC pages: importing values from a file with a preview and a progress bar, and templates."""

from __future__ import annotations

import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core import audit
from tinhso.core.access import STAFF, Policy, policy
from tinhso.core.errors import ImportFileError
from tinhso.core.models import Role
from tinhso.ingest import jobs
from tinhso.ingest.models import ImportJob, JobStatus
from tinhso.ingest.report import ImportReport
from tinhso.ioc.forms import ValueImportForm
from tinhso.ioc.models import IndicatorGroup
from tinhso.ioc.services.file_import import import_values, write_template

logger = logging.getLogger(__name__)

KIND = "ioc.values"
DATA_ENTRY = Policy(
    roles=frozenset(
        {
            Role.DEPARTMENT_OFFICER,
            Role.COMMUNE_OFFICER,
            Role.PROVINCIAL_LEADER,
            Role.SYSTEM_ADMINISTRATOR,
        }
    )
)
PREVIEW_PROBLEMS = 100
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_data(report: ImportReport) -> dict[str, Any]:
    """Return the parts of a report that the pages show, as JSON-ready data."""
    return {
        "rows_total": report.rows_total,
        "rows_accepted": report.rows_accepted,
        "rows_rejected": report.rejected_rows,
        "created": report.summary.get("created", 0),
        "updated": report.summary.get("updated", 0),
        "unchanged": report.summary.get("unchanged", 0),
        "encoding": report.summary.get("encoding", ""),
        "layout": report.summary.get("layout", ""),
        "group": report.summary.get("group", ""),
        "problems": [
            {
                "position": p.position,
                "field": p.field,
                "code": p.code,
                "message": p.message,
                "fatal": p.fatal,
            }
            for p in report.problems[:PREVIEW_PROBLEMS]
        ],
        "more_problems": max(0, len(report.problems) - PREVIEW_PROBLEMS),
        "batch_id": report.batch_id,
    }


@policy(STAFF)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Show the leaders' overview, with the import link and the user's recent imports."""
    from tinhso.ioc.dashboards.views import overview_context

    context = {
        **overview_context(request),
        "groups": IndicatorGroup.objects.annotate(indicator_count=Count("indicators")).order_by(
            "code"
        ),
        "jobs": ImportJob.objects.filter(kind=KIND, created_by=request.user.pk)[:10],
        "can_import": DATA_ENTRY.allows_role(request.user),  # type: ignore[arg-type]
    }
    return render(request, "ioc_dashboards/overview.html", context)


@jobs.register(KIND)
def run_value_import(job: ImportJob, progress: Any) -> dict[str, Any]:
    report = import_values(
        Path(job.stored_path), group_code=job.params.get("group") or None, progress=progress
    )
    return report_data(report)


@policy(DATA_ENTRY)
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a file and see what importing it would do, before anything is stored."""
    form = ValueImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        folder = _upload_dir() / uuid.uuid4().hex
        folder.mkdir()
        stored = folder / Path(upload.name).name
        with stored.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        group = form.cleaned_data["group"]
        try:
            preview = import_values(stored, group_code=group.code if group else None, dry_run=True)
        except ImportFileError as error:
            form.add_error("file", error.message)
        else:
            job = ImportJob.objects.create(
                kind=KIND,
                file_name=upload.name[:300],
                stored_path=str(stored),
                params={"group": group.code if group else ""},
                report=report_data(preview),
                created_by=request.user,  # type: ignore[misc]
            )
            return redirect("ioc:import_preview", job_id=job.pk)
    return render(
        request,
        "ioc/import_start.html",
        {"form": form, "groups": IndicatorGroup.objects.order_by("code")},
    )


def _own_job(request: HttpRequest, job_id: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=job_id, kind=KIND)
    user = request.user
    if job.created_by_id != user.pk and not getattr(user, "is_administrator", False):
        raise Http404
    return job


@policy(DATA_ENTRY)
@require_GET
def import_preview(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    if job.status != JobStatus.QUEUED:
        return redirect("ioc:import_job", job_id=job.pk)
    return render(request, "ioc/import_preview.html", {"job": job, "report": job.report})


@policy(DATA_ENTRY)
@require_POST
def import_confirm(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    if job.status == JobStatus.QUEUED and not job.done:
        ImportJob.objects.filter(pk=job.pk).update(done=0, total=job.report.get("rows_total", 0))
        jobs.submit(job, audit.current())
        logger.info("Import job %s confirmed by user id %s", job.pk, request.user.pk)
    return redirect("ioc:import_job", job_id=job.pk)


@policy(DATA_ENTRY)
@require_GET
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Show an import job; htmx reloads its progress fragment until the job ends."""
    job = _own_job(request, job_id)
    template = (
        "ioc/_import_progress.html" if request.headers.get("HX-Request") else "ioc/import_job.html"
    )
    return render(request, template, {"job": job, "report": job.report})


@policy(DATA_ENTRY)
@require_GET
def template_download(request: HttpRequest, group_code: str) -> HttpResponse:
    """Send the XLSX template of an indicator group, built fresh so it lists the current indicators."""
    group = get_object_or_404(IndicatorGroup, code=group_code)
    with tempfile.TemporaryDirectory(prefix="tinhso-template-") as folder:
        path = write_template(group, Path(folder) / f"mau-{group.code}.xlsx")
        content = path.read_bytes()
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="mau-{group.code}.xlsx"'
    return response
