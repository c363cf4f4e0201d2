"""Detection over stored events: Sigma rules, correlation rules, anomalies and intelligence.

The collectors call :func:`detect_events` after each batch of events is committed; a failure
here is logged and never undoes the stored events.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tinhso.soc.models import Alert, SecurityEvent

logger = logging.getLogger(__name__)


def detect_events(events: Sequence[SecurityEvent]) -> list[Alert]:
    """Run every detector over newly stored events and return the alerts raised or updated."""
    # TODO: run the Sigma rule set, correlation, anomaly and intelligence detectors.
    return []
