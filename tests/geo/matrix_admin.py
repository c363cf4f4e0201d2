"""Permission-matrix entries of the digital map's admin pages (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point

from tests.matrix import CHANGE_PAGE, DENIED, Expect, admin_page
from tinhso.core.models import Role
from tinhso.geo.models import Layer
from tinhso.geo.services.features import create_feature

EXPECTED: dict[str, Expect] = {
    "admin/geo/layer/": admin_page(),
    "admin/geo/layer/add/": admin_page(),
    "admin/geo/layer/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/geo/layer/<path:object_id>/change/": admin_page(),
    "admin/geo/layer/<path:object_id>/history/": admin_page(),
    "admin/geo/layer/<path:object_id>/delete/": admin_page(),
    # Features change through imports and the map's editor, which keep their history.
    "admin/geo/mapfeature/": admin_page(),
    "admin/geo/mapfeature/add/": admin_page(DENIED),
    "admin/geo/mapfeature/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/geo/mapfeature/<path:object_id>/change/": admin_page(),
    "admin/geo/mapfeature/<path:object_id>/history/": admin_page(),
    "admin/geo/mapfeature/<path:object_id>/delete/": admin_page(),
    # The edit history is written only by the editing services.
    "admin/geo/featureedit/": admin_page(),
    "admin/geo/featureedit/add/": admin_page(DENIED),
    "admin/geo/featureedit/<path:object_id>/": admin_page(CHANGE_PAGE),
    "admin/geo/featureedit/<path:object_id>/change/": admin_page(),
    "admin/geo/featureedit/<path:object_id>/history/": admin_page(),
    "admin/geo/featureedit/<path:object_id>/delete/": admin_page(DENIED),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create one feature, which also writes its first edit; no path parameters."""
    hydrants = Layer.objects.get(slug="tru-nuoc-chua-chay")
    create_feature(hydrants, Point(105.6, 21.31), {"loai": "trụ nước"}, users[Role.POLICE_OFFICER])
    return {}
