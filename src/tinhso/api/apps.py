from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "tinhso.api"
    label = "api"
    verbose_name = _("Data sharing API")

    def ready(self) -> None:
        from tinhso.api.models import ApiKey
        from tinhso.core.signals import register_audited

        # Issuing, editing and revoking keys are audited through the model signals.
        register_audited(ApiKey)
