"""Admin pages for report regimes (editable) and generated reports (read-only records)."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tinhso.reports import outline
from tinhso.reports.models import GeneratedReport, ReportRegime
from tinhso.reports.services import sync_indicators

logger = logging.getLogger(__name__)


class ReportRegimeForm(forms.ModelForm[ReportRegime]):
    def clean_outline(self) -> str:
        text: str = self.cleaned_data["outline"]
        try:
            outline.parse(text)
        except outline.OutlineError as error:
            raise forms.ValidationError(
                _("Line %(line)s of the outline is invalid: %(detail)s.")
                % {"line": error.line, "detail": error.detail}
            ) from None
        return text

    def clean_cutoff_day(self) -> int:
        day: int = self.cleaned_data["cutoff_day"]
        if not 2 <= day <= 28:
            raise forms.ValidationError(_("The cut-off day must be between 2 and 28."))
        return day


@admin.register(ReportRegime)
class ReportRegimeAdmin(admin.ModelAdmin[ReportRegime]):
    form = ReportRegimeForm
    list_display = ["code", "name", "frequency", "deadline", "receiving_body", "is_builtin"]
    search_fields = ["code", "name", "content"]
    filter_horizontal = ["indicators"]
    readonly_fields = ["is_builtin", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "content", "is_builtin"]}),
        (
            _("Regime (Decree 09/2019/NĐ-CP)"),
            {
                "fields": [
                    "reporting_body",
                    "receiving_body",
                    "sending_method",
                    "deadline",
                    "frequency",
                    "period_types",
                    "data_cutoff",
                    "cutoff_day",
                ]
            },
        ),  # fmt: skip
        (_("Outline and data forms"), {"fields": ["unit_code", "outline", "indicators"]}),
        (
            _("Document layout (Decree 30/2020/NĐ-CP)"),
            {
                "fields": [
                    "issuer_parent",
                    "issuer",
                    "document_symbol",
                    "place",
                    "signer_authority",
                    "signer_title",
                    "signer_name",
                    "recipients",
                ]
            },
        ),  # fmt: skip
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm[ReportRegime], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # The indicators the outline reads belong to its data forms whatever the form sent.
        sync_indicators(form.instance)


@admin.register(GeneratedReport)
class GeneratedReportAdmin(admin.ModelAdmin[GeneratedReport]):
    list_display = [
        "id",
        "regime",
        "period",
        "figure_count",
        "missing_count",
        "generated_by_name",
        "created_at",
    ]
    list_filter = ["regime"]
    search_fields = ["title", "period", "sha256"]
    readonly_fields = [
        "regime", "period", "title", "docx_path", "pdf_path", "docx_sha256", "pdf_sha256",
        "sha256", "manifest", "figure_count", "missing_count", "generated_by",
        "generated_by_name", "created_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A generated report is the record of what was issued, like an audit row.
        return False
