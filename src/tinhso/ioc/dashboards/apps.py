from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "tinhso.ioc.dashboards"
    label = "ioc_dashboards"
    verbose_name = _("IOC dashboards")
