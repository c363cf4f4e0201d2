"""The leaders' overview in the browser: real GSO cards, drill-down into a commune, and the
live feed updated by a message published to a real Mosquitto broker.

The MQTT ingest worker runs in a thread of this process, not as a subprocess. The live
server's test database is in memory on SQLite, where another process cannot open it, and a
PostgreSQL test database would need the subprocess to know its generated name. A thread of
this process opens its own connection to the same test database on both, as the live
server's request threads do. The live server needs transactional database access, so the
worker's commits are visible to them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LEADER_USERNAME, assert_no_browser_errors, log_in
from tests.ioc.mqtt_support import Broker, publish_all
from tinhso.ioc import mqtt as ingest
from tinhso.ioc.dashboards import live

GSO_ZIP = "stats/choisy_gso_raw_gso_21092018.zip"
# Two real tables with rows for Vĩnh Phúc: an education and a health indicator group.
GSO_TABLES = (
    "gso_06082019/Education/Number of pupils of general education as of 30 September by province.csv",
    "gso_06082019/Health, Culture and Living Standard/Poverty rate by province.csv",
)
TOPIC_ROOT = "tinhso-e2e-dashboards"
VINH_YEN = "08707"
# Communes given test values of an indicator that the public data has no commune rows for.
COMMUNE_VALUES = {"08707": 412.0, "08716": 287.0, "04891": 655.0}
# Short streams make the browser reconnect during the test, with its Last-Event-ID header.
# The live server serves each stream in a thread until the stream ends, so the teardown
# waits this long before the database is flushed.
STREAM_SECONDS = 4.0


@pytest.fixture
def dashboard_data(accounts: dict[str, Any], shared_data: Path, tmp_path: Path) -> dict[str, Any]:
    """Import two real GSO tables and store test values on three communes."""
    from tinhso.core.models import UnitLevel
    from tinhso.core.services.units import REFORM_DATE, find_unit
    from tinhso.ioc.models import Indicator, IndicatorGroup, ValueStatus
    from tinhso.ioc.periods import parse as parse_period
    from tinhso.ioc.services.gso_import import import_gso
    from tinhso.ioc.services.values import IncomingValue, store_values

    subset = tmp_path / "gso-subset.zip"
    with zipfile.ZipFile(shared_data / GSO_ZIP) as source, zipfile.ZipFile(subset, "w") as target:
        for name in GSO_TABLES:
            target.writestr(name, source.read(name))
    report = import_gso(subset)
    assert report.rows_accepted > 0

    group = IndicatorGroup.objects.create(code="e2e-xa", name="Số liệu cấp xã (thử)", sector="y-te")
    indicator = Indicator.objects.create(
        code="E2E_HO_NGHEO", name="Số hộ nghèo (số liệu thử)", group=group, unit_of_measure="hộ",
        decimals=0, reporting_level=UnitLevel.COMMUNE,
    )  # fmt: skip
    store_values(
        [
            IncomingValue(
                indicator_id=indicator.pk,
                unit_id=find_unit(code, REFORM_DATE, level=UnitLevel.COMMUNE).pk,
                period=parse_period("2025"),
                value=value,
                status=ValueStatus.APPROVED,
            )
            for code, value in COMMUNE_VALUES.items()
        ]
    )
    pupils = (
        Indicator.objects.filter(group__name_en__startswith="Number of pupils")
        .order_by("code")
        .first()
    )
    assert pupils is not None
    return {"pupils": pupils.name, "indicator": indicator}


class _SubscriptionWatcher(logging.Handler):
    """Sets ``subscribed`` when the worker logs its subscription to the event topics."""

    def __init__(self) -> None:
        super().__init__()
        self.subscribed = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(f"Subscribed to {TOPIC_ROOT}/events/+"):
            self.subscribed.set()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    server = Broker(tmp_path / "mosquitto").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ingest_worker(
    dashboard_data: dict[str, Any],
    broker: Broker,
    live_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ingest.IngestWorker]:
    """The MQTT ingest worker in a thread, started before the browser."""
    monkeypatch.setattr(live, "STREAM_SECONDS", STREAM_SECONDS)
    settings = ingest.load_settings(
        {
            "TINHSO_MQTT_URL": broker.url,
            "TINHSO_MQTT_TOPIC_ROOT": TOPIC_ROOT,
            "TINHSO_MQTT_CLIENT_ID": "e2e-dashboards",
            "TINHSO_MQTT_MAX_BATCH_WAIT_MS": "50",
        }
    )
    worker = ingest.IngestWorker(settings)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            worker.run()
        except BaseException as error:  # reported by the fixture's teardown
            failures.append(error)
        finally:
            connections.close_all()

    watcher = _SubscriptionWatcher()
    logging.getLogger("tinhso.ioc.mqtt").addHandler(watcher)
    thread = threading.Thread(target=run, name="mqtt-ingest-e2e", daemon=True)
    thread.start()
    try:
        assert watcher.subscribed.wait(30), "the ingest worker did not subscribe within 30 s"
        yield worker
    finally:
        # Streams the closed browser left open end within STREAM_SECONDS and must not
        # query the database after pytest-django has blocked it.
        time.sleep(STREAM_SECONDS + 2 * live.POLL_SECONDS)
        worker.stop("test finished")
        thread.join(30)
        logging.getLogger("tinhso.ioc.mqtt").removeHandler(watcher)
    assert not thread.is_alive(), "the ingest worker did not stop within 30 s"
    assert failures == []


@pytest.fixture
def leader_page(
    dashboard_data: dict[str, Any], ingest_worker: ingest.IngestWorker, page: Page
) -> Page:
    from tests.conftest import PASSWORD

    log_in(page, LEADER_USERNAME, PASSWORD)
    return page


def test_overview_cards_and_drill_down(leader_page: Page, dashboard_data: dict[str, Any]) -> None:
    page = leader_page
    page.goto("/ioc/")

    expect(page.locator("main h1")).to_have_text("Tổng quan toàn tỉnh")
    cards = page.get_by_test_id("card")
    expect(cards.first).to_be_visible()
    pupils = cards.filter(has_text=dashboard_data["pupils"])
    expect(pupils).to_have_count(1)
    expect(pupils.get_by_test_id("card-value")).to_have_attribute(
        "href", re.compile(r"^/ioc/dashboards/value/\d+/$")
    )
    expect(pupils).to_contain_text("Kỳ 2016")
    expect(pupils.get_by_test_id("card-change")).to_contain_text("so với cùng kỳ năm trước (2015)")
    expect(page.locator(".dash-chart[data-points]").first).to_be_visible()

    choropleth = page.get_by_test_id("choropleth")
    expect(choropleth).to_have_attribute("data-ready", "1")
    expect(choropleth).to_have_attribute("data-coloured-count", str(len(COMMUNE_VALUES)))
    expect(page.get_by_test_id("map-legend")).to_contain_text(
        f"Chưa có số liệu ({148 - len(COMMUNE_VALUES)})"
    )

    row = page.get_by_test_id("commune-table").locator(f"tr[data-code='{VINH_YEN}']")
    expect(row).to_contain_text("412")
    with page.expect_navigation():
        row.get_by_role("link", name="Phường Vĩnh Yên").click()
    expect(page.get_by_test_id("unit-title")).to_have_text("Phường Vĩnh Yên")
    expect(page.get_by_test_id("unit-indicator")).to_contain_text("Số hộ nghèo (số liệu thử)")
    assert_no_browser_errors(page)


def test_live_feed_shows_published_event(leader_page: Page, broker: Broker) -> None:
    page = leader_page
    page.goto("/ioc/")
    expect(page.get_by_test_id("live-state")).to_have_attribute("data-state", "open")

    payload = {
        "id": "e2e-flood-1",
        "time": "2025-09-02T08:30:00+07:00",
        "unit": VINH_YEN,
        "severity": "high",
        "title": "Ngập úng đường Mê Linh",
    }
    publish_all(broker.port, [(f"{TOPIC_ROOT}/events/flood", json.dumps(payload).encode())])

    newest = page.get_by_test_id("live-feed").locator("li").first
    expect(newest).to_contain_text("Ngập úng đường Mê Linh", timeout=20_000)
    expect(newest).to_contain_text("Phường Vĩnh Yên")
    expect(page.get_by_test_id("live-empty")).to_have_count(0)
    assert_no_browser_errors(page)
