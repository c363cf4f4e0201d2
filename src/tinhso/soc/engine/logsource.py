"""Map Sigma log sources to Windows event log channels, EventIDs and field names.

The tables follow the Windows and Sysmon processing pipelines of pySigma
(pysigma-pipeline-windows 2.0.1, pysigma-pipeline-sysmon 2.0.0). A ``service`` names a channel
and a generic ``category`` names Sysmon EventIDs. As in pySigma's Windows audit pipeline,
``process_creation`` is also matched on Security event 4688 with the Security field names. A log source that the tables do not know
gets no pre-filter, so its rule is evaluated on every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
SECURITY_CHANNEL = "Security"

SERVICE_CHANNELS: dict[str, tuple[str, ...]] = {
    "security": (SECURITY_CHANNEL,),
    "application": ("Application",),
    "system": ("System",),
    "sysmon": (SYSMON_CHANNEL,),
    "powershell": ("Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"),
    "powershell-classic": ("Windows PowerShell",),
    "taskscheduler": ("Microsoft-Windows-TaskScheduler/Operational",),
    "wmi": ("Microsoft-Windows-WMI-Activity/Operational",),
    "dns-server": ("DNS Server",),
    "dns-server-audit": ("Microsoft-Windows-DNS-Server/Audit",),
    "dns-server-analytic": ("Microsoft-Windows-DNS-Server/Analytical",),
    "driver-framework": ("Microsoft-Windows-DriverFrameworks-UserMode/Operational",),
    "ntlm": ("Microsoft-Windows-NTLM/Operational",),
    "dhcp": ("Microsoft-Windows-DHCP-Server/Operational",),
    "msexchange-management": ("MSExchange Management",),
    "applocker": (
        "Microsoft-Windows-AppLocker/MSI and Script",
        "Microsoft-Windows-AppLocker/EXE and DLL",
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "Microsoft-Windows-AppLocker/Packaged app-Execution",
    ),
    "printservice-admin": ("Microsoft-Windows-PrintService/Admin",),
    "printservice-operational": ("Microsoft-Windows-PrintService/Operational",),
    "codeintegrity-operational": ("Microsoft-Windows-CodeIntegrity/Operational",),
    "smbclient-security": ("Microsoft-Windows-SmbClient/Security",),
    "firewall-as": ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",),
    "bits-client": ("Microsoft-Windows-Bits-Client/Operational",),
    "windefend": ("Microsoft-Windows-Windows Defender/Operational",),
    "terminalservices-localsessionmanager": (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    ),
    "microsoft-servicebus-client": ("Microsoft-ServiceBus-Client",),
    "ldap_debug": ("Microsoft-Windows-LDAP-Client/Debug",),
    "security-mitigations": (
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "Microsoft-Windows-Security-Mitigations/User Mode",
    ),
    "diagnosis-scripted": ("Microsoft-Windows-Diagnosis-Scripted/Operational",),
    "shell-core": ("Microsoft-Windows-Shell-Core/Operational",),
    "openssh": ("OpenSSH/Operational",),
    "bitlocker": ("Microsoft-Windows-BitLocker/BitLocker Management",),
    "vhdmp": ("Microsoft-Windows-VHDMP/Operational",),
    "appxdeployment-server": ("Microsoft-Windows-AppXDeploymentServer/Operational",),
    "lsa-server": ("Microsoft-Windows-LSA/Operational",),
    "appxpackaging-om": ("Microsoft-Windows-AppxPackaging/Operational",),
    "dns-client": ("Microsoft-Windows-DNS Client Events/Operational",),
    "appmodel-runtime": ("Microsoft-Windows-AppModel-Runtime/Admin",),
    "capi2": ("Microsoft-Windows-CAPI2/Operational",),
    "certificateservicesclient-lifecycle-system": (
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
    ),
    # Not in the pySigma tables: the channel names that Windows gives these two logs.
    "iis-configuration": ("Microsoft-IIS-Configuration/Operational",),
    "smbserver-connectivity": ("Microsoft-Windows-SmbServer/Connectivity",),
}

# Generic categories logged by Sysmon, with their Sysmon EventIDs.
SYSMON_CATEGORY_EVENT_IDS: dict[str, tuple[int, ...]] = {
    "process_creation": (1,),
    "file_change": (2,),
    "network_connection": (3,),
    "sysmon_status": (4, 16),
    "process_termination": (5,),
    "driver_load": (6,),
    "image_load": (7,),
    "create_remote_thread": (8,),
    "raw_access_thread": (9,),
    "process_access": (10,),
    "file_event": (11,),
    "registry_add": (12,),
    "registry_delete": (12,),
    "registry_set": (13,),
    "registry_rename": (14,),
    "registry_event": (12, 13, 14),
    "create_stream_hash": (15,),
    "pipe_created": (17, 18),
    "wmi_event": (19, 20, 21),
    "dns_query": (22,),
    "file_delete": (23,),
    "clipboard_capture": (24,),
    "process_tampering": (25,),
    "file_delete_detected": (26,),
    "file_block_executable": (27,),
    "file_block_shredding": (28,),
    "file_executable_detected": (29,),
    "sysmon_error": (255,),
}

# PowerShell categories: (service, EventID).
POWERSHELL_CATEGORIES: dict[str, tuple[str, int]] = {
    "ps_module": ("powershell", 4103),
    "ps_script": ("powershell", 4104),
    "ps_classic_start": ("powershell-classic", 400),
    "ps_classic_provider_start": ("powershell-classic", 600),
    "ps_classic_script": ("powershell-classic", 800),
}

# Sysmon field name -> Security event field name, for rules evaluated on Security events.
SECURITY_FIELD_MAP: dict[str, str] = {
    "Image": "NewProcessName",
    "ParentImage": "ParentProcessName",
    "Details": "NewValue",
    "LogonId": "SubjectLogonId",
}


@dataclass(frozen=True)
class Target:
    """Events a rule is evaluated on: channels and EventIDs (None means any), field renames."""

    channels: frozenset[str] | None
    event_ids: frozenset[str] | None
    field_map: Mapping[str, str] = field(default_factory=dict)

    def accepts(self, channel: str | None, event_id: str | None) -> bool:
        if self.channels is not None and channel not in self.channels:
            return False
        return self.event_ids is None or event_id in self.event_ids


ANY_EVENT = Target(None, None)


def _ids(*numbers: int) -> frozenset[str]:
    return frozenset(str(number) for number in numbers)


def targets_for(logsource: Mapping[str, str]) -> tuple[Target, ...]:
    """Return the targets of a rule's log source; unknown log sources get ANY_EVENT."""
    product = logsource.get("product")
    service = logsource.get("service")
    category = logsource.get("category")
    if product not in (None, "windows"):
        return (ANY_EVENT,)

    if category in POWERSHELL_CATEGORIES:
        ps_service, event_id = POWERSHELL_CATEGORIES[category]
        return (Target(frozenset(SERVICE_CHANNELS[ps_service]), _ids(event_id)),)

    if category in SYSMON_CATEGORY_EVENT_IDS and service in (None, "sysmon"):
        targets = [Target(frozenset({SYSMON_CHANNEL}), _ids(*SYSMON_CATEGORY_EVENT_IDS[category]))]
        if category == "process_creation" and service is None:
            targets.append(
                Target(frozenset({SECURITY_CHANNEL}), _ids(4688), dict(SECURITY_FIELD_MAP))
            )
        return tuple(targets)

    if service in SERVICE_CHANNELS:
        return (Target(frozenset(SERVICE_CHANNELS[service]), None),)

    return (ANY_EVENT,)
