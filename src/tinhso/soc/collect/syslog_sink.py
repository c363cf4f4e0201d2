"""The sink of the syslog receiver that stores what it receives.

The receiver calls the sink in a worker thread with a batch of :class:`Received` items. If the
sink raises, the receiver calls it again with the same batch, and the digests of
:mod:`tinhso.soc.collect.store` keep the second call from storing an event twice. The sink
raises only when the database cannot be written at all. Malformed messages, messages of
unknown or disabled hosts and records that the database rejects go to the quarantine with
the reason. A quarantine row is identified by the sender and the time of receipt besides the
raw message, so a redelivered batch adds no row while a sender's repeated message adds one
each time, as two identical messages make two events.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.utils.translation import gettext as _

from tinhso.core.models import Department
from tinhso.soc.collect.normalise import (
    REPLACEMENT,
    Record,
    RecordError,
    normalise_syslog,
    peer_host,
)
from tinhso.soc.collect.receiver import Received
from tinhso.soc.collect.sources import SourceError, register_source, syslog_source
from tinhso.soc.collect.store import Rejected, quarantine, store_records
from tinhso.soc.models import LogSource, SourceKind

logger = logging.getLogger(__name__)


@dataclass
class SinkCounts:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    registered: int = 0


class StoringSink:
    """Store batches from :class:`SyslogReceiver`; safe to share between receivers.

    A message from a host that no syslog source names is quarantined with the code
    ``unknown_source``, unless ``register_for`` is set: then the host is registered as a new
    syslog source of that agency. That is off by default, because any sender on the network
    can put any name in a message.
    """

    def __init__(self, register_for: Department | None = None) -> None:
        self.register_for = register_for
        self.counts = SinkCounts()
        self._lock = threading.Lock()

    def __call__(self, batch: list[Received]) -> None:
        try:
            self._store(batch)
        except (OperationalError, InterfaceError):
            # Drop a broken connection so the receiver's retry of the whole batch reconnects;
            # events already stored are not stored twice.
            close_old_connections()
            raise

    def _store(self, batch: list[Received]) -> None:
        by_source: dict[int, list[Record]] = defaultdict(list)
        sources: dict[int, LogSource] = {}
        rejected: list[Rejected] = []
        # Sources found in this batch by (host name, address); a batch mostly repeats a few hosts.
        lookups: dict[tuple[str, str], LogSource | None] = {}
        for item in batch:
            outcome = self._route(item, lookups)
            if isinstance(outcome, Rejected):
                rejected.append(outcome)
                continue
            source, record = outcome
            sources[source.pk] = source
            by_source[source.pk].append(record)
        stored = duplicates = 0
        for source_id, records in by_source.items():
            added, failed = self._store_source(sources[source_id], records)
            stored += added
            duplicates += len(records) - added - len(failed)
            rejected.extend(failed)
        quarantine(rejected)
        with self._lock:
            self.counts.received += len(batch)
            self.counts.stored += stored
            self.counts.duplicates += duplicates
            self.counts.quarantined += len(rejected)

    def _store_source(self, source: LogSource, records: list[Record]) -> tuple[int, list[Rejected]]:
        """Store the records of one source; a batch the database rejects is stored one by one."""
        try:
            return len(store_records(source, records)), []
        except (OperationalError, InterfaceError):
            raise
        except DatabaseError as error:
            logger.warning(
                "Source %s: the database rejected a batch of %s records (%s); storing them one by one",
                source.pk,
                len(records),
                error,
            )
        added = 0
        failed: list[Rejected] = []
        for record in records:
            try:
                added += len(store_records(source, [record]))
            except (OperationalError, InterfaceError):
                raise
            except DatabaseError as error:
                failed.append(
                    Rejected(
                        transport=str(record.original.get("transport", "")),
                        peer=str(record.original.get("peer", "")),
                        code="store_failed",
                        reason=_("The database rejected the record: %(error)s") % {"error": error},
                        raw=str(record.original.get("raw", "")),
                        source=source,
                        identity=_identity(
                            str(record.original.get("peer", "")),
                            str(record.original.get("received_at", "")),
                        ),
                    )
                )
        return added, failed

    def _route(
        self, item: Received, lookups: dict[tuple[str, str], LogSource | None]
    ) -> tuple[LogSource, Record] | Rejected:
        def find(hostname: str, address: str) -> LogSource | None:
            if (hostname, address) not in lookups:
                lookups[hostname, address] = syslog_source(hostname, address)
            return lookups[hostname, address]

        address = peer_host(item.peer)
        identity = _identity(item.peer, item.received_at.isoformat())
        if item.message is None:
            return Rejected(
                item.transport, item.error_code or "malformed", item.error, item.raw, item.peer,
                source=find("", address), identity=identity,
            )  # fmt: skip
        hostname = item.message.hostname
        if REPLACEMENT in hostname or REPLACEMENT in item.message.app_name:
            return Rejected(
                item.transport, "invalid_utf8_header",
                _(
                    "The host name or application name is not valid UTF-8; configure the "
                    "sender to send UTF-8 (RFC 5424 requires it)."
                ),
                item.raw, item.peer, source=find("", address), identity=identity,
            )  # fmt: skip
        source = find(hostname, address)
        if source is None and self.register_for is not None:
            source = self._register(self.register_for, hostname or address)
            lookups[hostname, address] = source
        if source is None:
            return Rejected(
                item.transport, "unknown_source",
                _(
                    "No syslog source is registered for host %(host)s (address %(address)s). "
                    "Register it with: tinhso soc source add --agency CODE --host %(host)s --kind syslog"
                ) % {"host": hostname or address, "address": address},
                item.raw, item.peer, identity=identity,
            )  # fmt: skip
        if not source.enabled:
            return Rejected(
                item.transport, "source_disabled",
                _("Log source %(host)s is disabled; enable it to store its messages.")
                % {"host": source.host},
                item.raw, item.peer, source=source, identity=identity,
            )  # fmt: skip
        try:
            record = normalise_syslog(
                item.message, received_at=item.received_at, transport=item.transport, peer=item.peer
            )
        except RecordError as error:
            return Rejected(
                item.transport, error.code, error.reason, item.raw, item.peer,
                source=source, identity=identity,
            )  # fmt: skip
        return source, record

    def _register(self, agency: Department, host: str) -> LogSource:
        try:
            registered = register_source(agency, host, SourceKind.SYSLOG)
        except SourceError:
            # Another receiver registered the host a moment ago.
            found = syslog_source(host, "")
            if found is None:
                raise
            return found
        with self._lock:
            self.counts.registered += 1
        logger.warning(
            "Registered syslog source %s for agency %s on its first message",
            host,
            agency.code,
        )
        return registered.source


def _identity(peer: str, received_at: str) -> str:
    """Return what distinguishes two deliveries of equal bytes: the sender and the receipt time."""
    return f"{peer}\n{received_at}"
