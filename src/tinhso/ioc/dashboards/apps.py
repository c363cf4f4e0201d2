"""The leaders' dashboards: overview, sector and commune dashboards, composer, live feed."""

import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class DashboardsConfig(AppConfig):
    name = "tinhso.ioc.dashboards"
    label = "ioc_dashboards"
    verbose_name = _("IOC dashboards")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from tinhso.core.models import Unit, UnitLink
        from tinhso.ioc.dashboards.services.scope import clear_scope_cache

        # ``flush`` and ``migrate`` send post_migrate; bulk loads of units send no signal,
        # so the cache also expires on its own after SCOPE_CACHE_SECONDS.
        post_migrate.connect(clear_scope_cache, dispatch_uid="ioc_dashboards_scope_migrate")
        for model in (Unit, UnitLink):
            post_save.connect(
                clear_scope_cache,
                sender=model,
                dispatch_uid=f"ioc_dashboards_scope_save_{model.__name__}",
            )
            post_delete.connect(
                clear_scope_cache,
                sender=model,
                dispatch_uid=f"ioc_dashboards_scope_delete_{model.__name__}",
            )
