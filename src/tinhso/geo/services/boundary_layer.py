"""The administrative-boundaries layer, built from the units' boundaries and validity.

Each boundary becomes one feature valid over its unit's interval, so the layer shows the
province on any date: the districts and communes before 1 July 2025, the new communes after.
The layer is rebuilt whole after each boundary import; it holds a few thousand features.
"""

from __future__ import annotations

import logging

from django.db import transaction

from tinhso.geo.builtin import BOUNDARIES, BUILTIN_LAYERS
from tinhso.geo.models import Boundary, Layer, MapFeature
from tinhso.geo.services.features import touch_layer
from tinhso.text import fold

logger = logging.getLogger(__name__)

_BATCH = 500


def boundary_layer() -> Layer:
    """The built-in boundaries layer, created if an administrator deleted it."""
    layer = Layer.objects.filter(slug=BOUNDARIES).first()
    if layer is None:
        definition = next(item for item in BUILTIN_LAYERS if item["slug"] == BOUNDARIES)
        layer = Layer.objects.create(**definition)
    return layer


@transaction.atomic
def sync_boundary_layer() -> int:
    """Rebuild the boundaries layer from :class:`Boundary`; return the number of features."""
    layer = boundary_layer()
    MapFeature.objects.filter(layer=layer).delete()
    features = []
    for boundary in Boundary.objects.select_related("unit").iterator(chunk_size=_BATCH):
        unit = boundary.unit
        properties = {
            "ma": unit.code,
            "ten": unit.name,
            "cap": unit.get_level_display(),
            "loai": unit.get_type_display(),
            "dien_tich_km2": round(boundary.area_m2 / 1e6, 2) if boundary.area_m2 else None,
        }
        min_x, min_y, max_x, max_y = boundary.geom.bounds
        features.append(
            MapFeature(
                layer=layer,
                geom=boundary.geom,
                min_x=min_x,
                min_y=min_y,
                max_x=max_x,
                max_y=max_y,
                properties=properties,
                unit=unit,
                valid_from=unit.valid_from,
                valid_to=unit.valid_to,
                external_id=f"{unit.level}-{unit.code}-{unit.valid_from or ''}",
                search_text=fold(unit.name)[:300],
                batch_id=boundary.batch_id,
            )
        )
    MapFeature.objects.bulk_create(features, batch_size=_BATCH)
    touch_layer(layer)
    logger.info("Boundaries layer rebuilt with %s features", len(features))
    return len(features)
