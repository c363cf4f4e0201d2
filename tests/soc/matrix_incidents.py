"""Permission-matrix entries of the SOC dashboard, incident, alert and report URLs.

Security analysts and administrators work incidents; provincial leaders read the dashboard,
incidents, alerts and reports but take no action. Every other role is denied. Actions
are POST-only, so a GET is not allowed for those who may act.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from tests.matrix import DENIED, LOGIN, NOT_ALLOWED, OK, OTP, Expect, expect
from tinhso.core.models import Department, Role
from tinhso.soc.models import Incident, IncidentEvidence


def readers(result: str = OK) -> Expect:
    """Leaders, security analysts and administrators get ``result``; other staff are denied."""
    expected = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=result)
    expected.by_role[Role.PROVINCIAL_LEADER.value] = result
    expected.by_role[Role.SECURITY_ANALYST.value] = result
    return expected


def analysts(result: str = OK) -> Expect:
    """Security analysts and administrators get ``result``; leaders and other staff are denied."""
    expected = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=result)
    expected.by_role[Role.SECURITY_ANALYST.value] = result
    return expected


EXPECTED: dict[str, Expect] = {
    "soc/": readers(),
    "soc/incidents/": readers(),
    "soc/incidents/<int:soc_incident_id>/": readers(),
    "soc/incidents/<int:soc_incident_id>/acknowledge/": analysts(NOT_ALLOWED),
    "soc/incidents/<int:soc_incident_id>/assign/": analysts(NOT_ALLOWED),
    "soc/incidents/<int:soc_incident_id>/comment/": analysts(NOT_ALLOWED),
    "soc/incidents/<int:soc_incident_id>/evidence/": analysts(NOT_ALLOWED),
    "soc/incidents/<int:soc_incident_id>/evidence/<int:soc_evidence_id>/": analysts(),
    "soc/incidents/<int:soc_incident_id>/resolve/": analysts(NOT_ALLOWED),
    "soc/incidents/<int:soc_incident_id>/close/": analysts(NOT_ALLOWED),
    "soc/incidents/<int:soc_incident_id>/reopen/": analysts(NOT_ALLOWED),
    "soc/alerts/": readers(),
    "soc/reports/": readers(),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create an incident with one evidence file; return their ids."""
    now = timezone.now()
    agency = Department.objects.get_or_create(code="so-khcn", defaults={"name": "Sở KH&CN"})[0]
    incident = Incident.objects.create(
        title="Thử ma trận quyền", severity="high", agency=agency, host="WS-01",
        rule_id="rule-matrix", first_seen=now, last_seen=now, alert_count=1,
    )  # fmt: skip
    evidence = IncidentEvidence(
        incident=incident, name="ghi-chep.txt", size=5, sha256="0" * 64, uploaded_by=None
    )
    evidence.file.save("ghi-chep.txt", ContentFile(b"bang "), save=False)
    evidence.save()
    return {"soc_incident_id": str(incident.pk), "soc_evidence_id": str(evidence.pk)}
