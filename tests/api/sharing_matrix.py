"""Permission-matrix entries of this part's URLs (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix import UNAUTHORIZED, Expect, for_everyone
from tinhso.reports.models import ReportRegime

# The sharing API reads agency keys only: no role gets in through a browser session, not even
# an administrator, because every dataset read must be attributable to an agency's key.
EXPECTED: dict[str, Expect] = {
    "api/v1/share/datasets": for_everyone(UNAUTHORIZED),
    "api/v1/share/datasets/<dataset>": for_everyone(UNAUTHORIZED),
    "api/v1/share/datasets/<dataset>/values": for_everyone(UNAUTHORIZED),
    "api/v1/share/datasets/<dataset>/dataValueSets": for_everyone(UNAUTHORIZED),
    "api/v1/share/datasets/<dataset>/changes": for_everyone(UNAUTHORIZED),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create the objects these URLs need; return the values of their path parameters."""
    regime, _created = ReportRegime.objects.get_or_create(
        code="ktxh", defaults={"name": "Báo cáo tình hình kinh tế - xã hội"}
    )
    return {"dataset": regime.code}
