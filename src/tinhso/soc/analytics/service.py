"""Anomaly detection over stored events, against baselines built from earlier events."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tinhso.soc.findings import Finding
from tinhso.soc.models import SecurityEvent

logger = logging.getLogger(__name__)


def anomaly_findings(events: Sequence[SecurityEvent]) -> list[Finding]:
    """Return the events that depart from their user's or host's baseline, explained."""
    # TODO: logon hour and host per user, failed-logon bursts, rare parent-child processes.
    return []
