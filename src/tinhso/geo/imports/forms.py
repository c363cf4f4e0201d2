"""Forms of the map import pages: the upload, and the confirmation of CRS and layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from tinhso.geo import crs as crs_module
from tinhso.geo.imports import readers
from tinhso.geo.models import Layer

MAX_UPLOAD_BYTES = 500 * 1024 * 1024


def parse_field_map(text: str) -> dict[str, str]:
    """Parse lines of ``column=attribute``; raise ValidationError naming a bad line."""
    mapping: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        column, sep, attribute = line.partition("=")
        if not sep or not column.strip():
            raise ValidationError(
                _("Write one column=attribute per line (column=- drops a column), not %(line)s."),
                params={"line": line.strip()},
                code="invalid_mapping",
            )
        mapping[column.strip()] = attribute.strip()
    return mapping


class LayerUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "GeoJSON, zipped Shapefile (.zip), GeoPackage, KML, CSV with coordinates, DXF, DGN "
            "or OpenStreetMap (.osm.pbf)."
        ),
    )
    layer = forms.ModelChoiceField(
        label=_("Map layer"), queryset=Layer.objects.none(), to_field_name="slug"
    )
    crs = forms.CharField(
        label=_("CRS of the coordinates"),
        required=False,
        help_text=_("Leave empty to use the CRS the file declares, e.g. EPSG:5897."),
    )
    field_map = forms.CharField(
        label=_("Column mapping"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One column=attribute per line; column=- drops the column."),
    )
    id_field = forms.CharField(
        label=_("Identifier column"),
        required=False,
        help_text=_(
            "A column that identifies each feature, so a new version of the file updates it."
        ),
    )

    def __init__(self, *args: Any, layers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["layer"].queryset = layers if layers is not None else Layer.objects.none()  # type: ignore[attr-defined]

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not any(name.endswith(suffix) for suffix in readers.SUPPORTED):
            raise ValidationError(
                _("%(name)s is not a supported map file; see the list of formats below."),
                params={"name": upload.name},
                code="unsupported_format",
            )
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s MB; import it with the command line."),
                params={"name": upload.name, "limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
                code="file_too_large",
            )
        return upload

    def clean_crs(self) -> str:
        return clean_crs_text(self.cleaned_data.get("crs") or "")

    def clean_field_map(self) -> dict[str, str]:
        return parse_field_map(self.cleaned_data.get("field_map") or "")


class ConfirmForm(forms.Form):
    crs = forms.CharField(label=_("CRS of the coordinates"), required=False)
    layer_name = forms.ChoiceField(label=_("Layer in the file"), required=False, choices=())

    def __init__(self, *args: Any, layers: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["layer_name"].choices = [("", "—")] + [(name, name) for name in layers or []]  # type: ignore[attr-defined]

    def clean_crs(self) -> str:
        return clean_crs_text(self.cleaned_data.get("crs") or "")


def clean_crs_text(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    try:
        crs_module.parse_crs(text)
    except crs_module.UnknownCRSError:
        raise ValidationError(
            _("The CRS %(crs)s is unknown; give an EPSG code such as EPSG:5897 or EPSG:4326."),
            params={"crs": text},
            code="unknown_crs",
        ) from None
    return text


def stored_name(upload: UploadedFile) -> str:
    """Return the upload's base name, keeping a double suffix such as .osm.pbf."""
    return Path(upload.name or "upload").name
