from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocConfig(AppConfig):
    name = "tinhso.soc"
    label = "soc"
    verbose_name = _("Cyber-security operations centre")
