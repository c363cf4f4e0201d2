"""Real components for the MQTT ingest tests and benchmark: a private Mosquitto broker, a
paced publisher, the worker as a subprocess and a database of its own.

Everything listens on and connects to 127.0.0.1 only, and every wait has a timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
REPOSITORY = Path(__file__).resolve().parents[2]
Message = tuple[str, bytes]


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def wait_for_count(
    count: Callable[[], int],
    target: int,
    what: str,
    *,
    stall_timeout: float = 30,
    timeout: float = 900,
    interval: float = 0.5,
) -> None:
    """Poll ``count`` until it reaches ``target``.

    Fail when the count has not changed for ``stall_timeout`` seconds, so that a lost
    message shows up at once instead of after the whole ``timeout``.
    """
    deadline = time.monotonic() + timeout
    last = count()
    changed_at = time.monotonic()
    while last < target:
        time.sleep(interval)
        current = count()
        now = time.monotonic()
        if current != last:
            last, changed_at = current, now
        elif now - changed_at > stall_timeout:
            raise AssertionError(f"{what}: {last} of {target}, unchanged for {stall_timeout:.0f} s")
        if now > deadline:
            raise AssertionError(f"{what}: {last} of {target} after {timeout:.0f} s")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- Broker ------------------------------------------------------------------------------


class Broker:
    """A Mosquitto process of its own on a free loopback port, with a temporary configuration.

    The configuration is what the ingest worker needs from any broker:

    - ``persistence true`` keeps sessions and queued messages across a broker restart.
    - ``max_queued_messages 0`` lifts the default limit of 1,000 queued messages per client.
      While the worker is down (killed, restarting, or waiting for the database), Mosquitto
      queues the QoS 1 messages for its persistent session. Above the limit it drops them
      without telling anyone, so a worker that restarts after a burst would lose data.
    - ``max_inflight_messages`` is the window of unacknowledged messages for MQTT 3.1.1
      clients such as ``mosquitto_sub`` (default 20). The worker speaks MQTT 5 and sets its
      own window with the Receive Maximum property, which Mosquitto 2.0.11 uses in place of
      this setting. The benchmark gives ``mosquitto_sub`` the worker's window of 1,000.
    """

    def __init__(self, directory: Path, *, inflight: int = 1000) -> None:
        self.directory = directory
        self.port = free_port()
        self.inflight = inflight
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = directory / "mosquitto.log"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        if not Path(MOSQUITTO).exists():
            raise AssertionError(
                f"Mosquitto not found at {MOSQUITTO}; install the Debian package mosquitto."
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.directory}/\n"
            "max_queued_messages 0\n"
            f"max_inflight_messages {self.inflight}\n"
            "log_dest stderr\n"
            "log_type error\n"
            "log_type warning\n"
            "log_type notice\n",
            encoding="utf-8",
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_until(self._accepts_connections, 10, f"Mosquitto on port {self.port}")
        return self

    def _accepts_connections(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(
                f"Mosquitto exited with {self.process.returncode}: {self.log_path.read_text()}"
            )
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# --- Publisher ---------------------------------------------------------------------------


class Publisher(threading.Thread):
    """Publishes ``count`` QoS 1 messages made by ``make(i)`` and counts the acknowledged ones.

    At most ``window`` messages are unacknowledged at a time: paho numbers messages with
    16-bit packet ids, so an unbounded backlog would reuse ids that are still in flight.
    ``rate`` (messages per second), when given, paces the publisher.
    """

    def __init__(
        self,
        port: int,
        make: Callable[[int], Message],
        count: int,
        *,
        window: int = 2000,
        rate: float | None = None,
        timeout: float = 600,
        client_id: str = "",
    ) -> None:
        super().__init__(daemon=True, name="mqtt-test-publisher")
        self.port = port
        self.make = make
        self.count = count
        self.window = window
        self.rate = rate
        self.timeout = timeout
        self.client_id = client_id or f"test-publisher-{os.getpid()}-{id(self)}"
        self.sent = 0
        self._acknowledged = 0
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(window)
        self._cancelled = threading.Event()
        self.error: str | None = None

    @property
    def acknowledged(self) -> int:
        with self._lock:
            return self._acknowledged

    def cancel(self) -> None:
        self._cancelled.set()

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, *args: Any) -> None:
        with self._lock:
            self._acknowledged += 1
        self._slots.release()

    def run(self) -> None:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311
        )
        client.on_publish = self._on_publish
        client.max_inflight_messages_set(min(self.window, 1000))
        client.max_queued_messages_set(0)
        deadline = time.monotonic() + self.timeout
        try:
            client.connect("127.0.0.1", self.port)
            client.loop_start()
            started = time.monotonic()
            for index in range(self.count):
                while not self._slots.acquire(timeout=0.5):
                    if self._cancelled.is_set() or time.monotonic() > deadline:
                        raise TimeoutError(f"publisher stopped after {self.sent} messages")
                topic, payload = self.make(index)
                info = client.publish(topic, payload, qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    raise RuntimeError(f"publish {index} failed: {mqtt.error_string(info.rc)}")
                self.sent += 1
                if self.rate:
                    ahead = started + self.sent / self.rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
            while self.acknowledged < self.count:
                if self._cancelled.is_set() or time.monotonic() > deadline:
                    raise TimeoutError(f"{self.acknowledged} of {self.count} acknowledged")
                time.sleep(0.05)
        except Exception as error:  # reported by the test through self.error
            self.error = f"{type(error).__name__}: {error}"
        finally:
            client.disconnect()
            client.loop_stop()


def publish_all(port: int, messages: Sequence[Message], timeout: float = 60) -> None:
    """Publish ``messages`` in order with QoS 1 and wait until the broker acknowledged them all."""
    publisher = Publisher(port, lambda index: messages[index], len(messages), timeout=timeout)
    publisher.start()
    publisher.join(timeout + 5)
    if publisher.error is not None:
        raise AssertionError(f"publishing failed: {publisher.error}")


# --- Messages ----------------------------------------------------------------------------


FIRST_DAY = dt.date(2025, 7, 1)  # the first day of the current communes


def value_cell(index: int, units: Sequence[str], groups: int) -> tuple[str, str, str]:
    """The (unit, day, disaggregation) cell of message ``index``: one cell per index.

    Units change fastest and days slowest, as when devices report day after day.
    """
    unit = units[index % len(units)]
    group = (index // len(units)) % groups
    day = FIRST_DAY + dt.timedelta(days=index // (len(units) * groups))
    return unit, day.strftime("%Y%m%d"), f"group={group}"


def value_message(
    root: str, indicator: str, prefix: str, index: int, units: Sequence[str], groups: int = 10
) -> Message:
    """Message ``index`` of a stream in which every message has its own cell and value ``index``."""
    unit, day, group = value_cell(index, units, groups)
    payload = {"id": f"{prefix}-{index}", "unit": unit, "value": index, "disaggregation": group}
    if index % 7 == 3:
        # Noon in the province on that day, so "time" names the same day as "period" would.
        payload["time"] = f"{day[:4]}-{day[4:6]}-{day[6:]}T12:00:00+07:00"
    else:
        payload["period"] = day
    return f"{root}/values/{indicator}", json.dumps(payload).encode()


# --- Database ----------------------------------------------------------------------------


def target_database_url() -> str | None:
    """The PostgreSQL URL the test run uses, or None when it runs on SQLite."""
    url = os.environ.get("TINHSO_DATABASE_URL", "")
    if urlsplit(url).scheme.lower() in {"postgis", "postgres", "postgresql"}:
        return url
    return None


class IngestDatabase:
    """A database of its own for worker subprocesses, with a plain connection to check it.

    The pytest-django test database lives in the test process (in memory on SQLite), so
    subprocesses cannot see it. This one is a file on SQLite or a database of its own on
    PostgreSQL. The ``tinhso`` command migrates it and loads the reference units.
    """

    def __init__(self, url: str, data_dir: Path) -> None:
        self.url = url
        self.data_dir = data_dir
        parts = urlsplit(url)
        self.is_postgres = parts.scheme.lower() in {"postgis", "postgres", "postgresql"}
        self.name = parts.path.lstrip("/")

    @classmethod
    def for_tests(cls, directory: Path, postgres_name: str) -> IngestDatabase:
        """A SQLite file in ``directory``, or ``postgres_name`` on the server of the test run."""
        directory.mkdir(parents=True, exist_ok=True)
        postgres = target_database_url()
        if postgres is None:
            return cls(f"sqlite:///{directory / 'ingest.sqlite3'}", directory)
        parts = urlsplit(postgres)
        return cls(urlunsplit(parts._replace(path=f"/{postgres_name}", query="")), directory)

    def environment(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TINHSO_", "PYTEST_", "DJANGO_"))
        }
        env.update(
            TINHSO_DEBUG="1",
            TINHSO_DATA_DIR=str(self.data_dir),
            TINHSO_DATABASE_URL=self.url,
            TINHSO_LANGUAGE="en",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def tinhso(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "tinhso", *args],
            env=self.environment(),
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"tinhso {' '.join(args)} failed: {result.stderr[-3000:]}")
        return result.stdout

    def create(self) -> IngestDatabase:
        if self.is_postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        self.tinhso("migrate", "--verbosity", "0")
        self.tinhso("units", "load-reference")
        return self

    def drop(self) -> None:
        if self.is_postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _conninfo(self, name: str | None = None) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(scheme="postgresql", path=f"/{name or self.name}"))

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as admin:
            admin.execute(sql.encode())

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run ``sql`` (placeholders ``%s``) on a new connection and return its rows."""
        if self.is_postgres:
            import psycopg

            with psycopg.connect(self._conninfo(), connect_timeout=5) as connection:
                return list(connection.execute(sql.encode(), params).fetchall())
        path = urlsplit(self.url).path[1:]
        connection = sqlite3.connect(path, timeout=30)
        try:
            return list(connection.execute(sql.replace("%s", "?"), params).fetchall())
        finally:
            connection.close()

    def execute(self, sql: str) -> None:
        if self.is_postgres:
            import psycopg

            with psycopg.connect(self._conninfo(), autocommit=True) as connection:
                connection.execute(sql.encode())
        else:
            self.query(sql)

    def scalar(self, sql: str, params: Sequence[object] = ()) -> Any:
        return self.query(sql, params)[0][0]

    def reachable(self) -> bool:
        try:
            self.query("SELECT 1")
        except Exception:  # any connection error means "not yet"
            return False
        return True

    def commune_codes(self, count: int, province: str = "25") -> list[str]:
        """Codes of ``count`` current communes of ``province``."""
        rows = self.query(
            "SELECT u.code FROM core_unit u JOIN core_unit p ON u.parent_id = p.id "
            "WHERE p.code = %s AND p.valid_to IS NULL AND u.valid_to IS NULL "
            "ORDER BY u.code LIMIT %s",
            [province, count],
        )
        return [row[0] for row in rows]

    def create_indicators(self, indicators: dict[str, str]) -> None:
        """Create indicators by code with the given value type."""
        script = (
            "from tinhso.ioc.models import Indicator\n"
            f"for code, value_type in {indicators!r}.items():\n"
            "    Indicator.objects.update_or_create(code=code, defaults="
            "{'name': code, 'value_type': value_type, 'periodicity': 'day'})\n"
        )
        self.tinhso("shell", "--no-imports", "-c", script)

    def stored_keys(self, prefix: str) -> int:
        return int(
            self.scalar("SELECT COUNT(*) FROM ioc_receivedkey WHERE key LIKE %s", [prefix + "%"])
        )

    def value_count(self, indicator: str) -> int:
        return int(
            self.scalar(
                "SELECT COUNT(*) FROM ioc_datavalue v JOIN ioc_indicator i "
                "ON v.indicator_id = i.id WHERE i.code = %s",
                [indicator],
            )
        )

    def quarantine(self, client_id: str) -> list[tuple[str, str, dict[str, Any]]]:
        """(code, position, raw) of the records quarantined by the worker runs of ``client_id``."""
        rows = self.query(
            "SELECT q.code, q.position, q.raw FROM ingest_quarantinerecord q "
            "JOIN ingest_importbatch b ON q.batch_id = b.id "
            "WHERE b.kind = 'ioc.mqtt' AND b.source_name LIKE %s ORDER BY q.id",
            [f"%client {client_id}"],
        )
        return [
            (code, position, raw if isinstance(raw, dict) else json.loads(raw))
            for code, position, raw in rows
        ]


# --- Worker ------------------------------------------------------------------------------


class WorkerProcess:
    """``python -m tinhso ioc ingest-mqtt`` as a subprocess; every run appends to one log file."""

    def __init__(
        self,
        database: IngestDatabase,
        broker: Broker,
        *,
        topic_root: str,
        client_id: str,
        log_path: Path,
        arguments: Sequence[str] = (),
        environment: dict[str, str] | None = None,
    ) -> None:
        self.database = database
        self.broker = broker
        self.topic_root = topic_root
        self.client_id = client_id
        self.log_path = log_path
        self.arguments = list(arguments)
        self.extra_environment = environment or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self, wait: bool = True) -> WorkerProcess:
        """Start a run; with ``wait``, return once its subscription is acknowledged."""
        if self.process is not None and self.process.poll() is None:
            raise AssertionError("the worker is already running")
        env = self.database.environment(
            TINHSO_MQTT_URL=self.broker.url,
            TINHSO_MQTT_TOPIC_ROOT=self.topic_root,
            TINHSO_MQTT_CLIENT_ID=self.client_id,
            **self.extra_environment,
        )
        start_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tinhso", "ioc", "ingest-mqtt", *self.arguments],
                env=env,
                cwd=REPOSITORY,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.runs += 1
        if wait:
            self.wait_for_log(f"Subscribed to {self.topic_root}/events/+", 60, start_offset)
        return self

    def log(self, start_offset: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(start_offset)
            return log.read().decode("utf-8", "replace")

    def wait_for_log(
        self, text: str, timeout: float, start_offset: int = 0, interval: float = 0.1
    ) -> None:
        def logged() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"the worker exited with {self.process.returncode}:\n{self.log()[-3000:]}"
                )
            return text in self.log(start_offset)

        wait_until(logged, timeout, f"{text!r} in the worker's log", interval)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """End the run with SIGKILL: no flush, no disconnect, as in a crash."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60) -> int:
        """Stop the run with SIGTERM and return its exit code."""
        if self.process is None:
            raise AssertionError("the worker was never started")
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
            raise AssertionError(
                f"the worker did not stop within {timeout:.0f} s; its log ends:\n{self.log()[-4000:]}"
            ) from None
