"""Read logon and process-creation records out of flat event fields, without Django.

The detectors of :mod:`tinhso.soc.analytics.anomaly` work on these records, so the same
reading serves events of a batch and rows aggregated from the database.
"""

from __future__ import annotations

import ntpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SECURITY_CHANNEL = "Security"
SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"

# Successful logons: 4624 (an account logged on) and 4648 (logon with explicit credentials).
SUCCESS_EVENT_IDS = frozenset({"4624", "4648"})
# Failed authentication: 4625 (logon failed), 4771 (Kerberos pre-authentication failed), 4776
# (NTLM credential validation, failed when Status is not 0x0), 4768 (Kerberos TGT request,
# failed when Status is not 0x0) and 18456 of SQL Server (login failed).
FAILURE_EVENT_IDS = frozenset({"4625", "4771", "4776", "4768", "18456"})
STATUS_CHECKED_EVENT_IDS = frozenset({"4771", "4776", "4768"})

# Logon types 0 (system) and 5 (service) are the machine's own work, not a person's logon.
IGNORED_LOGON_TYPES = frozenset({"0", "5"})
SYSTEM_ACCOUNTS = frozenset(
    {"system", "local service", "network service", "anonymous logon", "-", ""}
)
SYSTEM_ACCOUNT_PREFIXES = ("dwm-", "umfd-", "font driver host\\")

EMPTY_VALUES = frozenset({"", "-", "::1", "127.0.0.1", "localhost"})
UNNAMED_IMAGES = frozenset({"", "?", "-"})
SQL_SERVER_CLIENT = re.compile(r"\[CLIENT:\s*([^\]\s]+)\s*\]")


@dataclass(frozen=True)
class LogonRecord:
    """One authentication attempt: who, on which host, from where, and whether it succeeded.

    ``user`` is the account name in lower case without its domain; ``workstation`` and
    ``source_ip`` describe where the attempt came from and are empty when the event names
    no remote origin.
    """

    event_id: int
    time: datetime
    user: str
    host: str
    success: bool
    workstation: str = ""
    source_ip: str = ""


@dataclass(frozen=True)
class ProcessRecord:
    """One process creation with the parent and child image basenames in lower case."""

    event_id: int
    time: datetime
    host: str
    user: str
    parent: str
    child: str

    @property
    def pair(self) -> tuple[str, str]:
        return (self.parent, self.child)


def text(value: Any) -> str:
    """Return a field value as stripped text; None becomes the empty string."""
    if value is None:
        return ""
    return str(value).strip()


def account_name(value: Any) -> str:
    """Return an account name in lower case without its ``DOMAIN\\`` or ``@realm`` part."""
    name = text(value).lower()
    if "\\" in name:
        name = name.rsplit("\\", 1)[1]
    if "@" in name:
        name = name.split("@", 1)[0]
    return name


def is_person_account(user: str) -> bool:
    """Tell a person's account from machine accounts (``HOST$``) and built-in service accounts."""
    if user in SYSTEM_ACCOUNTS or user.endswith("$"):
        return False
    return not user.startswith(SYSTEM_ACCOUNT_PREFIXES)


def origin_address(value: Any) -> str:
    """Return a remote address without the IPv4-mapped IPv6 prefix; loopback and "-" become ""."""
    address = text(value).lower()
    if address.startswith("::ffff:") and "." in address:
        address = address[len("::ffff:") :]
    return "" if address in EMPTY_VALUES else address


def origin_name(value: Any) -> str:
    """Return a workstation name in lower case without leading backslashes; "-" becomes ""."""
    name = text(value).lstrip("\\").lower()
    return "" if name in EMPTY_VALUES else name


def image_basename(value: Any) -> str:
    """Return the file name of a Windows image path in lower case (``C:\\a\\B.exe`` → ``b.exe``)."""
    return ntpath.basename(text(value)).lower()


def _failed(event_id: str, fields: Mapping[str, Any]) -> bool:
    if event_id in STATUS_CHECKED_EVENT_IDS:
        status = text(fields.get("Status")).lower()
        return status not in {"", "0x0", "0"}
    return event_id in {"4625", "18456"}


def _sql_server_logon(
    fields: Mapping[str, Any], event_pk: int, time: datetime, host: str
) -> LogonRecord | None:
    """Read SQL Server's event 18456, whose data is a list: login name, reason, ``[CLIENT: ip]``."""
    data = fields.get("Data")
    if not isinstance(data, list) or not data:
        return None
    client = ""
    for item in data[1:]:
        match = SQL_SERVER_CLIENT.search(text(item))
        if match:
            client = origin_address(match.group(1))
    return LogonRecord(
        event_id=event_pk,
        time=time,
        user=account_name(data[0]),
        host=host,
        success=False,
        source_ip=client,
    )


def logon_record(
    fields: Mapping[str, Any], event_pk: int, time: datetime, host: str = ""
) -> LogonRecord | None:
    """Read a logon or failed logon from flat Windows fields; None for any other event.

    Successful logons of logon type 0 or 5 and of machine or built-in accounts are left out,
    because they reveal nothing about a person's habits. Failed attempts are kept whatever the
    account, since password guessing often targets names that do not exist.
    """
    event_id = text(fields.get("EventID"))
    host = host or text(fields.get("Computer")).lower()
    if event_id == "18456":
        return _sql_server_logon(fields, event_pk, time, host)
    if text(fields.get("Channel")) != SECURITY_CHANNEL:
        return None
    if event_id in SUCCESS_EVENT_IDS:
        if text(fields.get("LogonType")) in IGNORED_LOGON_TYPES:
            return None
        success = True
    elif event_id in FAILURE_EVENT_IDS:
        if not _failed(event_id, fields):
            return None
        success = False
    else:
        return None
    user = account_name(fields.get("TargetUserName"))
    if not user or (success and not is_person_account(user)):
        return None
    return LogonRecord(
        event_id=event_pk,
        time=time,
        user=user,
        host=host,
        success=success,
        workstation=origin_name(fields.get("WorkstationName") or fields.get("Workstation")),
        source_ip=origin_address(fields.get("IpAddress")),
    )


def process_record(
    fields: Mapping[str, Any], event_pk: int, time: datetime, host: str = ""
) -> ProcessRecord | None:
    """Read a process creation (Sysmon 1 or Security 4688); None for any other event.

    Event 4688 names the images ``NewProcessName`` and ``ParentProcessName``; the parent is
    absent before Windows 10, and such events are left out.
    """
    event_id = text(fields.get("EventID"))
    channel = text(fields.get("Channel"))
    if event_id == "1" and channel == SYSMON_CHANNEL:
        child, parent = fields.get("Image"), fields.get("ParentImage")
        user = fields.get("User")
    elif event_id == "4688" and channel == SECURITY_CHANNEL:
        child = fields.get("Image") or fields.get("NewProcessName")
        parent = fields.get("ParentImage") or fields.get("ParentProcessName")
        user = fields.get("TargetUserName") or fields.get("SubjectUserName")
    else:
        return None
    child_name, parent_name = image_basename(child), image_basename(parent)
    # Sysmon writes "?" for a parent it could not name.
    if child_name in UNNAMED_IMAGES or parent_name in UNNAMED_IMAGES:
        return None
    return ProcessRecord(
        event_id=event_pk,
        time=time,
        host=host or text(fields.get("Computer")).lower(),
        user=account_name(user),
        parent=parent_name,
        child=child_name,
    )
