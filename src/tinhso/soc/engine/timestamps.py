"""Parse the timestamps of events, for correlation windows and the time-part modifiers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Windows writes 7 fractional digits (100 ns), and datetime keeps at most 6.
_EXTRA_DIGITS = re.compile(r"(\.\d{6})\d+")


def parse_time(text: str) -> datetime | None:
    """Parse an ISO 8601 time such as ``2025-10-24T23:43:34.1364217Z``; None if it is not one.

    A time without a zone is taken as UTC, keeping its clock reading.
    """
    value = text.strip()
    if not value:
        return None
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    value = _EXTRA_DIGITS.sub(r"\1", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
