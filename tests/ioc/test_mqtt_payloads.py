"""MQTT ingest without a broker: settings, payload validation and storing a batch."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import translation

from tinhso.config import ConfigurationError
from tinhso.core.services.units import find_unit
from tinhso.ingest.models import ImportBatch, QuarantineRecord
from tinhso.ingest.report import start_batch
from tinhso.ioc import mqtt
from tinhso.ioc.models import DataValue, Event, Indicator, ReceivedKey, ValueType

ROOT = "tinhso"


@pytest.fixture(autouse=True)
def english() -> None:
    translation.activate("en")


# --- Settings ----------------------------------------------------------------------------


def test_settings_defaults() -> None:
    settings = mqtt.load_settings({})
    assert (settings.host, settings.port, settings.tls) == ("127.0.0.1", 1883, False)
    assert settings.topic_root == "tinhso"
    assert settings.client_id == "tinhso-ingest"
    assert settings.batch_size == 500
    assert settings.max_batch_wait == pytest.approx(0.2)
    assert settings.max_message_bytes == 64 * 1024
    assert settings.topic_filters == ["tinhso/values/+", "tinhso/events/+"]


def test_settings_from_environment() -> None:
    settings = mqtt.load_settings(
        {
            "TINHSO_MQTT_URL": "mqtts://ingest:s%40cret@broker.example:8884",
            "TINHSO_MQTT_TOPIC_ROOT": "phutho/ioc",
            "TINHSO_MQTT_CLIENT_ID": "ioc-1",
            "TINHSO_MQTT_BATCH_SIZE": "1000",
            "TINHSO_MQTT_MAX_BATCH_WAIT_MS": "50",
        }
    )
    assert (settings.host, settings.port, settings.tls) == ("broker.example", 8884, True)
    assert (settings.username, settings.password) == ("ingest", "s@cret")
    assert settings.display_url == "mqtts://ingest:***@broker.example:8884"
    assert settings.topic_filters == ["phutho/ioc/values/+", "phutho/ioc/events/+"]
    assert settings.batch_size == 1000
    assert settings.max_batch_wait == pytest.approx(0.05)
    assert settings.receive_maximum == 2000


def test_settings_options_override_environment() -> None:
    settings = mqtt.load_settings(
        {"TINHSO_MQTT_BATCH_SIZE": "1000"}, batch_size=20, max_batch_wait_ms=5
    )
    assert settings.batch_size == 20
    assert settings.max_batch_wait == pytest.approx(0.005)


def test_mqtts_defaults_to_port_8883() -> None:
    assert mqtt.load_settings({"TINHSO_MQTT_URL": "mqtts://broker.example"}).port == 8883


def test_receive_maximum_is_capped() -> None:
    assert mqtt.load_settings({}, batch_size=40_000).receive_maximum == 65535


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TINHSO_MQTT_URL": "http://127.0.0.1:1883"}, "unsupported scheme"),
        ({"TINHSO_MQTT_URL": "mqtt://"}, "names no host"),
        ({"TINHSO_MQTT_URL": "mqtt://127.0.0.1:1883/tinhso"}, "has a path"),
        ({"TINHSO_MQTT_URL": "mqtt://127.0.0.1:port"}, "invalid port"),
        ({"TINHSO_MQTT_TOPIC_ROOT": "tinhso/#"}, "wildcard"),
        ({"TINHSO_MQTT_TOPIC_ROOT": "/tinhso"}, "leading"),
        ({"TINHSO_MQTT_TOPIC_ROOT": ""}, "leading"),
        ({"TINHSO_MQTT_CLIENT_ID": " "}, "client id"),
        ({"TINHSO_MQTT_BATCH_SIZE": "0"}, "below the minimum"),
        ({"TINHSO_MQTT_BATCH_SIZE": "70000"}, "not between 1 and 65535"),
        ({"TINHSO_MQTT_MAX_BATCH_WAIT_MS": "soon"}, "not a whole number"),
    ],
)
def test_invalid_settings_are_rejected(environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        mqtt.load_settings(environ)


def test_password_stays_out_of_errors() -> None:
    with pytest.raises(ConfigurationError) as raised:
        mqtt.load_settings({"TINHSO_MQTT_URL": "http://user:hunter2@127.0.0.1"})
    assert "hunter2" not in str(raised.value)


# --- Validation --------------------------------------------------------------------------


@pytest.fixture
def indicators(db: None) -> dict[str, Indicator]:
    return {
        "number": Indicator.objects.create(code="MQ.NUM", name="Mực nước", periodicity="day"),
        "integer": Indicator.objects.create(
            code="MQ.INT", name="Lượt xe", value_type=ValueType.INTEGER, periodicity="day"
        ),
        "percent": Indicator.objects.create(
            code="MQ.PCT", name="Độ ẩm", value_type=ValueType.PERCENT, periodicity="day"
        ),
    }


@pytest.fixture
def parser(indicators: dict[str, Indicator]) -> mqtt.PayloadParser:
    return mqtt.PayloadParser(ROOT, mqtt.ReferenceCache(), max_message_bytes=4096)


def message(topic: str, payload: Any, mid: int = 1) -> mqtt.InboundMessage:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return mqtt.InboundMessage(f"{ROOT}/{topic}", body, mid, 1)


GOOD_VALUE = {"id": "v-1", "unit": "08707", "period": "20250801", "value": 12.5}
GOOD_EVENT = {
    "id": "e-1",
    "time": "2025-08-01T08:30:00+07:00",
    "unit": "08707",
    "lon": 105.6,
    "lat": 21.3,
    "severity": "high",
    "title": "Ngập úng",
    "data": {"depth_cm": 40},
}


def test_value_is_parsed(parser: mqtt.PayloadParser, indicators: dict[str, Indicator]) -> None:
    outcome = parser.parse(message("values/MQ.NUM", GOOD_VALUE))
    assert outcome.rejection is None
    assert outcome.value is not None
    assert outcome.value.indicator_id == indicators["number"].pk
    assert outcome.value.unit_id == find_unit("08707", dt.date(2025, 8, 1)).pk
    assert outcome.value.period.code == "20250801"
    assert outcome.value.value == 12.5
    assert outcome.value.idempotency_key == "mqtt:v-1"
    assert outcome.value.source_kind == "mqtt"
    assert outcome.value.topic == "tinhso/values/MQ.NUM"


def test_unit_code_without_leading_zero(parser: mqtt.PayloadParser) -> None:
    outcome = parser.parse(message("values/MQ.NUM", {**GOOD_VALUE, "unit": 8707}))
    assert outcome.value is not None
    assert outcome.value.unit_id == find_unit("08707", dt.date(2025, 8, 1)).pk


def test_time_names_the_local_day(parser: mqtt.PayloadParser) -> None:
    payload = {"id": "v-2", "unit": "08707", "time": "2025-08-01T20:00:00Z", "value": 1}
    outcome = parser.parse(message("values/MQ.NUM", payload))
    assert outcome.value is not None
    # 20:00 UTC is 03:00 the next morning in the province (UTC+7).
    assert outcome.value.period.code == "20250802"


def test_old_code_resolves_to_old_unit(parser: mqtt.PayloadParser) -> None:
    # 08707 was Phường Tích Sơn until 30 June 2025 and is Phường Vĩnh Yên since.
    payload = {**GOOD_VALUE, "period": "20250315"}
    outcome = parser.parse(message("values/MQ.NUM", payload))
    assert outcome.value is not None
    assert outcome.value.unit_id == find_unit("08707", dt.date(2025, 3, 15)).pk
    assert outcome.value.unit_id != find_unit("08707", dt.date(2025, 8, 1)).pk


@pytest.mark.parametrize(
    ("code", "date"),
    [
        ("08707", dt.date(2025, 3, 15)),
        ("08707", dt.date(2025, 8, 1)),
        ("8707", dt.date(2025, 8, 1)),
        ("26", dt.date(2016, 1, 1)),
        ("26", dt.date(2025, 8, 1)),
        ("25", dt.date(2025, 8, 1)),
        ("243", dt.date(2020, 1, 1)),
    ],
)
def test_reference_cache_resolves_like_find_unit(db: None, code: str, date: dt.date) -> None:
    cache = mqtt.ReferenceCache()
    cache.refresh_if_stale()
    assert cache.unit_id(code, date) == find_unit(code, date).pk


def test_reference_cache_sees_new_indicator(parser: mqtt.PayloadParser) -> None:
    parser.reference.refresh_if_stale()
    Indicator.objects.create(code="MQ.NEW", name="Mới", periodicity="day")
    outcome = parser.parse(message("values/MQ.NEW", GOOD_VALUE))
    assert outcome.rejection is None


def test_event_is_parsed(parser: mqtt.PayloadParser) -> None:
    outcome = parser.parse(message("events/flood", GOOD_EVENT))
    assert outcome.rejection is None
    event = outcome.event
    assert event is not None
    assert event.event_type == "flood"
    assert event.occurred_at == dt.datetime(2025, 8, 1, 1, 30, tzinfo=dt.UTC)
    assert event.unit_id == find_unit("08707", dt.date(2025, 8, 1)).pk
    assert (event.lon, event.lat) == (105.6, 21.3)
    assert (event.severity, event.title) == ("high", "Ngập úng")
    assert event.payload == {"depth_cm": 40}
    assert event.message_id == "mqtt:e-1"
    assert event.topic == "tinhso/events/flood"


def test_minimal_event(parser: mqtt.PayloadParser) -> None:
    outcome = parser.parse(message("events/camera.motion", {"id": 7, "time": GOOD_EVENT["time"]}))
    assert outcome.event is not None
    assert outcome.event.unit_id is None
    assert outcome.event.payload == {}
    assert outcome.event.message_id == "mqtt:7"


OVERSIZED = json.dumps({**GOOD_VALUE, "note": "x" * 5000}).encode()

REJECTED = [
    ("invalid JSON", "values/MQ.NUM", b'{"id": "b", ', "invalid_json", ""),
    ("NaN", "values/MQ.NUM", b'{"id": "b", "unit": "08707", "period": "20250801", "value": NaN}', "invalid_json", ""),
    ("infinite number", "values/MQ.NUM", b'{"id": "b", "unit": "08707", "period": "20250801", "value": 1e400}', "invalid_value", "value"),
    ("deep nesting", "events/flood", b"[" * 2000 + b"]" * 2000, "invalid_json", ""),
    ("invalid UTF-8", "values/MQ.NUM", b'{"id": "b", "unit": "\xff"}', "invalid_encoding", ""),
    ("array payload", "values/MQ.NUM", [GOOD_VALUE], "not_an_object", ""),
    ("too large", "values/MQ.NUM", OVERSIZED, "too_large", ""),
    ("missing id", "values/MQ.NUM", {**GOOD_VALUE, "id": None}, "missing_id", "id"),
    ("empty id", "values/MQ.NUM", {**GOOD_VALUE, "id": ""}, "missing_id", "id"),
    ("object id", "values/MQ.NUM", {**GOOD_VALUE, "id": {"a": 1}}, "invalid_type", "id"),
    ("blank id", "values/MQ.NUM", {**GOOD_VALUE, "id": "  "}, "invalid_id", "id"),
    ("long id", "values/MQ.NUM", {**GOOD_VALUE, "id": "x" * 196}, "invalid_id", "id"),
    ("NUL in text", "values/MQ.NUM", {**GOOD_VALUE, "unit": "08\u0000707"}, "invalid_text", ""),
    ("lone surrogate", "events/flood", b'{"id": "b", "time": "2025-08-01T08:30:00+07:00", "title": "\\ud800"}', "invalid_text", ""),
    ("unknown topic", "status/MQ.NUM", GOOD_VALUE, "unknown_topic", ""),
    ("extra topic level", "values/MQ.NUM/extra", GOOD_VALUE, "unknown_topic", ""),
    ("unknown indicator", "values/NO.SUCH", GOOD_VALUE, "unknown_indicator", ""),
    ("unknown unit", "values/MQ.NUM", {**GOOD_VALUE, "unit": "99999"}, "unknown_unit", "unit"),
    ("unit not a code", "values/MQ.NUM", {**GOOD_VALUE, "unit": "Vĩnh Yên"}, "unknown_unit", "unit"),
    ("unit as list", "values/MQ.NUM", {**GOOD_VALUE, "unit": ["08707"]}, "invalid_type", "unit"),
    ("missing unit", "values/MQ.NUM", {**GOOD_VALUE, "unit": None}, "missing_field", "unit"),
    ("bad period", "values/MQ.NUM", {**GOOD_VALUE, "period": "20251345"}, "invalid_period", "period"),
    ("period not a code", "values/MQ.NUM", {**GOOD_VALUE, "period": "August"}, "invalid_period", "period"),
    ("period and time", "values/MQ.NUM", {**GOOD_VALUE, "time": GOOD_EVENT["time"]}, "invalid_value", "period"),
    ("no period or time", "values/MQ.NUM", {"id": "b", "unit": "08707", "value": 1}, "missing_field", "period"),
    ("time without offset", "values/MQ.NUM", {"id": "b", "unit": "08707", "time": "2025-08-01T08:30:00", "value": 1}, "invalid_time", "time"),
    ("time not ISO", "values/MQ.NUM", {"id": "b", "unit": "08707", "time": "01/08/2025 08:30", "value": 1}, "invalid_time", "time"),
    ("time near year 1", "events/flood", {"id": "b", "time": "0001-01-01T00:00:00+07:00"}, "invalid_time", "time"),
    ("time as number", "events/flood", {"id": "b", "time": 1754012345}, "invalid_type", "time"),
    ("value as string", "values/MQ.NUM", {**GOOD_VALUE, "value": "12,5"}, "invalid_type", "value"),
    ("value as boolean", "values/MQ.NUM", {**GOOD_VALUE, "value": True}, "invalid_type", "value"),
    ("missing value", "values/MQ.NUM", {**GOOD_VALUE, "value": None}, "missing_field", "value"),
    ("fraction for integer", "values/MQ.INT", {**GOOD_VALUE, "value": 2.5}, "invalid_value", "value"),
    ("percent above 100", "values/MQ.PCT", {**GOOD_VALUE, "value": 120}, "out_of_range", "value"),
    ("negative percent", "values/MQ.PCT", {**GOOD_VALUE, "value": -1}, "out_of_range", "value"),
    ("disaggregation not text", "values/MQ.NUM", {**GOOD_VALUE, "disaggregation": 1}, "invalid_type", "disaggregation"),
    ("long disaggregation", "values/MQ.NUM", {**GOOD_VALUE, "disaggregation": "x" * 201}, "invalid_value", "disaggregation"),
    ("event without time", "events/flood", {"id": "b", "unit": "08707"}, "missing_field", "time"),
    ("event longitude out of range", "events/flood", {**GOOD_EVENT, "lon": 200}, "out_of_range", "lon"),
    ("event latitude as text", "events/flood", {**GOOD_EVENT, "lat": "21.3"}, "invalid_type", "lat"),
    ("event with only lon", "events/flood", {**GOOD_EVENT, "lat": None}, "missing_field", "lat"),
    ("event data not object", "events/flood", {**GOOD_EVENT, "data": [1, 2]}, "invalid_type", "data"),
    ("event title too long", "events/flood", {**GOOD_EVENT, "title": "x" * 301}, "invalid_value", "title"),
    ("event severity not text", "events/flood", {**GOOD_EVENT, "severity": 3}, "invalid_type", "severity"),
    ("event unknown unit", "events/flood", {**GOOD_EVENT, "unit": "00000"}, "unknown_unit", "unit"),
    ("event type too long", "events/" + "x" * 81, GOOD_EVENT, "unknown_topic", ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("topic", "payload", "code", "field"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_invalid_message_is_rejected(
    parser: mqtt.PayloadParser, topic: str, payload: Any, code: str, field: str
) -> None:
    outcome = parser.parse(message(topic, payload))
    assert outcome.rejection is not None
    assert outcome.rejection.code == code
    assert outcome.rejection.field == field
    assert outcome.value is None
    assert outcome.event is None


def test_rejection_message_names_the_value(parser: mqtt.PayloadParser) -> None:
    outcome = parser.parse(message("values/MQ.NUM", {**GOOD_VALUE, "unit": "99999"}))
    assert outcome.rejection is not None
    assert "'99999'" in outcome.rejection.message


# --- Storing a batch ---------------------------------------------------------------------


@pytest.fixture
def batch(db: None) -> ImportBatch:
    return start_batch(mqtt.IMPORT_KIND, "test")


def outcomes(parser: mqtt.PayloadParser, messages: list[mqtt.InboundMessage]) -> list[mqtt.Outcome]:
    return [parser.parse(m) for m in messages]


def test_batch_stores_values_events_and_quarantine(
    parser: mqtt.PayloadParser, batch: ImportBatch, indicators: dict[str, Indicator]
) -> None:
    parser.batch_id = batch.pk
    batch_messages = [
        message("values/MQ.NUM", GOOD_VALUE, 1),
        message("values/MQ.NUM", {**GOOD_VALUE, "id": "v-2", "unit": "25"}, 2),
        message("events/flood", GOOD_EVENT, 3),
        message("values/MQ.NUM", {**GOOD_VALUE, "id": "v-3", "unit": "99999"}, 4),
        message("values/MQ.NUM", b"not json", 5),
    ]
    counts = mqtt.store_batch(outcomes(parser, batch_messages), batch.pk)

    assert (counts.received, counts.values, counts.events) == (5, 2, 1)
    assert (counts.duplicates, counts.quarantined) == (0, 2)
    assert DataValue.objects.filter(indicator=indicators["number"]).count() == 2
    stored = DataValue.objects.get(indicator=indicators["number"], unit__code="08707")
    assert (stored.source_kind, stored.topic, stored.batch_id) == (
        "mqtt",
        "tinhso/values/MQ.NUM",
        batch.pk,
    )
    assert Event.objects.filter(message_id="mqtt:e-1").count() == 1
    assert set(ReceivedKey.objects.values_list("key", flat=True)) >= {"mqtt:v-1", "mqtt:v-2"}

    records = list(QuarantineRecord.objects.filter(batch=batch).order_by("id"))
    assert [record.code for record in records] == ["unknown_unit", "invalid_json"]
    assert records[0].position == "tinhso/values/MQ.NUM v-3"
    assert records[0].field == "unit"
    assert records[0].raw == {
        "topic": "tinhso/values/MQ.NUM",
        "payload": json.dumps({**GOOD_VALUE, "id": "v-3", "unit": "99999"}),
    }
    assert records[1].position == "tinhso/values/MQ.NUM"
    assert records[1].raw == {"topic": "tinhso/values/MQ.NUM", "payload": "not json"}

    batch.refresh_from_db()
    assert (batch.rows_total, batch.rows_accepted, batch.rows_rejected) == (5, 3, 2)


def test_redelivered_messages_are_skipped(
    parser: mqtt.PayloadParser, batch: ImportBatch, indicators: dict[str, Indicator]
) -> None:
    first = [message("values/MQ.NUM", GOOD_VALUE, 1), message("events/flood", GOOD_EVENT, 2)]
    mqtt.store_batch(outcomes(parser, first), batch.pk)

    # The broker delivers both again, and the redelivery of the value carries another value.
    again = [
        message("values/MQ.NUM", {**GOOD_VALUE, "value": 99.0}, 7),
        message("events/flood", {**GOOD_EVENT, "title": "khác"}, 8),
        message("events/flood", {**GOOD_EVENT, "title": "khác"}, 9),
    ]
    counts = mqtt.store_batch(outcomes(parser, again), batch.pk)

    assert (counts.values, counts.events, counts.duplicates) == (0, 0, 3)
    assert DataValue.objects.get(indicator=indicators["number"]).value == 12.5
    assert Event.objects.get(message_id="mqtt:e-1").title == "Ngập úng"


def test_same_event_twice_in_one_batch(parser: mqtt.PayloadParser, batch: ImportBatch) -> None:
    twice = [message("events/flood", GOOD_EVENT, 1), message("events/flood", GOOD_EVENT, 2)]
    counts = mqtt.store_batch(outcomes(parser, twice), batch.pk)
    assert (counts.events, counts.duplicates) == (1, 1)
    assert Event.objects.filter(message_id="mqtt:e-1").count() == 1


def test_oversized_payload_is_kept_in_part(parser: mqtt.PayloadParser, batch: ImportBatch) -> None:
    mqtt.store_batch(outcomes(parser, [message("values/MQ.NUM", OVERSIZED)]), batch.pk)
    record = QuarantineRecord.objects.get(batch=batch)
    assert record.code == "too_large"
    assert record.raw["size"] == len(OVERSIZED)
    assert record.raw["payload"] == OVERSIZED[: mqtt.OVERSIZED_RAW_PREFIX].decode()


def test_invalid_bytes_are_kept_as_text(parser: mqtt.PayloadParser, batch: ImportBatch) -> None:
    payload = b'{"id": "b\x00", "unit": "\xff"}'
    mqtt.store_batch(outcomes(parser, [message("values/MQ.NUM", payload)]), batch.pk)
    record = QuarantineRecord.objects.get(batch=batch)
    assert record.code == "invalid_encoding"
    assert record.raw["payload"] == '{"id": "b\ufffd", "unit": "\ufffd"}'


def test_database_rejection_isolates_the_message(
    parser: mqtt.PayloadParser, batch: ImportBatch, indicators: dict[str, Indicator]
) -> None:
    batch_outcomes = outcomes(
        parser,
        [
            message("values/MQ.NUM", GOOD_VALUE, 1),
            message("events/flood", GOOD_EVENT, 2),
            message("events/flood", {**GOOD_EVENT, "id": "e-2"}, 3),
        ],
    )
    # An event that passed validation but that the database rejects: its time is NULL,
    # as when a row breaks a constraint added to the database after validation was written.
    poisoned = batch_outcomes[2].event
    assert poisoned is not None
    poisoned.occurred_at = None  # type: ignore[assignment]

    counts = mqtt.store_batch(batch_outcomes, batch.pk)

    assert (counts.values, counts.events, counts.quarantined) == (1, 1, 1)
    assert DataValue.objects.filter(indicator=indicators["number"]).count() == 1
    assert Event.objects.filter(message_id="mqtt:e-1").count() == 1
    assert Event.objects.filter(message_id="mqtt:e-2").count() == 0
    record = QuarantineRecord.objects.get(batch=batch)
    assert record.code == "database_rejected"
    assert record.position == "tinhso/events/flood e-2"
