"""Translated summaries of the quarantine's error codes, shown beside the stored reason.

The syslog parser, the JSON lines reader and the EVTX reader run without Django, so they store
an English reason with a stable code. The pages translate the code at display time and keep
the English reason as the technical detail. Codes missing here (``unknown_source``,
``source_disabled``, ``invalid_utf8_header``, ``store_failed``) come from the syslog sink,
which stores a reason that is already translated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tinhso.soc.models import LogQuarantine

SUMMARIES: dict[str, Promise] = {
    # Syslog (tinhso.soc.collect.syslog.PARSE_ERROR_CODES); "malformed" marks older rows.
    "malformed": _("The message is not syslog."),
    "message_too_long": _(
        "The syslog message is longer than the size limit; split it at the sender or send it "
        "as JSON lines over HTTP."
    ),
    "empty_message": _("The syslog message is empty."),
    "no_priority": _(
        "The message does not start with a syslog priority such as <34>; configure the sender "
        "to send syslog (RFC 5424 or RFC 3164)."
    ),
    "invalid_priority": _("The syslog priority is above 191, the largest that RFC 5424 allows."),
    "incomplete_header": _("The RFC 5424 header of the message is incomplete."),
    "invalid_timestamp": _("The timestamp of the message is not an RFC 3339 time with an offset."),
    "invalid_structured_data": _("The STRUCTURED-DATA of the message is invalid (RFC 5424)."),
    "frame_too_long": _(
        "The octet-counted frame announces more bytes than the size limit, so it was dropped."
    ),
    "line_too_long": _("The line is longer than the size limit."),
    # JSON lines (tinhso.soc.collect.jsonlines) and normalised records.
    "invalid_json": _("The line is not valid JSON."),
    "not_an_object": _("The line is not a JSON object; send one object per line."),
    "too_deep": _("The JSON of the line is nested too deeply; flatten it."),
    "invalid_utf8": _("The line is not valid UTF-8; send UTF-8."),
    "invalid_time": _("The time of the event is invalid; write ISO 8601 or seconds since 1970."),
    "missing_time": _("The event has no time (System/TimeCreated)."),
    # EVTX files (tinhso.soc.engine.errors.EvtxError).
    # NOTE: the EVTX reader gives one code to every unreadable file, so a truncated file and a
    # file that is not EVTX share this summary, and only the technical detail distinguishes them.
    "evtx-unreadable": _(
        "The EVTX file cannot be read: it is damaged, truncated or not an EVTX file."
    ),
}


@dataclass(frozen=True)
class ExplainedRow:
    """A quarantine row with the translated summary of its code, or None for a reason that
    was translated when it was stored."""

    row: LogQuarantine
    summary: Promise | None


def explain(rows: Iterable[LogQuarantine]) -> list[ExplainedRow]:
    return [ExplainedRow(row, SUMMARIES.get(row.code)) for row in rows]
