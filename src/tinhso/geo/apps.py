"""The provincial digital map: boundaries, layers, imports, OGC API Features, vector tiles."""

import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class GeoConfig(AppConfig):
    name = "tinhso.geo"
    label = "geo"
    verbose_name = _("Digital map")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # ``migrate`` and ``flush`` (the browser tests, a reset database) both send post_migrate.
        post_migrate.connect(ensure_builtin_layers, sender=self, dispatch_uid="geo_builtin_layers")


def ensure_builtin_layers(**kwargs: object) -> None:
    """Create the built-in map layers where missing (a post_migrate receiver)."""
    from tinhso.geo.builtin import ensure_builtin_layers as ensure
    from tinhso.geo.models import Layer

    created = ensure(Layer)
    if created:
        logger.info("Created %s built-in map layers", created)
