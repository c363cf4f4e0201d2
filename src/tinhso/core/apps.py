from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from tinhso.core import signals  # noqa: F401  (connects the audit receivers)
