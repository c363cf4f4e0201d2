"""``tinhso serve --mqtt``: the web server and the MQTT ingest worker in one process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ioc.mqtt_support import (
    REPOSITORY,
    Broker,
    IngestDatabase,
    free_port,
    publish_all,
    wait_for_count,
    wait_until,
)


@pytest.fixture(scope="module")
def serve_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IngestDatabase]:
    database = IngestDatabase.for_tests(tmp_path_factory.mktemp("serve-db"), "tinhso_serve_mqtt")
    database.create()
    yield database
    database.drop()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    started = Broker(tmp_path / "broker").start()
    yield started
    started.stop()


def healthz_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_serve_mqtt_stores_events(serve_db: IngestDatabase, broker: Broker, tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = serve_db.environment(
        TINHSO_MQTT_URL=broker.url,
        TINHSO_MQTT_TOPIC_ROOT="served",
        TINHSO_MQTT_CLIENT_ID="serve-test",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tinhso", "serve", "--port", str(port), "--mqtt"],
            env=env,
            cwd=REPOSITORY,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: healthz_ok(port), 60, "the web server to answer /healthz")
        wait_until(
            lambda: "Subscribed to served/events/+" in log_path.read_text("utf-8", "replace"),
            60,
            "the worker's subscription",
        )
        event = {"id": "serve-1", "time": "2026-12-04T08:00:00+07:00", "title": "Ngập úng"}
        publish_all(broker.port, [("served/events/flood", json.dumps(event).encode())])

        wait_for_count(
            lambda: serve_db.scalar("SELECT count(*) FROM ioc_event WHERE title = 'Ngập úng'"),
            1,
            "the published event in the database",
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)

    log_text = log_path.read_text("utf-8", "replace")
    assert "MQTT ingest worker stopped: 1 messages received" in log_text
