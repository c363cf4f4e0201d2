from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "tinhso.ioc.alerts"
    label = "ioc_alerts"
    verbose_name = _("IOC alerts and directives")
