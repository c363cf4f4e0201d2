"""Syslog from real loopback sockets through the receiver into the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from tinhso.core.models import Department
from tinhso.soc.collect.receiver import Received, SyslogReceiver
from tinhso.soc.collect.syslog import OctetFramer, SyslogParseError
from tinhso.soc.collect.syslog_sink import StoringSink
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent

LOOPBACK = "127.0.0.1"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def shared_connection(db: None) -> Iterator[None]:
    """Let the receiver's worker threads use the test's connection, as Django's live server does.

    The test database lives in the test's open transaction, which other connections cannot see.
    """
    connection = connections["default"]
    connection.inc_thread_sharing()
    yield
    connection.dec_thread_sharing()


class ThreadSink:
    """The storing sink, run on the test's database connection from the receiver's threads."""

    def __init__(self, sink: StoringSink) -> None:
        self.sink = sink
        self.connection = connections["default"]
        self.batches = 0

    def __call__(self, batch: list[Received]) -> None:
        connections["default"] = self.connection
        self.sink(batch)
        self.batches += 1


async def wait_until(condition: object, message: str) -> None:
    for _ in range(1000):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(message)


def test_udp_and_tcp_stored_and_bad_quarantined(
    shared_connection: None, syslog_source: LogSource
) -> None:
    sink = StoringSink()
    thread_sink = ThreadSink(sink)

    async def scenario() -> None:
        receiver = SyslogReceiver(thread_sink, batch_seconds=0.05, zone=HANOI)
        await receiver.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(
                b"<38>Jul  1 08:00:00 web01 sshd[9]: Failed password for root from 10.0.0.7 port 22",
                (LOOPBACK, receiver.udp_port),
            )
            sender.sendto(b"not syslog at all", (LOOPBACK, receiver.udp_port))
            sender.sendto(b"<38>1 - ghost01 sshd - - - hello", (LOOPBACK, receiver.udp_port))
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(b"<14>1 2025-07-01T08:00:01+07:00 web01 app - - - m\xe1\xbb\x99t\n")
        writer.write(b"<14>1 2025-07-01T08:00:02+07:00 web01 app - - - h\xe1i \xff\n")
        writer.write(b"<14>1 - web\xff01 app - - - bad host\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await wait_until(lambda: sink.counts.received >= 6, f"{sink.counts} of 6 messages")
        await receiver.stop()

    asyncio.run(scenario())

    events = {
        event.provider + ":" + event.message: event
        for event in SecurityEvent.objects.filter(source=syslog_source)
    }
    assert sorted(events) == [
        "app:h\ufffdi \ufffd",
        "app:một",
        "sshd:Failed password for root from 10.0.0.7 port 22",
    ]
    sshd = events["sshd:Failed password for root from 10.0.0.7 port 22"]
    assert sshd.time.astimezone(HANOI).hour == 8
    assert sshd.source_ip == "10.0.0.7"
    assert sshd.user == "root"
    assert events["app:h\ufffdi \ufffd"].fields["InvalidUtf8"] is True
    codes = dict(LogQuarantine.objects.values_list("code", "reason"))
    assert set(codes) == {"no_priority", "unknown_source", "invalid_utf8_header"}
    assert "priority" in codes["no_priority"]
    assert (
        "tinhso soc source add --agency CODE --host ghost01 --kind syslog"
        in codes["unknown_source"]
    )
    assert LogQuarantine.objects.get(code="no_priority").raw == "not syslog at all"
    assert "UTF-8" in codes["invalid_utf8_header"]
    assert sink.counts.stored == 3
    assert sink.counts.quarantined == 3


def test_redelivered_batch_stored_once(shared_connection: None, syslog_source: LogSource) -> None:
    """A sink that fails after storing is called again with the same batch: one row each."""
    sink = StoringSink()
    failures = {"left": 1}

    def failing_after_store(batch: list[Received]) -> None:
        connections["default"] = shared
        sink(batch)
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("connection reset after commit")

    shared = connections["default"]

    async def scenario() -> None:
        receiver = SyslogReceiver(failing_after_store, udp_port=None, batch_seconds=0.05)
        await receiver.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(b"".join(f"<14>1 - web01 app - - - n{n}\n".encode() for n in range(20)))
        await writer.drain()
        writer.close()
        await wait_until(lambda: receiver.stats.delivered >= 20, "20 messages delivered")
        await receiver.stop()
        assert receiver.stats.sink_failures == 1

    asyncio.run(scenario())

    assert sink.counts.duplicates == 20
    assert SecurityEvent.objects.filter(source=syslog_source).count() == 20


def test_disabled_source_quarantined(syslog_source: LogSource) -> None:
    LogSource.objects.filter(pk=syslog_source.pk).update(enabled=False)
    received = Received(
        "udp",
        "10.0.0.1:514",
        _now(),
        b"<14>1 - web01 app - - - x",
        _parse(b"<14>1 - web01 app - - - x"),
    )
    StoringSink()([received])
    row = LogQuarantine.objects.get()
    assert row.code == "source_disabled"
    assert row.source_id == syslog_source.pk
    assert not SecurityEvent.objects.exists()


def test_unknown_host_registered_when_allowed(agency: Department) -> None:
    raw = b"<14>1 - newhost app - - - first"
    sink = StoringSink(register_for=agency)
    sink([Received("udp", "10.0.0.2:514", _now(), raw, _parse(raw))])
    source = LogSource.objects.get(host="newhost")
    assert source.agency == agency
    assert source.kind == "syslog"
    assert SecurityEvent.objects.get().source == source
    assert sink.counts.registered == 1


def test_source_found_by_peer_address(agency: Department) -> None:
    from tinhso.soc.collect.sources import register_source

    source = register_source(agency, "10.0.0.3", "syslog").source
    raw = b"<14>Jul  1 08:00:00 kernel: drop"
    StoringSink()([Received("udp", "10.0.0.3:514", _now(), raw, _parse(raw))])
    event = SecurityEvent.objects.get()
    assert event.source == source
    assert event.host == "10.0.0.3"


def _now():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.now(HANOI)


def _parse(raw: bytes):  # type: ignore[no-untyped-def]
    from tinhso.soc.collect.syslog import parse

    return parse(raw, received_at=_now())


def test_redelivered_batch_quarantined_once(
    shared_connection: None, syslog_source: LogSource
) -> None:
    """A sink that fails after its commit gets the batch again; bad messages add no second row."""
    sink = StoringSink()
    failures = {"left": 1}
    shared = connections["default"]

    def failing_after_store(batch: list[Received]) -> None:
        connections["default"] = shared
        sink(batch)
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("connection reset after commit")

    async def scenario() -> None:
        receiver = SyslogReceiver(failing_after_store, udp_port=None, batch_seconds=0.05)
        await receiver.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(b"".join(f"not syslog {n}\n".encode() for n in range(5)))
        writer.write(b"<14>1 - ghost02 app - - - who\n")
        await writer.drain()
        writer.close()
        await wait_until(lambda: receiver.stats.delivered >= 6, "6 messages delivered")
        await receiver.stop()
        assert receiver.stats.sink_failures == 1

    asyncio.run(scenario())

    assert LogQuarantine.objects.filter(code="no_priority").count() == 5
    assert LogQuarantine.objects.filter(code="unknown_source").count() == 1


def test_repeated_message_quarantined_each_time(db: None) -> None:
    """Two deliveries of equal bytes are two messages, as they would be two events."""
    raw = b"<14>1 - ghost03 app - - - ping"
    first = Received("udp", "10.0.0.5:514", _now(), raw, _parse(raw))
    later = Received("udp", "10.0.0.5:514", _now() + dt.timedelta(seconds=1), raw, _parse(raw))
    sink = StoringSink()

    sink([first])
    sink([first, later])

    assert LogQuarantine.objects.filter(code="unknown_source").count() == 2
    assert sink.counts.quarantined == 3


def test_oversized_line_quarantined_with_sample(syslog_source: LogSource) -> None:
    long_line = b"<14>1 - web01 app - - - " + b"x" * 70_000
    framer = OctetFramer()
    (error,) = list(framer.feed(long_line + b"\n"))
    assert isinstance(error, SyslogParseError)
    item = Received(
        "tcp", "10.0.0.6:40000", _now(), error.raw, error=error.reason, error_code=error.code
    )

    StoringSink()([item])

    row = LogQuarantine.objects.get()
    assert row.code == "line_too_long"
    assert f"line of {len(long_line)} bytes" in row.reason
    assert row.raw.startswith("<14>1 - web01 app")
