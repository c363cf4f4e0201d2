"""Forms of the IOC pages."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from tinhso.ingest.tables import MAX_TABLE_BYTES
from tinhso.ioc.models import IndicatorGroup

ACCEPTED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}


class ValueImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (XLSX or CSV)"),
        help_text=_(
            "Values in long form (indicator, unit, period, value) or the template of a group."
        ),
    )
    group = forms.ModelChoiceField(
        label=_("Indicator group (for a group template)"),
        queryset=IndicatorGroup.objects.order_by("code"),
        required=False,
        to_field_name="code",
        empty_label=_("— detect from the file —"),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in ACCEPTED_SUFFIXES:
            raise ValidationError(
                _(
                    "%(name)s is not a CSV or XLSX file. Save it as .xlsx or as CSV UTF-8 and upload it again."
                ),
                params={"name": upload.name},
                code="unsupported_format",
            )
        if upload.size is not None and upload.size > MAX_TABLE_BYTES:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s MB; split it into smaller files."),
                params={"name": upload.name, "limit": MAX_TABLE_BYTES // (1024 * 1024)},
                code="file_too_large",
            )
        return upload
