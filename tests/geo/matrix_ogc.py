"""Permission-matrix entries of OGC API Features (see tests/matrix.py).

The collection opened is the hydrants layer, readable by every staff role. Readers who may
not read a layer get 404, never 403; an administrator who has not passed TOTP reads as the
public.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point, mapping

from tests.matrix import NOT_FOUND, OK, Expect, expect, for_everyone
from tinhso.geo.models import Layer
from tinhso.geo.services.features import create_feature

HYDRANTS = "tru-nuoc-chua-chay"

AGENCY_LAYER = expect(anonymous=NOT_FOUND, staff=OK, admin_without_otp=NOT_FOUND, admin=OK)

EXPECTED: dict[str, Expect] = {
    "ogc/": for_everyone(OK),
    "ogc/conformance": for_everyone(OK),
    "ogc/api": for_everyone(OK),
    "ogc/collections": for_everyone(OK),
    "ogc/collections/<str:collection_id>": AGENCY_LAYER,
    "ogc/collections/<str:collection_id>/queryables": AGENCY_LAYER,
    "ogc/collections/<str:collection_id>/items": AGENCY_LAYER,
    "ogc/collections/<str:collection_id>/items/<str:feature_id>": AGENCY_LAYER,
    "ogc/<path:unknown_path>": for_everyone(NOT_FOUND),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Add one hydrant; return its layer and feature ids."""
    layer = Layer.objects.get(slug=HYDRANTS)
    hydrant = create_feature(layer, mapping(Point(105.597, 21.309)), {"loai": "trụ nước"}, None)
    return {
        "collection_id": HYDRANTS,
        "feature_id": str(hydrant.pk),
        "unknown_path": "no-such-resource",
    }
