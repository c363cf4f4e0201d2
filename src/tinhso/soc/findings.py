"""Findings: the detections of every detector in one shape, before they become alerts.

Sigma rules, Sigma correlation rules, anomaly baselines and threat-intelligence lists each
return :class:`Finding` objects; :func:`tinhso.soc.incidents.alerts.raise_alerts` turns them
into deduplicated alerts grouped into incidents. This module does not import Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One detection over one or more stored events.

    ``kind`` is an ``AlertKind`` value (sigma, correlation, anomaly, intel) and ``severity`` a
    Sigma level. ``event_ids`` are primary keys of ``SecurityEvent`` rows. ``explanation``
    gives the reason as data a page can show: for an anomaly the baseline, the observed value and
    the distance between them; for an intelligence match the indicator and its feed.
    """

    kind: str
    rule_id: str
    title: str
    severity: str
    time: datetime
    host: str = ""
    user: str = ""
    tags: tuple[str, ...] = ()
    event_ids: tuple[int, ...] = ()
    explanation: Mapping[str, Any] = field(default_factory=dict)
    last_time: datetime | None = None
