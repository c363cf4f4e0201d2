"""Report regimes (chế độ báo cáo) and the briefing reports generated from them.

A regime carries the elements that Decree 09/2019/NĐ-CP requires of every reporting regime:
name, content, reporting body, receiving body, method of sending, deadline, frequency, data
cut-off, outline (đề cương) and data forms (biểu mẫu số liệu). The outline is written in the
template language of :mod:`tinhso.reports.outline`, so every figure in it is a query on IOC data.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.ioc.periods import DEFAULT_CUTOFF_DAY

logger = logging.getLogger(__name__)


class ReportRegime(models.Model):
    """A reporting regime: who reports what to whom, when, and from which data."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=300)
    content = models.TextField(
        _("content"), blank=True, help_text=_("What the report covers (nội dung yêu cầu báo cáo).")
    )
    reporting_body = models.CharField(_("reporting body"), max_length=300, blank=True)
    receiving_body = models.CharField(_("receiving body"), max_length=300, blank=True)
    sending_method = models.CharField(
        _("method of sending"), max_length=300, blank=True,
        help_text=_("For example: the reporting information system, or paper and e-mail."),
    )  # fmt: skip
    deadline = models.CharField(
        _("reporting deadline"), max_length=300, blank=True,
        help_text=_("When the report is due, e.g. by the 20th of the reporting month."),
    )  # fmt: skip
    frequency = models.CharField(
        _("frequency"), max_length=300, blank=True,
        help_text=_("How often the report is made, e.g. monthly, nine-monthly and yearly."),
    )  # fmt: skip
    period_types = models.JSONField(
        _("period types"), default=list, blank=True,
        help_text=_('Period types a report may be generated for, e.g. ["month", "nine_months", "year"]; empty allows all.'),
    )  # fmt: skip
    data_cutoff = models.CharField(
        _("data cut-off"), max_length=300, blank=True,
        help_text=_("The data cut-off rule as the regime states it (thời gian chốt số liệu)."),
    )  # fmt: skip
    cutoff_day = models.PositiveSmallIntegerField(
        _("cut-off day"), default=DEFAULT_CUTOFF_DAY,
        help_text=_("Day of the month on which reporting months close (2 to 28)."),
    )  # fmt: skip
    outline = models.TextField(
        _("outline template"), blank=True,
        help_text=_("The outline (đề cương) in the report template language; every figure is a query on IOC data."),
    )  # fmt: skip
    indicators = models.ManyToManyField(
        "ioc.Indicator", blank=True, related_name="report_regimes",
        verbose_name=_("data forms (indicators)"),
        help_text=_("The indicators of the regime's data forms (biểu mẫu số liệu)."),
    )  # fmt: skip
    unit_code = models.CharField(
        _("unit code"), max_length=5, blank=True,
        help_text=_("Code of the administrative unit whose data the report presents, e.g. 26 for Vĩnh Phúc."),
    )  # fmt: skip
    issuer_parent = models.CharField(
        _("superior body"), max_length=200, blank=True,
        help_text=_("Upper line of the issuing body block (tên cơ quan chủ quản), if any."),
    )  # fmt: skip
    issuer = models.CharField(_("issuing body"), max_length=200, blank=True)
    document_symbol = models.CharField(
        _("document symbol"), max_length=60, default="BC-UBND",
        help_text=_("Symbol after the number, e.g. BC-UBND."),
    )  # fmt: skip
    place = models.CharField(_("place name in the date line"), max_length=100, blank=True)
    signer_authority = models.CharField(
        _("signing authority"), max_length=200, blank=True,
        help_text=_("For example: TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH; one line per row."),
    )  # fmt: skip
    signer_title = models.CharField(_("signer's title"), max_length=200, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=200, blank=True)
    recipients = models.TextField(
        _("recipients"), blank=True, help_text=_("The 'Nơi nhận' block, one recipient per line.")
    )
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report regime")
        verbose_name_plural = _("report regimes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GeneratedReport(models.Model):
    """One generated report: its files under the data folder, its figure manifest and hashes."""

    regime = models.ForeignKey(
        ReportRegime, on_delete=models.PROTECT, related_name="reports", verbose_name=_("regime")
    )
    period = models.CharField(_("period"), max_length=16)
    title = models.CharField(_("title"), max_length=400)
    docx_path = models.CharField(_("DOCX file"), max_length=400, blank=True)
    pdf_path = models.CharField(_("PDF file"), max_length=400, blank=True)
    docx_sha256 = models.CharField(_("DOCX SHA-256"), max_length=64, blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    sha256 = models.CharField(
        _("manifest SHA-256"), max_length=64,
        help_text=_("Hash of the figure manifest, equal for two reports showing the same figures."),
    )  # fmt: skip
    manifest = models.JSONField(_("manifest"), default=dict)
    figure_count = models.PositiveIntegerField(_("figures"), default=0)
    missing_count = models.PositiveIntegerField(_("figures without data"), default=0)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("generated by"),
    )  # fmt: skip
    generated_by_name = models.CharField(_("generated by (name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("generated at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("generated report")
        verbose_name_plural = _("generated reports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.regime.code} {self.period} #{self.pk}"
