"""The briefing reports app: report regimes, generated reports, DOCX and PDF writers."""

from __future__ import annotations

import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class ReportsConfig(AppConfig):
    name = "tinhso.reports"
    label = "reports"
    verbose_name = _("Briefing reports")

    def ready(self) -> None:
        from tinhso.core.signals import register_audited
        from tinhso.reports.builtin import ensure_builtin_regimes
        from tinhso.reports.models import ReportRegime

        # Edits of a regime (its outline decides every figure) are audited through the model
        # signals; generation writes its own audit row.
        register_audited(ReportRegime)
        # After every migrate, so `tinhso setup` leaves the built-in regimes in place.
        post_migrate.connect(ensure_builtin_regimes, sender=self, dispatch_uid="reports-builtin")
