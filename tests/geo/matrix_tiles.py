"""Permission-matrix entries of the tile URLs (see tests/matrix.py).

The tiles treat clients as the API does: 401 without a key or session, never a redirect to
the login page. An administrator who has not passed TOTP reads as the public.
"""

from __future__ import annotations

from typing import Any

from tests.matrix import OK, UNAUTHORIZED, Expect, expect, for_everyone

# Police stations are an "agencies" layer: any staff role reads it, the public does not.
AGENCY_LAYER = "tru-so-cong-an"
AGENCY_PAGE = expect(anonymous=UNAUTHORIZED, staff=OK, admin_without_otp=UNAUTHORIZED, admin=OK)

EXPECTED: dict[str, Expect] = {
    "tiles/style.json": for_everyone(OK),
    "tiles/<slug:tile_layer>/tilejson.json": AGENCY_PAGE,
    "tiles/<slug:tile_layer>/<int:z>/<int:x>/<int:y>.pbf": AGENCY_PAGE,
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Name the police-station layer and the zoom-12 tile over Vĩnh Yên."""
    return {"tile_layer": AGENCY_LAYER, "z": "12", "x": "3249", "y": "1799"}
