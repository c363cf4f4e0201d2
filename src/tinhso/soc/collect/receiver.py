"""Receive syslog over UDP and TCP (optionally TLS) and hand batches of messages to a sink.

No Django here: the sink is any callable that stores a batch (the SOC app passes one that writes
to the database). Delivery from receiver to sink is at-least-once: a batch whose sink call fails
is offered again until it is stored or the receiver stops, and it is never dropped silently.

Back-pressure: the queue between the sockets and the sink is bounded. A full queue stops reading
from TCP connections, so senders slow down as TCP intends. UDP has no way to slow a sender, so a
datagram that arrives while the queue is full is counted as dropped and logged (rate-limited).
A message that cannot be parsed reaches the sink with its raw bytes and the reason, for
quarantine, and the receiver goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tinhso.soc.collect.syslog import (
    MAX_MESSAGE_BYTES,
    OctetFramer,
    SyslogMessage,
    SyslogParseError,
    parse,
)

logger = logging.getLogger(__name__)

READ_BYTES = 64 * 1024
SINK_RETRY_SECONDS = 1.0
DROP_LOG_SECONDS = 10.0


@dataclass(frozen=True)
class Received:
    """One message as received: parsed, or the raw bytes with why they could not be.

    ``error_code`` is a code of :class:`SyslogParseError` and ``error`` its English reason.
    """

    transport: str
    peer: str
    received_at: dt.datetime
    raw: bytes
    message: SyslogMessage | None = None
    error: str = ""
    error_code: str = ""


Sink = Callable[[list[Received]], None]


@dataclass
class ReceiverStats:
    received: int = 0
    malformed: int = 0
    dropped_udp: int = 0
    delivered: int = 0
    sink_failures: int = 0
    connections: int = 0
    _last_drop_log: float = field(default=0.0, repr=False)


class SyslogReceiver:
    """Listen on ``host`` for UDP and TCP syslog and deliver batches to ``sink`` in a thread.

    Port 0 picks a free port (``udp_port``/``tcp_port`` tell which after :meth:`start`); None
    turns a transport off. ``ssl_context`` makes the TCP listener speak TLS (RFC 5425).
    ``zone`` is the time zone of ``Received.received_at``, in which an RFC 3164 timestamp,
    which has no zone of its own, is read.
    """

    def __init__(
        self,
        sink: Sink,
        *,
        host: str = "127.0.0.1",
        udp_port: int | None = 0,
        tcp_port: int | None = 0,
        ssl_context: ssl.SSLContext | None = None,
        queue_size: int = 10_000,
        batch_size: int = 500,
        batch_seconds: float = 0.2,
        zone: dt.tzinfo = dt.UTC,
    ) -> None:
        self.sink = sink
        self.zone = zone
        self.host = host
        self._udp_port = udp_port
        self._tcp_port = tcp_port
        self.ssl_context = ssl_context
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.stats = ReceiverStats()
        self._queue: asyncio.Queue[Received] = asyncio.Queue(maxsize=queue_size)
        self._udp_transport: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def udp_port(self) -> int | None:
        if self._udp_transport is None:
            return None
        return int(self._udp_transport.get_extra_info("sockname")[1])

    @property
    def tcp_port(self) -> int | None:
        if self._tcp_server is None:
            return None
        return int(self._tcp_server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._udp_port is not None:
            self._udp_transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _DatagramProtocol(self), local_addr=(self.host, self._udp_port)
            )
        if self._tcp_port is not None:
            self._tcp_server = await asyncio.start_server(
                self._serve_connection, self.host, self._tcp_port, ssl=self.ssl_context
            )
        self._consumer = asyncio.create_task(self._deliver_batches())
        logger.info(
            "Syslog receiver listening on %s: UDP %s, TCP %s%s",
            self.host,
            "off" if self.udp_port is None else self.udp_port,
            "off" if self.tcp_port is None else self.tcp_port,
            " with TLS" if self.ssl_context else "",
        )

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop listening and deliver what is queued, waiting at most ``timeout`` seconds."""
        if self._udp_transport is not None:
            self._udp_transport.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            await self._tcp_server.wait_closed()
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            logger.error(
                "Syslog receiver stopped with %s messages not stored: the sink kept failing",
                self._queue.qsize(),
            )
        self._stopping = True
        if self._consumer is not None:
            self._consumer.cancel()
        logger.info("Syslog receiver stopped: %s", self.stats)

    # --- Ingress ---------------------------------------------------------------------------

    def _accept(self, transport: str, peer: str, raw: bytes) -> Received:
        now = dt.datetime.now(self.zone)
        self.stats.received += 1
        try:
            return Received(transport, peer, now, raw, message=parse(raw, received_at=now))
        except SyslogParseError as error:
            self.stats.malformed += 1
            return Received(transport, peer, now, raw, error=error.reason, error_code=error.code)

    def _offer_datagram(self, data: bytes, address: tuple[str, int]) -> None:
        item = self._accept("udp", f"{address[0]}:{address[1]}", data)
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.stats.dropped_udp += 1
            now = time.monotonic()
            if now - self.stats._last_drop_log > DROP_LOG_SECONDS:
                self.stats._last_drop_log = now
                logger.warning(
                    "Syslog queue full: %s UDP datagrams dropped so far (from %s and others)",
                    self.stats.dropped_udp,
                    address[0],
                )

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        address = writer.get_extra_info("peername") or ("?", 0)
        peer = f"{address[0]}:{address[1]}"
        transport = "tls" if self.ssl_context else "tcp"
        framer = OctetFramer(max_bytes=MAX_MESSAGE_BYTES)
        self.stats.connections += 1
        try:
            while data := await reader.read(READ_BYTES):
                for frame in framer.feed(data):
                    await self._queue.put(self._frame_item(transport, peer, frame))
            last = framer.flush()
            if last is not None:
                await self._queue.put(self._frame_item(transport, peer, last))
        except (ConnectionError, ssl.SSLError) as error:
            logger.warning("Syslog connection from %s ended with an error: %s", peer, error)
        finally:
            writer.close()

    def _frame_item(self, transport: str, peer: str, frame: bytes | SyslogParseError) -> Received:
        if isinstance(frame, SyslogParseError):
            self.stats.received += 1
            self.stats.malformed += 1
            return Received(
                transport,
                peer,
                dt.datetime.now(self.zone),
                frame.raw,
                error=frame.reason,
                error_code=frame.code,
            )
        return self._accept(transport, peer, frame)

    # --- Delivery --------------------------------------------------------------------------

    async def _deliver_batches(self) -> None:
        while not self._stopping:
            batch = [await self._queue.get()]
            deadline = time.monotonic() + self.batch_seconds
            while len(batch) < self.batch_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            await self._deliver(batch)
            for _item in batch:
                self._queue.task_done()

    async def _deliver(self, batch: list[Received]) -> None:
        """Hand ``batch`` to the sink in a thread, again and again until it is stored."""
        while True:
            try:
                await asyncio.to_thread(self.sink, batch)
            except Exception:  # noqa: BLE001 - any sink failure is retried, never dropped
                self.stats.sink_failures += 1
                logger.exception(
                    "Syslog sink failed on a batch of %s messages; retrying in %s s",
                    len(batch),
                    SINK_RETRY_SECONDS,
                )
                await asyncio.sleep(SINK_RETRY_SECONDS)
                continue
            self.stats.delivered += len(batch)
            return


class _DatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: SyslogReceiver) -> None:
        self.receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.receiver._offer_datagram(data, addr)
