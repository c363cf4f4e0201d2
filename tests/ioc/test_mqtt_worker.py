"""The MQTT ingest worker as a real process against a real Mosquitto broker and database.

Each test starts a broker of its own on a free loopback port. The worker runs as
``python -m tinhso ioc ingest-mqtt`` against a database of this module (a SQLite file, or
the database ``tinhso_mqtt_rel`` on the PostgreSQL server of the test run), because the
pytest-django test database is not visible to other processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ioc.mqtt_support import (
    Broker,
    IngestDatabase,
    Message,
    Publisher,
    WorkerProcess,
    publish_all,
    target_database_url,
    value_message,
    wait_for_count,
    wait_until,
)

StartWorker = Callable[..., WorkerProcess]

INDICATORS = {
    "REL.COUNT": "number",
    "TERM.COUNT": "number",
    "PG.COUNT": "number",
    "MAL.NUM": "number",
    "MAL.INT": "integer",
    "MAL.PCT": "percent",
}


@pytest.fixture(scope="module")
def ingest_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IngestDatabase]:
    database = IngestDatabase.for_tests(tmp_path_factory.mktemp("mqtt-db"), "tinhso_mqtt_rel")
    database.create()
    database.create_indicators(INDICATORS)
    yield database
    database.drop()


@pytest.fixture(scope="module")
def units(ingest_db: IngestDatabase) -> list[str]:
    codes = ingest_db.commune_codes(100)
    assert len(codes) == 100, "the reference data has fewer than 100 communes in Phú Thọ"
    return codes


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    started = Broker(tmp_path / "broker").start()
    yield started
    started.stop()


@pytest.fixture
def start_worker(
    ingest_db: IngestDatabase, broker: Broker, tmp_path: Path
) -> Iterator[StartWorker]:
    workers: list[WorkerProcess] = []

    def start(name: str, arguments: tuple[str, ...] = ()) -> WorkerProcess:
        worker = WorkerProcess(
            ingest_db,
            broker,
            topic_root=name,
            client_id=f"ingest-{name}",
            log_path=tmp_path / f"worker-{name}.log",
            arguments=arguments,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        if worker.running:
            worker.kill()


def value_sum(database: IngestDatabase, indicator: str) -> int:
    total = database.scalar(
        "SELECT SUM(v.value) FROM ioc_datavalue v JOIN ioc_indicator i "
        "ON v.indicator_id = i.id WHERE i.code = %s",
        [indicator],
    )
    return int(total or 0)


def version_count(database: IngestDatabase, indicator: str) -> int:
    return int(
        database.scalar(
            "SELECT COUNT(*) FROM ioc_datavalueversion h JOIN ioc_datavalue v "
            "ON h.data_value_id = v.id JOIN ioc_indicator i ON v.indicator_id = i.id "
            "WHERE i.code = %s",
            [indicator],
        )
    )


def event_count(database: IngestDatabase, prefix: str) -> int:
    return int(
        database.scalar(
            "SELECT COUNT(*) FROM ioc_event WHERE message_id LIKE %s", [f"mqtt:{prefix}%"]
        )
    )


# --- Crashes -----------------------------------------------------------------------------

MESSAGES = 100_000


def test_kills_lose_and_duplicate_nothing(
    ingest_db: IngestDatabase, broker: Broker, start_worker: StartWorker, units: list[str]
) -> None:
    worker = start_worker("rel")
    prefix = "rel"

    def make(index: int) -> Message:
        return value_message("rel", "REL.COUNT", prefix, index, units)

    def stored() -> int:
        return ingest_db.stored_keys(f"mqtt:{prefix}-")

    publisher = Publisher(broker.port, make, MESSAGES)
    publisher.start()
    kills: list[tuple[int, int]] = []
    for share in (0.25, 0.5, 0.75):
        wait_until(
            lambda: publisher.acknowledged >= share * MESSAGES or publisher.error is not None,  # noqa: B023
            300,
            f"{share:.0%} of the messages published",
        )
        worker.kill()
        kills.append((publisher.acknowledged, stored()))
        # Messages published while the worker is down wait in its session on the broker.
        backlog_target = min(publisher.acknowledged + 2000, MESSAGES)
        wait_until(
            lambda: publisher.acknowledged >= backlog_target or publisher.error is not None,  # noqa: B023
            120,
            "a backlog for the stopped worker",
        )
        worker.start()

    publisher.join(timeout=600)
    assert publisher.error is None
    for published_at_kill, stored_at_kill in kills:
        assert published_at_kill < MESSAGES, "a kill came after publishing had finished"
        assert stored_at_kill < MESSAGES, "a kill came after every message was stored"

    wait_for_count(stored, MESSAGES, "stored messages")
    assert stored() == MESSAGES
    assert ingest_db.value_count("REL.COUNT") == MESSAGES
    # Message i carries the value i, so the sum catches a lost message replaced by a copy.
    assert value_sum(ingest_db, "REL.COUNT") == MESSAGES * (MESSAGES - 1) // 2
    assert version_count(ingest_db, "REL.COUNT") == 0
    assert ingest_db.quarantine("ingest-rel") == []
    assert worker.terminate() == 0
    assert "MQTT ingest worker stopped" in worker.log()


def test_sigterm_stores_current_batch(
    ingest_db: IngestDatabase, broker: Broker, start_worker: StartWorker, units: list[str]
) -> None:
    # The batch would wait for 5,000 messages or 10 minutes, so only the stop stores it.
    worker = start_worker("term", ("--batch-size", "5000", "--max-batch-wait-ms", "600000"))
    publish_all(
        broker.port, [value_message("term", "TERM.COUNT", "term", i, units) for i in range(300)]
    )
    # The broker forwards the acknowledged messages at once; the pause lets them arrive.
    time.sleep(2)
    assert ingest_db.stored_keys("mqtt:term-") == 0

    assert worker.terminate() == 0
    assert ingest_db.stored_keys("mqtt:term-") == 300
    assert ingest_db.value_count("TERM.COUNT") == 300
    assert "MQTT ingest worker stopped: 300 messages received" in worker.log()


# --- Malformed messages ------------------------------------------------------------------


def bad_messages(units: list[str]) -> list[tuple[str, bytes, str]]:
    """(topic, payload, expected quarantine code) for each kind of bad message."""
    unit = units[0]
    value: dict[str, Any] = {"unit": unit, "period": "20250801", "value": 1}

    def body(**fields: Any) -> bytes:
        return json.dumps({**value, **fields}).encode()

    oversized = json.dumps({**value, "id": "bad-size", "note": "x" * 70_000}).encode()
    event_time = "2025-08-01T08:30:00+07:00"
    return [
        ("mal/values/MAL.NUM", b'{"id": "bad-json", ', "invalid_json"),
        ("mal/values/MAL.NUM", b'["bad-array"]', "not_an_object"),
        ("mal/values/MAL.NUM", body(note="bad-no-id"), "missing_id"),
        ("mal/values/NO.SUCH", body(id="bad-indicator"), "unknown_indicator"),
        ("mal/values/MAL.NUM", body(id="bad-unit", unit="99999"), "unknown_unit"),
        ("mal/values/MAL.NUM", body(id="bad-period", period="2025-13-45"), "invalid_period"),
        ("mal/values/MAL.NUM", body(id="bad-type", value="12,5"), "invalid_type"),
        ("mal/values/MAL.INT", body(id="bad-integer", value=2.5), "invalid_value"),
        ("mal/values/MAL.PCT", body(id="bad-percent", value=120), "out_of_range"),
        ("mal/values/MAL.NUM", oversized, "too_large"),
        ("mal/values/MAL.NUM", b'{"id": "bad-utf8", "unit": "\xff"}', "invalid_encoding"),
        ("mal/values/MAL.NUM", body(id="bad-nan", value="x").replace(b'"x"', b"NaN"), "invalid_json"),
        ("mal/values/MAL.NUM", body(id="bad-nul", unit="08\u0000707"), "invalid_text"),
        ("mal/values/MAL.NUM", body(id="bad-offset", period=None, time="2025-08-01T08:30:00"), "invalid_time"),
        ("mal/events/flood", json.dumps({"id": "bad-lon", "time": event_time, "lon": 200, "lat": 21}).encode(), "out_of_range"),
        ("mal/events/flood", json.dumps({"id": "bad-no-time", "unit": unit}).encode(), "missing_field"),
    ]  # fmt: skip


def good_messages(units: list[str], prefix: str, count: int, start: int = 0) -> list[Message]:
    """``count`` values (cells from ``start`` on) and five events."""
    values = [
        value_message("mal", "MAL.NUM", prefix, i, units) for i in range(start, start + count)
    ]
    events = [
        (
            "mal/events/flood",
            json.dumps(
                {
                    "id": f"{prefix}-event-{i}",
                    "time": "2025-08-01T08:30:00+07:00",
                    "unit": units[i],
                    "lon": 105.6,
                    "lat": 21.3,
                    "severity": "high",
                    "data": {"depth_cm": 10 * i},
                }
            ).encode(),
        )
        for i in range(5)
    ]
    return values + events


def test_malformed_messages_are_quarantined(
    ingest_db: IngestDatabase, broker: Broker, start_worker: StartWorker, units: list[str]
) -> None:
    worker = start_worker("mal")
    bad = bad_messages(units)
    good = good_messages(units, "mal-good", 10)
    mixed: list[Message] = []
    for index in range(max(len(bad), len(good))):
        if index < len(good):
            mixed.append(good[index])
        if index < len(bad):
            mixed.append(bad[index][:2])
    publish_all(broker.port, mixed)

    wait_until(
        lambda: (
            len(ingest_db.quarantine("ingest-mal")) >= len(bad)
            and ingest_db.stored_keys("mqtt:mal-good-") >= 10
            and event_count(ingest_db, "mal-good-event-") >= 5
        ),
        60,
        "the good messages stored and the bad ones quarantined",
    )
    assert ingest_db.stored_keys("mqtt:mal-good-") == 10
    assert ingest_db.value_count("MAL.NUM") == 10
    assert event_count(ingest_db, "mal-good-event-") == 5
    quarantined = ingest_db.quarantine("ingest-mal")
    assert len(quarantined) == len(bad)
    stored_payloads = {(code, raw["payload"]) for code, _position, raw in quarantined}
    for topic, payload, code in bad:
        text = payload[:1024].decode("utf-8", "replace").replace("\x00", "\ufffd")
        assert (code, text) in stored_payloads, f"{code} on {topic} not quarantined"
    assert worker.running

    # A good message after the bad ones is stored: the worker did not stop.
    publish_all(broker.port, good_messages(units, "mal-late", 1, start=10)[:1])
    wait_until(lambda: ingest_db.stored_keys("mqtt:mal-late-") == 1, 30, "the late message")

    # Quarantined messages were acknowledged, so a new run does not receive them again.
    assert worker.terminate() == 0
    worker.start()
    publish_all(broker.port, good_messages(units, "mal-marker", 1, start=11)[:1])
    wait_until(lambda: ingest_db.stored_keys("mqtt:mal-marker-") == 1, 30, "the marker message")
    assert len(ingest_db.quarantine("ingest-mal")) == len(bad)
    assert worker.terminate() == 0


# --- Database outage ---------------------------------------------------------------------

OUTAGE_MESSAGES = 20_000


def postgres_cluster_version() -> str:
    return sorted(
        os.listdir("/etc/postgresql"), key=lambda name: [int(p) for p in name.split(".")]
    )[-1]


@pytest.mark.skipif(
    target_database_url() is None,
    reason="restarts PostgreSQL; runs only when TINHSO_DATABASE_URL points to PostgreSQL",
)
def test_postgres_restart_loses_nothing(
    ingest_db: IngestDatabase, broker: Broker, start_worker: StartWorker, units: list[str]
) -> None:
    from django.db import connections

    worker = start_worker("pg")

    def stored() -> int:
        return ingest_db.stored_keys("mqtt:pg-")

    publisher = Publisher(
        broker.port,
        lambda index: value_message("pg", "PG.COUNT", "pg", index, units),
        OUTAGE_MESSAGES,
        rate=4000,
    )
    publisher.start()
    wait_until(lambda: stored() >= 2000, 120, "2,000 stored messages")
    stored_before = stored()
    try:
        restart = subprocess.run(
            [
                "pg_ctlcluster",
                "--skip-systemctl-redirect",
                postgres_cluster_version(),
                "main",
                "restart",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        wait_until(ingest_db.reachable, 120, "PostgreSQL accepting connections again", interval=0.5)
        # The restart ended this process's connections too; later tests open new ones.
        connections.close_all()
    assert restart.returncode == 0, restart.stderr
    assert stored_before < OUTAGE_MESSAGES

    publisher.join(timeout=300)
    assert publisher.error is None
    wait_for_count(stored, OUTAGE_MESSAGES, "stored messages")
    assert stored() == OUTAGE_MESSAGES
    assert ingest_db.value_count("PG.COUNT") == OUTAGE_MESSAGES
    assert value_sum(ingest_db, "PG.COUNT") == OUTAGE_MESSAGES * (OUTAGE_MESSAGES - 1) // 2
    log = worker.log()
    assert "Database unavailable (attempt 1)" in log
    assert "Database available again" in log
    assert worker.running
    assert worker.terminate() == 0
