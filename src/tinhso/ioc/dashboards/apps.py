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
        # The data migration creates the built-in sectors once; ``flush`` (the browser tests,
        # a reset database) empties the tables and sends post_migrate, which restores them.
        post_migrate.connect(
            ensure_builtin_sectors, sender=self, dispatch_uid="ioc_dashboards_builtin"
        )
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


def ensure_builtin_sectors(**kwargs: object) -> None:
    """Create the built-in sectors and their dashboards where missing (a post_migrate receiver)."""
    from tinhso.ioc.dashboards.builtin import ensure_builtin
    from tinhso.ioc.dashboards.models import Dashboard, Sector

    created = ensure_builtin(Sector, Dashboard)
    if created:
        logger.info("Created %s built-in sectors and dashboards", created)
