"""Threat-intelligence matching of stored events against the imported indicators."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tinhso.soc.findings import Finding
from tinhso.soc.models import SecurityEvent

logger = logging.getLogger(__name__)


def intel_findings(events: Sequence[SecurityEvent]) -> list[Finding]:
    """Return one finding per event that carries a known indicator."""
    # TODO: match addresses, domains and hashes against ThreatIndicator.
    return []
