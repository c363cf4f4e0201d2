"""Admin pages of the digital map: boundaries, the layer catalogue, features and their edits."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tinhso.core.models import Role
from tinhso.geo import crs
from tinhso.geo.models import Boundary, FeatureEdit, Layer, MapFeature
from tinhso.geo.services.schema import schema_problems


@admin.register(Boundary)
class BoundaryAdmin(admin.ModelAdmin[Boundary]):
    list_display = ["unit", "area_m2", "source", "imported_at"]
    search_fields = ["unit__code", "unit__name"]
    exclude = ["geom"]
    readonly_fields = [
        "unit",
        "min_x",
        "min_y",
        "max_x",
        "max_y",
        "area_m2",
        "source",
        "imported_at",
        "batch",
    ]


class LayerForm(forms.ModelForm[Layer]):
    """Checks the JSON fields an administrator types: schema, roles, style and the legal CRS."""

    class Meta:
        model = Layer
        fields = [
            "slug",
            "name",
            "name_en",
            "description",
            "description_en",
            "kind",
            "group",
            "owner",
            "geometry_type",
            "schema",
            "attributes_strict",
            "legal_crs",
            "access_level",
            "reader_roles",
            "editor_roles",
            "personal_roles",
            "style",
            "label_field",
            "min_zoom",
            "max_zoom",
            "sort_order",
        ]

    def clean_schema(self) -> Any:
        schema = self.cleaned_data["schema"]
        problems = schema_problems(schema)
        if problems:
            raise forms.ValidationError(problems)
        return schema

    def _clean_roles(self, field: str) -> Any:
        roles = self.cleaned_data[field]
        if not isinstance(roles, list) or any(role not in Role.values for role in roles):
            raise forms.ValidationError(
                _('List roles by code, for example ["police_officer"]; known roles: %(roles)s.')
                % {"roles": ", ".join(Role.values)}
            )
        return roles

    def clean_reader_roles(self) -> Any:
        return self._clean_roles("reader_roles")

    def clean_editor_roles(self) -> Any:
        return self._clean_roles("editor_roles")

    def clean_personal_roles(self) -> Any:
        return self._clean_roles("personal_roles")

    def clean_style(self) -> Any:
        style = self.cleaned_data["style"]
        if not isinstance(style, dict):
            raise forms.ValidationError(
                _('The style must be a JSON object such as {"color": "#c0392b", "width": 2}.')
            )
        return style

    def clean_legal_crs(self) -> str:
        value: str = self.cleaned_data["legal_crs"].strip()
        try:
            parsed = crs.parse_crs(value)
        except crs.UnknownCRSError as error:
            raise forms.ValidationError(
                _("PROJ does not know the CRS %(crs)s; use an EPSG code such as EPSG:9208.")
                % {"crs": value}
            ) from error
        if not parsed.is_projected:
            raise forms.ValidationError(
                _("The legal CRS must be projected (a VN-2000 TM-3 zone such as EPSG:9208).")
            )
        return value


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin[Layer]):
    form = LayerForm
    list_display = [
        "slug",
        "name",
        "group",
        "geometry_type",
        "access_level",
        "owner",
        "version",
        "updated_at",
    ]
    list_filter = ["kind", "access_level", "geometry_type", "group"]
    search_fields = ["slug", "name", "name_en"]
    readonly_fields = ["version", "created_at", "updated_at"]


@admin.register(MapFeature)
class MapFeatureAdmin(admin.ModelAdmin[MapFeature]):
    """Read-only: features change through imports and the map's editor, which keep history."""

    list_display = ["id", "layer", "search_text", "valid_from", "valid_to", "version", "updated_at"]
    list_filter = ["layer"]
    search_fields = ["search_text", "external_id"]
    exclude = ["geom"]
    list_select_related = ["layer"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FeatureEdit)
class FeatureEditAdmin(admin.ModelAdmin[FeatureEdit]):
    list_display = ["at", "layer", "feature_ref", "action", "user", "comment"]
    list_filter = ["action", "layer"]
    search_fields = ["comment", "user__username"]
    list_select_related = ["layer", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
