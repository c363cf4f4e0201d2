"""Permission-matrix entries of the web map and the layer catalogue (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix import NOT_ALLOWED, NOT_FOUND, OK, OTP, PUBLIC_PAGE, Expect, expect

# Without ``q`` the search returns 400 with a message naming the parameter.
BAD_REQUEST = "400"
# An "agencies" layer: every staff role reads it, and the public gets 404 as if it did not exist.
AGENCIES_LAYER = "tru-so-cong-an"

EXPECTED: dict[str, Expect] = {
    "map/": PUBLIC_PAGE,
    "map/search/": expect(
        anonymous=BAD_REQUEST, staff=BAD_REQUEST, admin_without_otp=OTP, admin=BAD_REQUEST
    ),
    "map/measure/": expect(
        anonymous=NOT_ALLOWED, staff=NOT_ALLOWED, admin_without_otp=OTP, admin=NOT_ALLOWED
    ),
    "map/layers/": PUBLIC_PAGE,
    "map/layers/<slug:catalogue_layer>/": expect(
        anonymous=NOT_FOUND, staff=OK, admin_without_otp=OTP, admin=OK
    ),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """The built-in layers exist in every test database; the detail page opens one of them."""
    return {"catalogue_layer": AGENCIES_LAYER}
