"""Pages of log sources: the list, one source's events and quarantine, the whole quarantine,
registration, keys and EVTX uploads, which the in-process worker ingests with a progress bar."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core import audit
from tinhso.core.access import policy
from tinhso.core.models import AuditAction
from tinhso.ingest import jobs
from tinhso.ingest.models import ImportJob
from tinhso.soc.access import SOC_ANALYSTS
from tinhso.soc.collect import keys
from tinhso.soc.collect.evtx_ingest import ingest_files
from tinhso.soc.collect.forms import EvtxUploadForm, QuarantineFilterForm, SourceForm
from tinhso.soc.collect.reasons import explain
from tinhso.soc.collect.sources import SourceError, register_source
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent, SourceKind

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
EVTX_JOB_KIND = "soc.evtx"


def _page(request: HttpRequest, queryset: QuerySet[Any], parameter: str = "page") -> Page[Any]:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(parameter))


def _query_without(request: HttpRequest, parameter: str) -> str:
    """Return the query string without ``parameter``, for page links that keep the filters."""
    query = request.GET.copy()
    query.pop(parameter, None)
    return query.urlencode()


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """Return a subquery that counts ``queryset`` per source, 0 when it is empty."""
    counted = queryset.filter(source=OuterRef("pk")).order_by().values("source")
    return Coalesce(
        Subquery(counted.annotate(count=Count("pk")).values("count"), output_field=IntegerField()),
        0,
    )


@policy(SOC_ANALYSTS)
@require_GET
def source_list(request: HttpRequest) -> HttpResponse:
    """List the sources by agency with their last event, events received in the last 24 h and
    quarantine.

    The count goes by the time of receipt, not the event's own time, so an EVTX file of old
    events that was loaded today counts.
    """
    since = timezone.now() - dt.timedelta(hours=24)
    sources = (
        LogSource.objects.select_related("agency")
        .annotate(
            events_24h=_count(SecurityEvent.objects.filter(received_at__gte=since)),
            quarantined=_count(LogQuarantine.objects.all()),
        )
        .order_by("agency__code", "host", "kind")
    )
    return render(request, "soc/collect/source_list.html", {"page": _page(request, sources)})


@policy(SOC_ANALYSTS)
@require_GET
def source_detail(request: HttpRequest, soc_source_id: int) -> HttpResponse:
    source = get_object_or_404(LogSource.objects.select_related("agency"), pk=soc_source_id)
    events = SecurityEvent.objects.filter(source=source).order_by("-time", "-id")
    held = LogQuarantine.objects.filter(source=source).order_by("-received_at", "-id")
    quarantine = _page(request, held, "qpage")
    context = {
        "source": source,
        "events": _page(request, events, "page"),
        "quarantine": quarantine,
        "quarantine_rows": explain(quarantine),
    }
    return render(request, "soc/collect/source_detail.html", context)


@policy(SOC_ANALYSTS)
@require_GET
def quarantine_list(request: HttpRequest) -> HttpResponse:
    """List all log quarantine newest first, including rows of no source (unknown senders)."""
    form = QuarantineFilterForm(request.GET)
    rows = form.apply(
        LogQuarantine.objects.select_related("source__agency").order_by("-received_at", "-id")
    )
    page = _page(request, rows)
    context = {
        "form": form,
        "page": page,
        "rows": explain(page),
        "query": _query_without(request, "page"),
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "soc/collect/quarantine_list.html", context)


@policy(SOC_ANALYSTS)
@require_http_methods(["GET", "POST"])
def source_create(request: HttpRequest) -> HttpResponse:
    """Register a source; the key of a JSON-lines source is shown on the response page only."""
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registered = register_source(
                data["agency"],
                data["host"],
                data["kind"],
                name=data["name"],
                retention_days=data["retention_days"],
            )
        except SourceError as error:
            form.add_error(None, error.user_message())
        else:
            return render(
                request,
                "soc/collect/source_key.html",
                {"source": registered.source, "raw_key": registered.raw_key, "created": True},
            )
    return render(request, "soc/collect/source_form.html", {"form": form})


@policy(SOC_ANALYSTS)
@require_POST
def source_rotate_key(request: HttpRequest, soc_source_id: int) -> HttpResponse:
    source = get_object_or_404(LogSource, pk=soc_source_id, kind=SourceKind.JSON_HTTP)
    raw_key = keys.rotate_key(source)
    return render(
        request,
        "soc/collect/source_key.html",
        {"source": source, "raw_key": raw_key, "created": False},
    )


# --- EVTX uploads ----------------------------------------------------------------------------


def _upload_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "soc" / "evtx" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


@jobs.register(EVTX_JOB_KIND)
def run_evtx_upload(job: ImportJob, progress: Any) -> dict[str, Any]:
    """Ingest the files of an upload; the files that were read are deleted afterwards.

    A file that could not be read stays in the upload folder, so an administrator can look
    at it; its quarantine row names it.
    """
    source = LogSource.objects.get(pk=job.params["source_id"])
    names = {Path(item["path"]): item["name"] for item in job.params["files"]}
    report = ingest_files(source, list(names), progress=progress, names=names)
    failed = {failure.path for failure in report.failed}
    for path, name in names.items():
        if name not in failed:
            path.unlink(missing_ok=True)
    folder = Path(job.stored_path)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return {**report.as_dict(), "source": source.host, "retention_days": source.retention_days}


@policy(SOC_ANALYSTS)
@require_http_methods(["GET", "POST"])
def evtx_upload(request: HttpRequest) -> HttpResponse:
    """Upload EVTX files for one source; the worker ingests them in the background."""
    form = EvtxUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        source: LogSource = form.cleaned_data["source"]
        folder = _upload_dir()
        files = []
        for number, upload in enumerate(form.cleaned_data["evtx_files"], start=1):
            name = Path(upload.name or f"{number}.evtx").name
            stored = folder / f"{number:03d}-{name}"
            with stored.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            files.append({"path": str(stored), "name": name})
        job = ImportJob.objects.create(
            kind=EVTX_JOB_KIND,
            file_name=", ".join(item["name"] for item in files)[:300],
            stored_path=str(folder),
            params={"source_id": source.pk, "files": files},
            total=len(files),
            created_by=request.user,  # type: ignore[misc]
        )
        audit.record(
            AuditAction.IMPORT,
            source,
            extra={"job": job.pk, "files": [item["name"] for item in files]},
        )
        logger.info("EVTX upload job %s: %s files for source %s", job.pk, len(files), source.pk)
        jobs.submit(job, audit.current())
        return redirect("soc:evtx_job", soc_upload_job_id=job.pk)
    return render(request, "soc/collect/evtx_upload.html", {"form": form})


@policy(SOC_ANALYSTS)
@require_GET
def evtx_job(request: HttpRequest, soc_upload_job_id: int) -> HttpResponse:
    """Show an upload's progress; htmx reloads the fragment until the job ends."""
    job = get_object_or_404(ImportJob, pk=soc_upload_job_id, kind=EVTX_JOB_KIND)
    user = request.user
    if job.created_by_id != user.pk and not getattr(user, "is_administrator", False):
        raise Http404
    template = (
        "soc/collect/_evtx_progress.html"
        if request.headers.get("HX-Request")
        else "soc/collect/evtx_job.html"
    )
    return render(request, template, {"job": job, "report": job.report})
