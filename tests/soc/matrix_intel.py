"""Permission-matrix entries of the threat-intelligence pages (see tests/matrix.py).

Only security analysts and administrators open them; every other role is denied.
"""

from __future__ import annotations

from typing import Any

from tests.matrix import DENIED, LOGIN, OK, OTP, Expect, expect
from tinhso.core.models import Role
from tinhso.soc.models import IntelFeed, ThreatIndicator


def analysts(result: str = OK) -> Expect:
    """Security analysts and administrators get ``result``; other staff are denied."""
    expected = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=result)
    expected.by_role[Role.SECURITY_ANALYST.value] = result
    return expected


EXPECTED: dict[str, Expect] = {
    "soc/intel/": analysts(),
    "soc/intel/import/": analysts(),
    "soc/intel/<int:soc_feed_id>/": analysts(),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create a feed with one indicator; return its id."""
    feed = IntelFeed.objects.create(name="CERT thử", format="list", indicator_count=1)
    ThreatIndicator.objects.create(feed=feed, kind="ipv4", value="198.51.100.7")
    return {"soc_feed_id": str(feed.pk)}
