"""Access policies of the security operations centre.

Security analysts and system administrators work alerts, incidents, sources and intelligence;
provincial leaders also read the dashboard and the posture reports. The SOC is province-wide:
no unit scoping applies to its records.
"""

from __future__ import annotations

from tinhso.core.access import Policy
from tinhso.core.models import Role

SOC_ANALYSTS = Policy(roles=frozenset({Role.SECURITY_ANALYST, Role.SYSTEM_ADMINISTRATOR}))
SOC_READERS = Policy(
    roles=frozenset({Role.SECURITY_ANALYST, Role.SYSTEM_ADMINISTRATOR, Role.PROVINCIAL_LEADER})
)
