"""Permission-matrix entries of this part's URLs (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix import Expect

EXPECTED: dict[str, Expect] = {}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create the objects these URLs need; return the values of their path parameters."""
    return {}
