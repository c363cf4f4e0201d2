"""Permission-matrix entries of the SOC's admin pages (see tests/matrix.py).

Log sources are edited in the admin. Events, quarantine and alerts come from the collectors
and detection, and incidents, notes, evidence and intelligence are worked on the SOC's own
pages, so their admin pages are read-only: no add and no delete.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tests.matrix import CHANGE_PAGE, DENIED, Expect, admin_page
from tinhso.core.models import Department
from tinhso.soc.models import (
    Alert,
    Incident,
    IncidentEvidence,
    IncidentNote,
    IntelFeed,
    LogQuarantine,
    LogSource,
    SecurityEvent,
    ThreatIndicator,
)

READ_ONLY_MODELS = (
    "securityevent", "logquarantine", "alert", "incident", "incidentnote", "incidentevidence",
    "intelfeed", "threatindicator",
)  # fmt: skip


def _entries(model: str, *, editable: bool) -> dict[str, Expect]:
    prefix = f"admin/soc/{model}/"
    return {
        prefix: admin_page(),
        f"{prefix}add/": admin_page() if editable else admin_page(DENIED),
        f"{prefix}<path:object_id>/": admin_page(CHANGE_PAGE),
        f"{prefix}<path:object_id>/change/": admin_page(),
        f"{prefix}<path:object_id>/history/": admin_page(),
        f"{prefix}<path:object_id>/delete/": admin_page() if editable else admin_page(DENIED),
    }


EXPECTED: dict[str, Expect] = _entries("logsource", editable=True)
for _model in READ_ONLY_MODELS:
    EXPECTED.update(_entries(_model, editable=False))


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create one object of each SOC model; no path parameters."""
    now = timezone.now()
    agency = Department.objects.create(code="so-tttt-admin", name="Sở Thông tin và Truyền thông")
    source = LogSource.objects.create(agency=agency, host="web01.admin", kind="syslog")
    event = SecurityEvent.objects.create(
        source=source, time=now, host="web01.admin", message="Failed password", digest="0" * 64
    )
    LogQuarantine.objects.create(
        source=source, transport="udp", code="malformed", reason="no priority", raw="x"
    )
    incident = Incident.objects.create(
        title="Dò mật khẩu SSH", severity="high", first_seen=now, last_seen=now
    )
    alert = Alert.objects.create(
        kind="sigma", rule_id="r-1", title="Dò mật khẩu SSH", severity="high", source=source,
        first_seen=now, last_seen=now, dedup_key="1" * 64, incident=incident,
    )  # fmt: skip
    alert.events.add(event)
    IncidentNote.objects.create(incident=incident, text="Đã tiếp nhận")
    IncidentEvidence.objects.create(
        incident=incident, file="soc/evidence/x.txt", name="x.txt", size=1, sha256="2" * 64
    )
    feed = IntelFeed.objects.create(name="Danh sách thử", format="csv")
    ThreatIndicator.objects.create(feed=feed, kind="ipv4", value="203.0.113.9")
    return {}
