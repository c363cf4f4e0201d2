"""Benchmark: how fast the MQTT ingest worker drains a backlog, against the raw receive rate.

Run from the repository root::

    .venv/bin/python bench/bench_mqtt_ingest.py --messages 200000

It starts a Mosquitto broker of its own on a free loopback port. For each consumer it creates
a persistent session under a topic root of its own, publishes ``--messages`` QoS 1 value
messages there while the consumer is offline, and then lets the consumer drain that backlog:

- ``mosquitto_sub -q 1``, timed from its start to its exit after the last message: the raw
  receive rate of a C client, run ``--raw-runs`` times, the median being the reference;
- a paho-mqtt client that only counts, timed from its first message to its last;
- ``tinhso ioc ingest-mqtt`` into SQLite and into PostgreSQL, once per ``--batch-sizes``,
  timed from the worker's connection to the broker (the backlog arrives at once) to the
  commit of the last message, read from the row counts of its import batch.

Each worker run gets a fresh database (a SQLite file, or ``tinhso_mqtt_bench_*`` on the
PostgreSQL server of ``--postgres-url``) with the reference units loaded. The worker runs
with TINHSO_DEBUG=0, as in production. ``--write`` replaces the results in the "MQTT ingest"
section of docs/benchmarks.md and keeps the rest of the section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402
from tests.ioc.mqtt_support import (  # noqa: E402
    Broker,
    IngestDatabase,
    Publisher,
    WorkerProcess,
    value_message,
    wait_until,
)

MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
INDICATOR = "BENCH.VALUE"
# Unacknowledged messages the broker sends to mosquitto_sub and to the counting client; the
# worker sets its own window, twice its batch size.
WINDOW = 1000
DOCS = REPOSITORY / "docs" / "benchmarks.md"
SECTION = "## MQTT ingest"
RESULTS_START = "<!-- bench_mqtt_ingest.py results: start -->"
RESULTS_END = "<!-- bench_mqtt_ingest.py results: end -->"


@dataclass
class Result:
    consumer: str
    batch_size: int | None
    seconds: float
    messages: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


# --- Consumers ---------------------------------------------------------------------------


def create_raw_session(broker: Broker, client_id: str, root: str) -> None:
    # -W 1 ends the client after one second without messages; the session stays.
    subprocess.run(  # noqa: S603 (fixed arguments)
        [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(broker.port), "-c", "-i", client_id,
         "-q", "1", "-t", f"{root}/#", "-W", "1"],
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip


def drain_raw(broker: Broker, client_id: str, root: str, messages: int) -> Result:
    started = time.monotonic()
    subprocess.run(  # noqa: S603 (fixed arguments)
        [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(broker.port), "-c", "-i", client_id,
         "-q", "1", "-t", f"{root}/#", "-C", str(messages)],
        stdout=subprocess.DEVNULL, timeout=900, check=True,
    )  # fmt: skip
    return Result(
        "`mosquitto_sub -q 1` (raw receive rate)", None, time.monotonic() - started, messages
    )


def paho_client(client_id: str) -> mqtt.Client:
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)


def connect_persistent(client: mqtt.Client, broker: Broker, root: str) -> None:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = WINDOW
    client.on_connect = lambda c, *_: c.subscribe(f"{root}/#", 1)
    client.connect("127.0.0.1", broker.port, clean_start=False, properties=properties)


def create_paho_session(broker: Broker, client_id: str, root: str) -> None:
    subscribed = threading.Event()
    client = paho_client(client_id)
    client.on_subscribe = lambda *_: subscribed.set()
    connect_persistent(client, broker, root)
    client.loop_start()
    subscribed.wait(10)
    client.disconnect()
    client.loop_stop()


class _Counter:
    """Counts messages and notes the times of the first and the last expected one."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = threading.Event()

    def on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self.count += 1
        if self.count == 1:
            self.first = time.monotonic()
        if self.count == self.expected:
            self.last = time.monotonic()
            self.done.set()


def drain_paho(broker: Broker, client_id: str, root: str, messages: int) -> Result:
    counter = _Counter(messages)
    client = paho_client(client_id)
    client.on_message = counter.on_message
    connect_persistent(client, broker, root)
    client.loop_start()
    finished = counter.done.wait(900)
    client.disconnect()
    client.loop_stop()
    if not finished:
        raise SystemExit(f"the counting client received only {counter.count} messages")
    return Result("paho-mqtt client that only counts", None, counter.last - counter.first, messages)


def worker_environment() -> dict[str, str]:
    return {
        "TINHSO_DEBUG": "0",
        "TINHSO_SECRET_KEY": secrets.token_urlsafe(50),
        "TINHSO_ALLOWED_HOSTS": "127.0.0.1",
    }


def make_worker(
    database: IngestDatabase, broker: Broker, name: str, batch_size: int, directory: Path
) -> WorkerProcess:
    return WorkerProcess(
        database,
        broker,
        topic_root=f"bench-{name}",
        client_id=f"bench-{name}",
        log_path=directory / f"worker-{name}.log",
        arguments=["--batch-size", str(batch_size)],
        environment=worker_environment(),
    )


def stored_by_latest_run(database: IngestDatabase, client_id: str) -> int:
    rows = database.query(
        "SELECT rows_total FROM ingest_importbatch WHERE kind = 'ioc.mqtt' "
        "AND source_name LIKE %s ORDER BY id DESC LIMIT 1",
        [f"%client {client_id}"],
    )
    return int(rows[0][0]) if rows else 0


def drain_worker(worker: WorkerProcess, label: str, batch_size: int, messages: int) -> Result:
    offset = worker.log_path.stat().st_size
    worker.start(wait=False)
    # Polled every 10 ms: the worker logs in the platform's time zone, so its timestamps
    # are not compared with this process's clock.
    worker.wait_for_log("Connected to MQTT broker", 60, offset, interval=0.01)
    connected = time.monotonic()
    wait_until(
        lambda: stored_by_latest_run(worker.database, worker.client_id) >= messages,
        1800,
        f"{messages} messages stored by {label}",
        interval=0.05,
    )
    finished = time.monotonic()
    if worker.terminate() != 0:
        raise SystemExit(f"{label} exited with an error; see {worker.log_path}")
    return Result(label, batch_size, finished - connected, messages)


# --- Report ------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return f'{os.cpu_count()} cores (`nproc`), CPU model "{cpu}" (as `/proc/cpuinfo` names it), {memory_kib / 1024**2:.0f} GiB of memory'


def versions(postgres: IngestDatabase | None) -> str:
    mosquitto = subprocess.run(  # noqa: S603 (fixed arguments)
        [MOSQUITTO, "-h"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    parts = [
        mosquitto,
        f"paho-mqtt {metadata.version('paho-mqtt')}",
        f"Python {sys.version.split()[0]}",
    ]
    if postgres is not None:
        parts.append(
            f"PostgreSQL {postgres.scalar('SHOW server_version')} with its default settings"
        )
    return ", ".join(parts)


def results_table(results: list[Result], raw_rate: float) -> str:
    lines = [
        "| consumer | batch size | seconds | messages per second | share of the raw rate |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in results:
        batch = f"{result.batch_size:,}" if result.batch_size else "–"
        lines.append(
            f"| {result.consumer} | {batch} | {result.seconds:.2f} | {result.rate:,.0f} | "
            f"{result.rate / raw_rate:.2f} |"
        )
    return "\n".join(lines)


def results_block(results: list[Result], command: str, environment: str) -> str:
    raw_rate = results[0].rate
    workers = [r for r in results if r.batch_size is not None]
    best = max(workers, key=lambda r: r.rate) if workers else None
    verdict = ""
    if best is not None:
        met = "meets" if best.rate >= raw_rate / 2 else "does not meet"
        verdict = (
            f"\nThe fastest worker run ({best.consumer}, batch {best.batch_size:,}) reaches "
            f"{best.rate / raw_rate:.2f} of the raw rate, so it {met} the goal of half the raw rate.\n"
        )
    return "\n".join(
        [
            RESULTS_START,
            f"Run on {dt.datetime.now().astimezone().date().isoformat()} with:",
            "",
            "```",
            command,
            "```",
            "",
            f"Machine: {machine()}; {environment}.",
            "",
            results_table(results, raw_rate),
            verdict,
            RESULTS_END,
        ]
    )


def write_section(block: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    if SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}\n"
    elif RESULTS_START in text and RESULTS_END in text:
        before, rest = text.split(RESULTS_START, 1)
        after = rest.split(RESULTS_END, 1)[1]
        text = before + block + after
    else:
        text = text.replace(SECTION, f"{SECTION}\n\n{block}", 1)
    DOCS.write_text(text, encoding="utf-8")


# --- Main --------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages to publish")
    parser.add_argument(
        "--batch-sizes",
        default="500,5000",
        help="worker batch sizes, comma-separated (default 500,5000)",
    )
    parser.add_argument(
        "--postgres-url",
        default="postgis://postgres@127.0.0.1:5432/tinhso_mqtt_bench",
        help="PostgreSQL server and database name prefix for the PostgreSQL runs",
    )
    parser.add_argument("--skip-postgres", action="store_true", help="run SQLite only")
    parser.add_argument(
        "--raw-runs", type=int, default=3, help="runs of mosquitto_sub; the median is the reference"
    )
    parser.add_argument(
        "--write", action="store_true", help="write the results into docs/benchmarks.md"
    )
    return parser.parse_args()


def publish_backlog(broker: Broker, root: str, messages: int, units: list[str]) -> None:
    """Publish ``messages`` values to ``root``, where one offline session waits for them."""
    started = time.monotonic()
    publisher = Publisher(
        broker.port,
        lambda index: value_message(root, INDICATOR, "bench", index, units),
        messages,
        timeout=1800,
    )
    publisher.start()
    publisher.join(1900)
    if publisher.error is not None:
        raise SystemExit(f"publishing failed: {publisher.error}")
    rate = messages / (time.monotonic() - started)
    print(f"  published {messages:,} messages to {root}/ at {rate:,.0f} per second", flush=True)


def main() -> None:
    arguments = parse_arguments()
    messages = arguments.messages
    batch_sizes = [int(size) for size in arguments.batch_sizes.split(",")]
    directory = Path(tempfile.mkdtemp(prefix="bench-mqtt-"))
    broker = Broker(directory / "broker", inflight=WINDOW).start()
    databases: list[IngestDatabase] = []
    try:
        print(f"Preparing databases in {directory}", flush=True)
        workers: list[tuple[str, int, WorkerProcess]] = []
        postgres: IngestDatabase | None = None
        for size in batch_sizes:
            kinds = ["sqlite"] if arguments.skip_postgres else ["sqlite", "postgres"]
            for kind in kinds:
                name = f"{kind}-{size}"
                if kind == "sqlite":
                    database = IngestDatabase(f"sqlite:///{directory / name}.sqlite3", directory)
                else:
                    server, prefix = arguments.postgres_url.rsplit("/", 1)
                    database = IngestDatabase(f"{server}/{prefix}_{size}", directory)
                    postgres = database
                databases.append(database.create())
                database.create_indicators({INDICATOR: "number"})
                label = "worker into SQLite" if kind == "sqlite" else "worker into PostgreSQL"
                workers.append((label, size, make_worker(database, broker, name, size, directory)))
        units = databases[0].commune_codes(100)

        # Each consumer drains a backlog of its own, so each finds the broker in the same
        # state: one queue of ``messages`` messages.
        raw_runs: list[Result] = []
        for run in range(arguments.raw_runs):
            root = f"bench-raw-{run}"
            create_raw_session(broker, root, root)
            publish_backlog(broker, root, messages, units)
            raw_runs.append(drain_raw(broker, root, root, messages))
            print(f"  raw: {raw_runs[-1].rate:,.0f} messages per second", flush=True)
        raw_runs.sort(key=lambda result: result.rate)
        raw = raw_runs[len(raw_runs) // 2]
        raw.consumer = (
            f"`mosquitto_sub -q 1` (raw receive rate, median of {len(raw_runs)} runs: "
            f"{raw_runs[0].rate:,.0f} to {raw_runs[-1].rate:,.0f} per second)"
        )
        results = [raw]

        create_paho_session(broker, "bench-paho", "bench-paho")
        publish_backlog(broker, "bench-paho", messages, units)
        results.append(drain_paho(broker, "bench-paho", "bench-paho", messages))
        print(f"  paho: {results[-1].rate:,.0f} messages per second", flush=True)

        for label, size, worker in workers:
            # A first run creates the session and its subscriptions.
            worker.start()
            worker.terminate()
            publish_backlog(broker, worker.topic_root, messages, units)
            results.append(drain_worker(worker, label, size, messages))
            print(
                f"  {label}, batch {size}: {results[-1].rate:,.0f} messages per second", flush=True
            )

        command = ".venv/bin/python bench/bench_mqtt_ingest.py " + " ".join(sys.argv[1:])
        block = results_block(results, command.strip(), versions(postgres))
        print(block)
        if arguments.write:
            write_section(block)
            print(f"Written to {DOCS}")
    finally:
        broker.stop()
        for database in databases:
            database.drop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
