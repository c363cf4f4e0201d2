"""Models of the security operations centre: where logs come from, what they contained, what was
detected in them and how analysts worked it."""

from tinhso.soc.models.incidents import (
    Alert,
    AlertKind,
    Incident,
    IncidentEvidence,
    IncidentNote,
    IncidentStatus,
    Resolution,
    Severity,
)
from tinhso.soc.models.intel import IndicatorKind, IntelFeed, ThreatIndicator
from tinhso.soc.models.sources import LogQuarantine, LogSource, SecurityEvent, SourceKind

__all__ = [
    "Alert",
    "AlertKind",
    "Incident",
    "IncidentEvidence",
    "IncidentNote",
    "IncidentStatus",
    "IndicatorKind",
    "IntelFeed",
    "LogQuarantine",
    "LogSource",
    "Resolution",
    "SecurityEvent",
    "Severity",
    "SourceKind",
    "ThreatIndicator",
]
