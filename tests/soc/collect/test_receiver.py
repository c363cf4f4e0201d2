"""The syslog receiver over real UDP, TCP and TLS sockets on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import subprocess
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tinhso.soc.collect.receiver import Received, SyslogReceiver

LOOPBACK = "127.0.0.1"


class CollectingSink:
    """A sink that keeps every batch; it fails its first ``failures`` calls, like a busy database."""

    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[Received]] = []
        self.failures = failures
        self.lock = threading.Lock()

    def __call__(self, batch: list[Received]) -> None:
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise OSError("database unavailable")
            self.batches.append(list(batch))

    @property
    def items(self) -> list[Received]:
        with self.lock:
            return [item for batch in self.batches for item in batch]


async def wait_for_items(sink: CollectingSink, count: int) -> None:
    for _ in range(1000):
        if len(sink.items) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(sink.items)} of {count} messages arrived")


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_udp_messages_reach_sink_and_malformed_kept() -> None:
    sink = CollectingSink()

    async def scenario() -> None:
        receiver = SyslogReceiver(sink, tcp_port=None, batch_seconds=0.05)
        await receiver.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(
                b"<34>1 - web01 sshd 77 - - Failed password for root", (LOOPBACK, receiver.udp_port)
            )
            sender.sendto(b"not syslog at all", (LOOPBACK, receiver.udp_port))
            sender.sendto(b"<13>Jul  1 08:00:00 fw01 kernel: DROP", (LOOPBACK, receiver.udp_port))
        await wait_for_items(sink, 3)
        await receiver.stop()

    run(scenario)

    parsed = [item for item in sink.items if item.message is not None]
    malformed = [item for item in sink.items if item.message is None]
    assert sorted(item.message.hostname for item in parsed if item.message) == ["fw01", "web01"]
    assert len(malformed) == 1
    assert malformed[0].raw == b"not syslog at all"
    assert "priority" in malformed[0].error
    assert all(item.transport == "udp" for item in sink.items)


def test_tcp_stream_with_both_framings() -> None:
    sink = CollectingSink()
    first = b"<34>1 2025-07-01T08:00:00+07:00 ws01 app - - - m\xe1\xbb\x99t"
    lines = [first] + [f"<14>1 - ws02 app - - - message {n}".encode() for n in range(200)]

    async def scenario() -> None:
        receiver = SyslogReceiver(sink, udp_port=None, batch_size=50, batch_seconds=0.05)
        await receiver.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(str(len(first)).encode() + b" " + first)
        writer.write(b"\n".join(lines[1:]) + b"\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await wait_for_items(sink, len(lines))
        await receiver.stop()

    run(scenario)

    messages = [item.message for item in sink.items]
    assert [m.message for m in messages if m] == ["một"] + [f"message {n}" for n in range(200)]
    assert max(len(batch) for batch in sink.batches) <= 50


def test_failed_sink_batches_are_retried_not_lost() -> None:
    sink = CollectingSink(failures=2)

    async def scenario() -> None:
        receiver = SyslogReceiver(sink, udp_port=None, batch_seconds=0.05)
        await receiver.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(b"".join(f"<14>1 - h app - - - n{n}\n".encode() for n in range(20)))
        await writer.drain()
        writer.close()
        await wait_for_items(sink, 20)
        await receiver.stop()
        assert receiver.stats.sink_failures == 2

    run(scenario)

    assert sorted(item.message.message for item in sink.items if item.message) == sorted(
        f"n{n}" for n in range(20)
    )


def test_full_queue_slows_tcp_without_losing_messages() -> None:
    sink = CollectingSink()
    count = 3000

    def slow_sink(batch: list[Received]) -> None:
        threading.Event().wait(0.01)
        sink(batch)

    async def scenario() -> None:
        receiver = SyslogReceiver(
            slow_sink, udp_port=None, queue_size=10, batch_size=10, batch_seconds=0.01
        )
        await receiver.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(b"".join(f"<14>1 - h app - - - n{n}\n".encode() for n in range(count)))
        await writer.drain()
        writer.close()
        await wait_for_items(sink, count)
        await receiver.stop()

    run(scenario)

    assert [item.message.message for item in sink.items if item.message] == [
        f"n{n}" for n in range(count)
    ]


def test_tls_listener(tmp_path: Path) -> None:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, our own temporary files
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificate, key)
    client_context = ssl.create_default_context(cafile=str(certificate))
    client_context.check_hostname = False
    sink = CollectingSink()

    async def scenario() -> None:
        receiver = SyslogReceiver(
            sink, udp_port=None, ssl_context=server_context, batch_seconds=0.05
        )
        await receiver.start()
        reader, writer = await asyncio.open_connection(
            LOOPBACK, receiver.tcp_port, ssl=client_context
        )
        frame = b"<38>1 - dc01 sshd - - - Accepted publickey"
        writer.write(str(len(frame)).encode() + b" " + frame)
        await writer.drain()
        writer.close()
        await wait_for_items(sink, 1)
        await receiver.stop()

    run(scenario)

    assert sink.items[0].transport == "tls"
    assert sink.items[0].message is not None
    assert sink.items[0].message.message == "Accepted publickey"


@pytest.mark.parametrize("payload", [b"\xff\xfe\x00garbage\n", b"99999999 " + b"x" * 10 + b"\n"])
def test_bad_tcp_input_does_not_stop_receiver(payload: bytes) -> None:
    sink = CollectingSink()

    async def scenario() -> None:
        receiver = SyslogReceiver(sink, udp_port=None, batch_seconds=0.05)
        await receiver.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(payload + b"<14>1 - h app - - - after\n")
        await writer.drain()
        writer.close()
        await wait_for_items(sink, 2)
        await receiver.stop()

    run(scenario)

    assert sink.items[0].message is None
    assert sink.items[0].error
    assert sink.items[-1].message is not None
    assert sink.items[-1].message.message == "after"


def test_rfc3164_time_read_in_receiver_zone() -> None:
    sink = CollectingSink()
    zone = ZoneInfo("Asia/Ho_Chi_Minh")

    async def scenario() -> None:
        receiver = SyslogReceiver(sink, tcp_port=None, batch_seconds=0.05, zone=zone)
        await receiver.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"<13>Jul  1 08:00:00 fw01 kernel: DROP", (LOOPBACK, receiver.udp_port))
        await wait_for_items(sink, 1)
        await receiver.stop()

    run(scenario)

    item = sink.items[0]
    assert item.received_at.tzinfo == zone
    assert item.message is not None
    assert item.message.timestamp is not None
    assert item.message.timestamp.tzinfo == zone
    assert item.message.timestamp.hour == 8


def test_oversized_tcp_line_gives_one_error() -> None:
    sink = CollectingSink()
    long_line = b"<14>1 - h app - - - " + b"x" * 200_000

    async def scenario() -> None:
        receiver = SyslogReceiver(sink, udp_port=None, batch_seconds=0.05)
        await receiver.start()
        reader, writer = await asyncio.open_connection(LOOPBACK, receiver.tcp_port)
        writer.write(long_line + b"\n<14>1 - h app - - - after\n")
        await writer.drain()
        writer.close()
        for _ in range(1000):
            if any(item.message and item.message.message == "after" for item in sink.items):
                break
            await asyncio.sleep(0.01)
        await receiver.stop()

    run(scenario)

    assert len(sink.items) == 2
    error = sink.items[0]
    assert error.message is None
    assert error.error_code == "line_too_long"
    assert f"line of {len(long_line)} bytes exceeds the limit of 65536" in error.error
    assert error.raw == long_line[:65536]
    assert sink.items[1].message is not None
    assert sink.items[1].message.message == "after"


def test_start_logs_transport_that_is_off(caplog: pytest.LogCaptureFixture) -> None:
    sink = CollectingSink()

    async def scenario() -> None:
        receiver = SyslogReceiver(sink, udp_port=None)
        await receiver.start()
        await receiver.stop()

    with caplog.at_level(logging.INFO, logger="tinhso.soc.collect.receiver"):
        run(scenario)

    assert "UDP off, TCP " in caplog.text
    assert "None" not in caplog.text
