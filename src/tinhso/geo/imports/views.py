"""Pages that import a file into a map layer: upload, confirmation, progress and report.

The upload is checked at once for its format, layers and CRS. The confirmation page
shows what was found, and for a file that declares no CRS it fills in the suggested one. The import itself runs on the in-process job worker, and the job page
polls its progress with htmx until the report with the quarantined features is there.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.core import audit
from tinhso.core.access import STAFF, policy
from tinhso.core.errors import ImportFileError
from tinhso.geo.imports.forms import ConfirmForm, LayerUploadForm, stored_name
from tinhso.geo.imports.service import (
    KIND,
    LayerImportOptions,
    import_layer,
    inspect_file,
    report_data,
)
from tinhso.geo.models import Layer
from tinhso.geo.services.access import can_edit
from tinhso.ingest import jobs
from tinhso.ingest.models import ImportJob, JobStatus

logger = logging.getLogger(__name__)


def editable_layers(user: Any) -> Any:
    layers = Layer.objects.order_by("sort_order", "slug")
    return layers.filter(pk__in=[layer.pk for layer in layers if can_edit(layer, user)])


def _upload_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "map-imports" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def _options(params: dict[str, Any], user: Any = None) -> LayerImportOptions:
    return LayerImportOptions(
        crs=params.get("crs") or None,
        layer_name=params.get("layer_name") or None,
        field_map=dict(params.get("field_map") or {}),
        id_field=params.get("id_field") or None,
        user=user,
    )


@jobs.register(KIND)
def run_layer_import(job: ImportJob, progress: Any) -> dict[str, Any]:
    layer = Layer.objects.get(slug=job.params["layer"])
    report = import_layer(
        Path(job.stored_path), layer, _options(job.params, job.created_by), progress=progress
    )
    return report_data(report)


@policy(STAFF)
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Upload a file into a layer the user may edit; the next page confirms CRS and layer."""
    layers = editable_layers(request.user)
    form = LayerUploadForm(request.POST or None, request.FILES or None, layers=layers)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        stored = _upload_dir() / stored_name(upload)
        with stored.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        layer: Layer = form.cleaned_data["layer"]
        params = {
            "layer": layer.slug,
            "crs": form.cleaned_data["crs"],
            "field_map": form.cleaned_data["field_map"],
            "id_field": form.cleaned_data["id_field"],
            "layer_name": "",
        }
        try:
            inspection = inspect_file(stored, layer, _options(params))
        except ImportFileError as error:
            form.add_error("file", error.message)
        else:
            job = ImportJob.objects.create(
                kind=KIND,
                file_name=upload.name[:300],
                stored_path=str(stored),
                params={**params, "inspection": inspection},
                created_by=request.user,  # type: ignore[misc]
            )
            logger.info("Map import job %s uploaded into layer %s", job.pk, layer.slug)
            return redirect("geo_imports:confirm", layer_job_id=job.pk)
    return render(request, "geo/imports/start.html", {"form": form, "has_layers": layers.exists()})


def _own_job(request: HttpRequest, job_id: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=job_id, kind=KIND)
    user = request.user
    if job.created_by_id != user.pk and not getattr(user, "is_administrator", False):
        raise Http404
    return job


@policy(STAFF)
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, layer_job_id: int) -> HttpResponse:
    """Show what the file contains; confirm the CRS (pre-filled) and the layer in the file."""
    job = _own_job(request, layer_job_id)
    if job.status != JobStatus.QUEUED or job.done:
        return redirect("geo_imports:job", layer_job_id=job.pk)
    layer = get_object_or_404(Layer, slug=job.params["layer"])
    if not can_edit(layer, request.user):
        raise Http404
    inspection = job.params.get("inspection", {})
    initial = {
        "crs": job.params.get("crs") or inspection.get("suggested_crs", ""),
        "layer_name": job.params.get("layer_name", ""),
    }
    form = ConfirmForm(request.POST or None, initial=initial, layers=inspection.get("layers"))
    if request.method == "POST" and form.is_valid():
        params = {
            **job.params,
            "crs": form.cleaned_data["crs"],
            "layer_name": form.cleaned_data["layer_name"],
        }
        try:
            inspection = inspect_file(Path(job.stored_path), layer, _options(params))
        except ImportFileError as error:
            form.add_error(None, error.message)
        else:
            params["inspection"] = inspection
            ImportJob.objects.filter(pk=job.pk).update(params=params)
            job.params = params
            if inspection.get("needs_layer"):
                form.add_error(
                    "layer_name", _("The file contains several layers; choose the one to import.")
                )
            elif inspection.get("needs_crs"):
                form.add_error("crs", inspection.get("message", ""))
            else:
                ImportJob.objects.filter(pk=job.pk).update(total=inspection.get("features", 0))
                jobs.submit(job, audit.current())
                logger.info("Map import job %s confirmed by user id %s", job.pk, request.user.pk)
                return redirect("geo_imports:job", layer_job_id=job.pk)
    return render(
        request,
        "geo/imports/confirm.html",
        {"job": job, "layer": layer, "inspection": inspection, "form": form},
    )


@policy(STAFF)
@require_GET
def job_page(request: HttpRequest, layer_job_id: int) -> HttpResponse:
    """Show an import job; htmx reloads its progress fragment until the job ends."""
    job = _own_job(request, layer_job_id)
    template = (
        "geo/imports/_progress.html"
        if request.headers.get("HX-Request")
        else "geo/imports/job.html"
    )
    return render(request, template, {"job": job, "report": job.report})
