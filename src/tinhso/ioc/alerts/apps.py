"""The alerts and directives app of the IOC (cảnh báo và chỉ đạo)."""

import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class AlertsConfig(AppConfig):
    name = "tinhso.ioc.alerts"
    label = "ioc_alerts"
    verbose_name = _("IOC alerts and directives")

    def ready(self) -> None:
        from tinhso.core.signals import register_audited
        from tinhso.ioc.alerts import models

        for model in (
            models.AlertRule,
            models.Alert,
            models.AlertActivity,
            models.Directive,
            models.DirectiveUpdate,
        ):
            register_audited(model)
