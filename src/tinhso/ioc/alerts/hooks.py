"""Alert evaluation after stored values and events are committed.

The ingest paths call these functions inside their transaction. They only register an
``on_commit`` callback, so nothing runs when the transaction rolls back, and the evaluation
runs after the data is safely stored. An ``Exception`` raised by the evaluation is logged
and does not reach the ingest path, so the data stays stored and ``tinhso ioc alerts check``
can evaluate it again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import transaction

from tinhso.core import audit

if TYPE_CHECKING:
    from tinhso.ioc.models import Event
    from tinhso.ioc.services.values import IncomingValue

logger = logging.getLogger(__name__)

# Alerts opened by an ingest path are attributed to this actor in the audit log.
ACTOR = "alerts"


def after_values_stored(values: Sequence[IncomingValue]) -> None:
    """Evaluate the value rules of these values' indicators once the transaction commits."""
    # Rules watch totals, so values of a disaggregation never fire them.
    cells = {(v.indicator_id, v.unit_id, v.period.code) for v in values if not v.disaggregation}
    if cells:
        transaction.on_commit(partial(_run, "values", _evaluate_cells, cells))


def after_events_stored(events: Sequence[Event]) -> None:
    """Evaluate the event rules of these events' types once the transaction commits."""
    if events:
        transaction.on_commit(partial(_run, "events", _evaluate_events, list(events)))


def _evaluate_cells(cells: Any) -> None:
    from tinhso.ioc.alerts.evaluation import evaluate_cells

    evaluate_cells(cells)


def _evaluate_events(events: Any) -> None:
    from tinhso.ioc.alerts.evaluation import evaluate_events

    evaluate_events(events)


def _run(data_kind: str, evaluate: Callable[[Any], None], items: Any) -> None:
    context = audit.current()
    try:
        with audit.acting_as(audit.AuditContext(actor_name=ACTOR, request_id=context.request_id)):
            evaluate(items)
    except Exception:
        # The data is committed; losing an alert evaluation must not fail the ingest.
        logger.exception(
            "Alert evaluation of %s stored %s failed; run `tinhso ioc alerts check`",
            len(items), data_kind,
        )  # fmt: skip
