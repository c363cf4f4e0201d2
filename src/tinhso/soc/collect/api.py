"""``POST /api/v1/soc/events``: JSON lines over HTTP, one source per key.

The sender authenticates with its source's own key (``Authorization: Bearer KEY``) and sends
one JSON object per line. Good lines are stored, bad lines are quarantined, and the response
counts both and names each bad line with its number and reason. A line that repeats an event
already stored counts as a duplicate, so a sender may safely retry a request that timed out.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security.http import HttpAuthBase

from tinhso.api.schemas import ErrorOut
from tinhso.soc.collect import keys
from tinhso.soc.collect.jsonlines import MAX_LINE_BYTES, parse_lines
from tinhso.soc.collect.store import Rejected, quarantine, store_records
from tinhso.soc.models import LogSource, SourceKind

logger = logging.getLogger(__name__)

router = Router(tags=["SOC"])

# NOTE: requests of a source key are bounded in size but not rate-limited like agency API keys.
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_LINES = 50_000
# Records stored per transaction; a request of many lines takes several.
STORE_BATCH = 1000
# Per-line errors listed in one response; the quarantine keeps them all.
MAX_LISTED_ERRORS = 100
CONTENT_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/jsonl",
        "application/jsonlines",
        "application/json",
        "text/plain",
    }
)


class SourceKeyAuth(HttpAuthBase):
    """The key of one JSON-lines source: 401 when unknown or replaced, 403 when disabled."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> LogSource:
        header = request.headers.get("Authorization", "")
        scheme, _separator, raw_key = header.partition(" ")
        if scheme.lower() != "bearer" or not raw_key.strip():
            raise HttpError(
                401, _('Send the key of the log source as "Authorization: Bearer KEY".')
            )
        source = keys.find_source(raw_key.strip())
        if source is None:
            raise HttpError(
                401,
                _(
                    "The log source key is invalid or was replaced. Ask a security analyst for "
                    "the current key (tinhso soc source rotate-key HOST)."
                ),
            )
        if not source.enabled:
            raise HttpError(
                403,
                _("Log source %(host)s is disabled; its events are not accepted.")
                % {"host": source.host},
            )
        if source.kind != SourceKind.JSON_HTTP:
            raise HttpError(
                403, _("Log source %(host)s does not take JSON lines.") % {"host": source.host}
            )
        return source


class LineErrorOut(Schema):
    line: int
    code: str
    reason: str


class EventsOut(Schema):
    accepted: int
    duplicates: int
    rejected: int
    errors: list[LineErrorOut]
    more_errors: int


@router.post(
    "/events",
    response={200: EventsOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 415: ErrorOut},
    auth=SourceKeyAuth(),
    summary="Send events as JSON lines",
    description=(
        "Gửi sự kiện của một nguồn nhật ký: mỗi dòng một đối tượng JSON "
        "(`Content-Type: application/x-ndjson`), khoá của nguồn trong `Authorization: Bearer KEY`. "
        f"Thân yêu cầu tối đa {MAX_BODY_BYTES // (1024 * 1024)} MiB, mỗi dòng tối đa "
        f"{MAX_LINE_BYTES // 1024} KiB. Thời gian lấy từ `@timestamp`, `timestamp` hoặc `time` "
        "(ISO 8601 hoặc giây từ 1970), không có thì lấy thời điểm nhận. Dòng lỗi được đưa vào "
        "khu cách ly và liệt kê kèm số dòng; dòng trùng sự kiện đã lưu được đếm là trùng lặp."
    ),
)
def post_events(request: HttpRequest) -> Status[dict[str, Any]]:
    source: LogSource = request.auth  # type: ignore[attr-defined]
    content_type = (request.content_type or "").lower()
    if content_type not in CONTENT_TYPES:
        return Status(
            415,
            {
                "code": "unsupported_media_type",
                "message": _("Send the events as application/x-ndjson: one JSON object per line."),
            },
        )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    too_large = {
        "code": "payload_too_large",
        "message": _("The request body exceeds %(max)s bytes; send the events in smaller batches.")
        % {"max": MAX_BODY_BYTES},
    }
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return Status(413, too_large)
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return Status(413, too_large)
    if body.count(b"\n") > MAX_LINES:
        return Status(
            413,
            {
                "code": "too_many_lines",
                "message": _(
                    "The request has more than %(max)s lines; send the events in smaller batches."
                )
                % {"max": MAX_LINES},
            },
        )
    return Status(200, _accept(request, source, body))


@router.api_operation(
    ["GET", "PUT", "PATCH", "DELETE"], "/events", auth=None, include_in_schema=False
)
def events_method_not_allowed(request: HttpRequest) -> JsonResponse:
    """Return 405 with the API's JSON error body; Django Ninja's own 405 is plain text."""
    response = JsonResponse(
        {
            "code": "method_not_allowed",
            "message": _(
                "%(method)s is not allowed here; send events with POST, one JSON object per line."
            )
            % {"method": request.method},
        },
        status=405,
    )
    response["Allow"] = "POST"
    return response


def _accept(request: HttpRequest, source: LogSource, body: bytes) -> dict[str, Any]:
    parsed = parse_lines(body, received_at=timezone.now(), default_host=source.host)
    records = [record for _number, record in parsed.records]
    stored = []
    for start in range(0, len(records), STORE_BATCH):
        stored.extend(store_records(source, records[start : start + STORE_BATCH]))
    peer = request.META.get("REMOTE_ADDR") or ""
    quarantine(
        Rejected("http", error.code, error.reason, error.raw, peer, f"line {error.line}", source)
        for error in parsed.errors
    )
    listed = parsed.errors[:MAX_LISTED_ERRORS]
    if parsed.errors:
        logger.info(
            "Source %s sent %s JSON lines with errors (first: line %s, %s)",
            source.pk,
            len(parsed.errors),
            parsed.errors[0].line,
            parsed.errors[0].code,
        )
    return {
        "accepted": len(stored),
        "duplicates": len(records) - len(stored),
        "rejected": len(parsed.errors),
        "errors": [
            {"line": error.line, "code": error.code, "reason": error.reason} for error in listed
        ],
        "more_errors": len(parsed.errors) - len(listed),
    }
