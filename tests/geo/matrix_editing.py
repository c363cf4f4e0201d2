"""Permission-matrix entries of the editing, export and print URLs (see tests/matrix.py).

The world contains one patrol area, a layer that police officers and provincial leaders read
and police officers edit; the other staff roles may not read it.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Polygon

from tests.matrix import DENIED, LOGIN, NOT_ALLOWED, OK, OTP, Expect, expect
from tinhso.core.models import Role
from tinhso.geo.models import Layer
from tinhso.geo.services.features import create_feature

PATROL_AREAS = "dia-ban-tuan-tra"

STAFF_JSON = expect(anonymous=LOGIN, staff=OK, admin_without_otp=OTP, admin=OK)


def _patrol_readers() -> Expect:
    """Police officers, leaders and administrators read patrol areas; other staff get 403."""
    result = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=OK)
    result.by_role[Role.POLICE_OFFICER.value] = OK
    result.by_role[Role.PROVINCIAL_LEADER.value] = OK
    return result


def _post_only_public() -> Expect:
    """Export and print take POST from anyone; a GET gets 405 once past the second-factor gate."""
    return expect(
        anonymous=NOT_ALLOWED, staff=NOT_ALLOWED, admin_without_otp=OTP, admin=NOT_ALLOWED
    )


EXPECTED: dict[str, Expect] = {
    "map/features/editable-layers/": STAFF_JSON,
    "map/features/<slug:layer_slug>/": _patrol_readers(),
    "map/features/<slug:layer_slug>/history/": _patrol_readers(),
    "map/features/<slug:layer_slug>/<int:feature_pk>/": _patrol_readers(),
    "map/features/<slug:layer_slug>/<int:feature_pk>/delete/": expect(
        anonymous=LOGIN, staff=NOT_ALLOWED, admin_without_otp=OTP, admin=NOT_ALLOWED
    ),
    "map/features/<slug:layer_slug>/<int:feature_pk>/history/": _patrol_readers(),
    "map/export/": _post_only_public(),
    "map/print/": _post_only_public(),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create one patrol area drawn by the police officer; return its layer and number."""
    layer = Layer.objects.get(slug=PATROL_AREAS)
    area = Polygon([(105.59, 21.30), (105.60, 21.30), (105.60, 21.31), (105.59, 21.31)])
    feature = create_feature(
        layer, area, {"ten": "Địa bàn tuần tra số 1"}, users[Role.POLICE_OFFICER]
    )
    return {"layer_slug": PATROL_AREAS, "feature_pk": str(feature.pk)}
