"""Forms of the log source pages: registering a source, uploading EVTX files and filtering
the quarantine."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import Department
from tinhso.soc.collect.reasons import SUMMARIES
from tinhso.soc.models import LogQuarantine, LogSource, SourceKind

MAX_EVTX_UPLOAD_BYTES = 256 * 1024 * 1024
MAX_EVTX_FILES = 50


class SourceForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Department.objects.order_by("code"), to_field_name="code"
    )
    host = forms.CharField(
        label=_("Host"),
        max_length=255,
        help_text=_("The host name the logs carry, or the address they come from."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    retention_days = forms.IntegerField(
        label=_("Retention (days)"), min_value=1, max_value=36500, initial=180
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that takes several files, as the Django documentation shows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".evtx"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class EvtxUploadForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Log source"),
        queryset=LogSource.objects.filter(kind=SourceKind.EVTX, enabled=True).select_related(
            "agency"
        ),
        help_text=_("An enabled source of the kind EVTX; register one first if it is missing."),
    )
    evtx_files = MultipleFileField(
        label=_("EVTX files"),
        help_text=_("Windows event log files (.evtx); several can be chosen at once."),
    )

    def clean_evtx_files(self) -> list[UploadedFile]:
        uploads: list[UploadedFile] = self.cleaned_data["evtx_files"]
        if len(uploads) > MAX_EVTX_FILES:
            raise ValidationError(
                _("At most %(max)s files at once; upload the rest in another batch."),
                params={"max": MAX_EVTX_FILES},
                code="too_many_files",
            )
        for upload in uploads:
            if Path(upload.name or "").suffix.lower() != ".evtx":
                raise ValidationError(
                    _("%(name)s is not an .evtx file. Export the log from Event Viewer as .evtx."),
                    params={"name": upload.name},
                    code="unsupported_format",
                )
            if upload.size is not None and upload.size > MAX_EVTX_UPLOAD_BYTES:
                raise ValidationError(
                    _("%(name)s is larger than %(limit)s MB; ingest it with tinhso soc ingest."),
                    params={"name": upload.name, "limit": MAX_EVTX_UPLOAD_BYTES // (1024 * 1024)},
                    code="file_too_large",
                )
        return uploads


NO_SOURCE = "none"
# The transports the collectors write; the filter offers them before any row has one.
KNOWN_TRANSPORTS = ("udp", "tcp", "tls", "http", "evtx")


class QuarantineFilterForm(forms.Form):
    """Filters of the quarantine page, read from the query string; each one is optional."""

    transport = forms.ChoiceField(label=_("Transport"), required=False)
    code = forms.ChoiceField(label=_("Error code"), required=False)
    source = forms.ChoiceField(label=_("Log source"), required=False)
    date = forms.DateField(
        label=_("Received on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A day in the platform's time zone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        present = LogQuarantine.objects.order_by()
        transports = {*KNOWN_TRANSPORTS, *present.values_list("transport", flat=True).distinct()}
        codes = {*SUMMARIES, *present.values_list("code", flat=True).distinct()}
        sources = LogSource.objects.select_related("agency").order_by("agency__code", "host")
        self._offer("transport", [(value, value) for value in sorted(transports)])
        self._offer("code", [(value, value) for value in sorted(codes)])
        self._offer(
            "source",
            [
                (NO_SOURCE, _("No source (unknown sender)")),
                *((str(source.pk), f"{source.agency.code} {source}") for source in sources),
            ],
        )

    def _offer(self, name: str, choices: list[tuple[str, Any]]) -> None:
        """Set the choices of field ``name``, after the choice of no filter."""
        field = cast(forms.ChoiceField, self.fields[name])
        field.choices = [("", _("All")), *choices]

    def apply(self, rows: QuerySet[LogQuarantine]) -> QuerySet[LogQuarantine]:
        """Return ``rows`` narrowed by the valid filters."""
        # cleaned_data keeps the fields that are valid when another one is not.
        self.is_valid()
        data = self.cleaned_data
        if data.get("transport"):
            rows = rows.filter(transport=data["transport"])
        if data.get("code"):
            rows = rows.filter(code=data["code"])
        if data.get("source") == NO_SOURCE:
            rows = rows.filter(source__isnull=True)
        elif data.get("source"):
            rows = rows.filter(source_id=int(data["source"]))
        if data.get("date"):
            rows = rows.filter(received_at__date=data["date"])
        return rows
