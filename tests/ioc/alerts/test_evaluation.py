"""Rule evaluation through the ingest paths: store_values, the MQTT batch store and the command."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from tests.ioc.alerts.conftest import Store, World
from tinhso.core.models import AuditEvent
from tinhso.ingest.report import start_batch
from tinhso.ioc import mqtt
from tinhso.ioc.alerts import evaluation
from tinhso.ioc.alerts.messages import alert_message, rule_status
from tinhso.ioc.alerts.models import (
    ActivityAction,
    Alert,
    AlertRule,
    AlertStatus,
    Comparison,
    RuleKind,
    Severity,
)
from tinhso.ioc.models import DataValue, Event

pytestmark = pytest.mark.django_db


def threshold_rule(world: World, **fields: Any) -> AlertRule:
    values: dict[str, Any] = {
        "name": "Mực nước vượt báo động",
        "kind": RuleKind.THRESHOLD,
        "indicator": world.indicator,
        "comparison": Comparison.GT,
        "threshold": 300.0,
        "severity": Severity.HIGH,
    }
    values.update(fields)
    return AlertRule.objects.create(**values)


# --- Threshold rules ---------------------------------------------------------------------


def test_value_above_threshold_opens_one_alert(world: World, store: Store) -> None:
    rule = threshold_rule(world)

    store(world.indicator, world.commune, {"202507": 320.0})

    alert = Alert.objects.get()
    assert alert.rule == rule
    assert (alert.unit, alert.period, alert.value) == (world.commune, "202507", 320.0)
    assert alert.status == AlertStatus.NEW
    assert alert.department == world.department
    assert alert.activities.get().action == ActivityAction.CREATED


def test_alert_message_names_everything(world: World, store: Store) -> None:
    threshold_rule(world)

    store(world.indicator, world.commune, {"202507": 320.0})

    message = Alert.objects.get().message
    assert "Mực nước sông Phó Đáy" in message
    assert world.commune.name in message
    assert "tháng 07/2025" in message
    assert "320" in message
    assert "> 300" in message


def test_message_keeps_comparison_after_rule_changes(world: World, store: Store) -> None:
    rule = threshold_rule(world)
    store(world.indicator, world.commune, {"202507": 320.0})

    rule.kind, rule.comparison, rule.event_type = RuleKind.EVENT, "", "flood"
    rule.save()

    with translation.override("en"):
        text = alert_message(Alert.objects.get())
    assert "breaks the threshold > 300" in text


def test_restoring_value_opens_no_second_alert(world: World, store: Store) -> None:
    threshold_rule(world)
    store(world.indicator, world.commune, {"202507": 320.0})

    store(world.indicator, world.commune, {"202507": 320.0})
    store(world.indicator, world.commune, {"202507": 320.0}, idempotency_key="k-1")

    assert Alert.objects.count() == 1
    assert Alert.objects.get().activities.count() == 1


def test_changed_value_updates_open_alert(world: World, store: Store) -> None:
    threshold_rule(world)
    store(world.indicator, world.commune, {"202507": 320.0})

    store(world.indicator, world.commune, {"202507": 350.0})

    alert = Alert.objects.get()
    assert alert.value == 350.0
    assert "350" in alert.message
    assert list(alert.activities.values_list("action", flat=True)) == ["created", "updated"]


def test_corrected_value_is_noted_once(world: World, store: Store) -> None:
    threshold_rule(world)
    store(world.indicator, world.commune, {"202507": 320.0})

    store(world.indicator, world.commune, {"202507": 280.0})
    store(world.indicator, world.commune, {"202507": 280.0}, idempotency_key="again")

    alert = Alert.objects.get()
    assert alert.status == AlertStatus.NEW
    assert alert.value == 320.0
    updates = alert.activities.filter(action=ActivityAction.UPDATED)
    assert updates.count() == 1
    assert updates.get().note == "Giá trị hiện là 280 và không còn vi phạm quy tắc."
    assert updates.get().details == {"before": 320.0, "after": 280.0, "cleared": True}


def test_value_within_threshold_opens_nothing(world: World, store: Store) -> None:
    threshold_rule(world)

    store(world.indicator, world.commune, {"202507": 300.0, "202508": 120.0})

    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("comparison", "value", "fires"),
    [
        (Comparison.GT, 300.0, False),
        (Comparison.GTE, 300.0, True),
        (Comparison.LT, 299.0, True),
        (Comparison.LTE, 301.0, False),
    ],
)
def test_comparisons(
    world: World, store: Store, comparison: str, value: float, fires: bool
) -> None:
    threshold_rule(world, comparison=comparison)

    store(world.indicator, world.commune, {"202507": value})

    assert Alert.objects.exists() is fires


def test_rule_with_unit_ignores_other_units(world: World, store: Store) -> None:
    threshold_rule(world, unit=world.other_commune)

    store(world.indicator, world.commune, {"202507": 999.0})
    store(world.indicator, world.other_commune, {"202507": 999.0})

    assert list(Alert.objects.values_list("unit", flat=True)) == [world.other_commune.pk]


def test_inactive_rule_does_not_fire(world: World, store: Store) -> None:
    threshold_rule(world, active=False)

    store(world.indicator, world.commune, {"202507": 999.0})

    assert not Alert.objects.exists()


def test_disaggregated_value_does_not_fire(world: World, store: Store) -> None:
    threshold_rule(world)

    store(world.indicator, world.commune, {"202507": 999.0}, disaggregation="sex=female")

    assert not Alert.objects.exists()


def test_closed_alert_stays_closed_until_value_changes(world: World, store: Store) -> None:
    threshold_rule(world)
    store(world.indicator, world.commune, {"202507": 320.0})
    Alert.objects.update(status=AlertStatus.CLOSED)

    store(world.indicator, world.commune, {"202507": 320.0})
    assert Alert.objects.count() == 1

    store(world.indicator, world.commune, {"202507": 330.0})
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(status=AlertStatus.NEW).get().value == 330.0


def test_alert_creation_is_audited(world: World, store: Store) -> None:
    threshold_rule(world)

    store(world.indicator, world.commune, {"202507": 320.0})

    alert = Alert.objects.get()
    row = AuditEvent.objects.get(object_type="ioc_alerts.alert", object_id=str(alert.pk))
    assert (row.action, row.actor_name) == ("create", "alerts")


def test_evaluation_error_keeps_stored_values(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    threshold_rule(world)

    def broken(cells: Any) -> None:
        raise RuntimeError("rule engine down")

    monkeypatch.setattr(evaluation, "evaluate_cells", broken)
    with caplog.at_level(logging.ERROR, logger="tinhso.ioc.alerts.hooks"):
        result = store(world.indicator, world.commune, {"202507": 320.0})

    assert result.created == 1
    assert DataValue.objects.filter(indicator=world.indicator).count() == 1
    assert not Alert.objects.exists()
    assert "Alert evaluation of 1 stored values failed" in caplog.text


def test_nothing_is_evaluated_before_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    threshold_rule(world)
    from tinhso.ioc.periods import parse
    from tinhso.ioc.services.values import IncomingValue, store_values

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        store_values([IncomingValue(world.indicator.pk, world.commune.pk, parse("202507"), 320.0)])

    assert len(callbacks) == 1
    assert not Alert.objects.exists()


# --- Anomaly rules -----------------------------------------------------------------------


def monthly_history(years: range) -> dict[str, float]:
    values = {}
    for year in years:
        for month in range(1, 13):
            wobble = ((year + month) % 5 - 2) * 2.0
            values[f"{year}{month:02d}"] = (180.0 if month in {7, 8} else 100.0) + wobble
    return values


def anomaly_rule(world: World, **fields: Any) -> AlertRule:
    return AlertRule.objects.create(
        name="Mực nước bất thường", kind=RuleKind.ANOMALY, indicator=world.indicator,
        severity=Severity.MEDIUM, **fields,
    )  # fmt: skip


def test_seasonal_anomaly_opens_alert(world: World, store: Store) -> None:
    rule = anomaly_rule(world)
    store(world.indicator, world.commune, monthly_history(range(2020, 2025)))
    Alert.objects.all().delete()  # history itself is not what this test checks

    store(world.indicator, world.commune, {"202507": 400.0})

    alert = Alert.objects.get(rule=rule)
    assert alert.period == "202507"
    assert alert.expected == pytest.approx(180.0, abs=10)
    assert (alert.score or 0) > 3.5
    assert "kỳ vọng theo mùa" in alert.message


def test_seasonal_normal_value_opens_nothing(world: World, store: Store) -> None:
    anomaly_rule(world)
    store(world.indicator, world.commune, monthly_history(range(2020, 2025)))
    Alert.objects.all().delete()

    store(world.indicator, world.commune, {"202507": 182.0})

    assert not Alert.objects.exists()


def test_short_history_opens_nothing_and_says_why(world: World, store: Store) -> None:
    rule = anomaly_rule(world)
    store(world.indicator, world.commune, monthly_history(range(2023, 2025)))

    store(world.indicator, world.commune, {"202507": 900.0})

    assert not Alert.objects.exists()
    rule.refresh_from_db()
    assert rule.last_status["insufficient"] == 1
    text = rule_status(rule)
    assert "quá ít dữ liệu lịch sử" in text
    assert "cần 3" in text


def test_daily_indicator_is_unsupported_for_anomaly(world: World, store: Store) -> None:
    world.indicator.periodicity = "day"
    world.indicator.save()
    rule = anomaly_rule(world)

    store(world.indicator, world.commune, {"20250701": 900.0})

    rule.refresh_from_db()
    assert rule.last_status["unsupported"] == "day"
    assert not Alert.objects.exists()


def test_series_position_of_reporting_month() -> None:
    assert evaluation.series_position("2025R07") == (12, 2025 * 12 + 6)
    assert evaluation.series_position("2025Q3") == (4, 2025 * 4 + 2)
    assert evaluation.series_position("2025") == (1, 2025)
    assert evaluation.series_position("20250701") is None


# --- Event rules -------------------------------------------------------------------------


def event_rule(world: World, **fields: Any) -> AlertRule:
    values: dict[str, Any] = {
        "name": "Ngập úng liên tiếp",
        "kind": RuleKind.EVENT,
        "event_type": "flood",
        "event_count": 3,
        "window_minutes": 60,
        "severity": Severity.CRITICAL,
    }
    values.update(fields)
    return AlertRule.objects.create(**values)


def flood(message_id: str, minute: int, **fields: Any) -> mqtt.InboundMessage:
    payload = {
        "id": message_id,
        "time": f"2025-08-01T08:{minute:02d}:00+07:00",
        "unit": "08707",
        "severity": "high",
        "title": "Ngập úng",
    }
    payload.update(fields)
    return mqtt.InboundMessage("tinhso/events/flood", json.dumps(payload).encode(), 1, 1)


@pytest.fixture
def mqtt_store(django_capture_on_commit_callbacks: Any) -> Any:
    parser = mqtt.PayloadParser("tinhso", mqtt.ReferenceCache(), max_message_bytes=4096)
    batch = start_batch(mqtt.IMPORT_KIND, "test")

    def run(*messages: mqtt.InboundMessage) -> mqtt.BatchCounts:
        with django_capture_on_commit_callbacks(execute=True):
            return mqtt.store_batch([parser.parse(m) for m in messages], batch.pk)

    return run


def test_events_below_count_open_nothing(world: World, mqtt_store: Any) -> None:
    event_rule(world)

    mqtt_store(flood("e-1", 0), flood("e-2", 10))

    assert Event.objects.count() == 2
    assert not Alert.objects.exists()


def test_third_event_in_window_opens_alert(world: World, mqtt_store: Any) -> None:
    rule = event_rule(world)
    mqtt_store(flood("e-1", 0), flood("e-2", 10))

    mqtt_store(flood("e-3", 20))

    alert = Alert.objects.get(rule=rule)
    assert (alert.unit, alert.period, alert.value) == (world.commune, "20250801", 3.0)
    assert alert.event_count == 1
    assert "3 sự kiện loại flood" in alert.message


def test_redelivered_events_open_nothing_more(world: World, mqtt_store: Any) -> None:
    event_rule(world)
    mqtt_store(flood("e-1", 0), flood("e-2", 10), flood("e-3", 20))

    counts = mqtt_store(flood("e-1", 0), flood("e-2", 10), flood("e-3", 20))

    assert counts.duplicates == 3
    assert Alert.objects.count() == 1


def test_later_events_update_the_open_alert(world: World, mqtt_store: Any) -> None:
    event_rule(world)
    mqtt_store(flood("e-1", 0), flood("e-2", 10), flood("e-3", 20))

    mqtt_store(flood("e-4", 30))

    alert = Alert.objects.get()
    assert alert.value == 4.0
    assert alert.event_count == 2
    assert list(alert.activities.values_list("action", flat=True)) == ["created", "updated"]


def test_events_outside_window_open_nothing(world: World, mqtt_store: Any) -> None:
    event_rule(world, window_minutes=15)

    mqtt_store(flood("e-1", 0), flood("e-2", 20), flood("e-3", 40))

    assert not Alert.objects.exists()


def test_event_severity_filter(world: World, mqtt_store: Any) -> None:
    event_rule(world, event_count=1, event_severity="critical")

    mqtt_store(flood("e-1", 0))
    assert not Alert.objects.exists()

    mqtt_store(flood("e-2", 5, severity="CRITICAL"))
    assert Alert.objects.count() == 1


def test_event_rule_unit_covers_units_under_it(world: World, mqtt_store: Any) -> None:
    event_rule(world, event_count=1, unit=world.other_commune)

    mqtt_store(flood("e-1", 0))

    assert not Alert.objects.exists()


# --- Check command -----------------------------------------------------------------------


def test_check_command_opens_alerts_for_existing_data(world: World, store: Store) -> None:
    store(world.indicator, world.commune, {"202506": 500.0, "202507": 320.0})
    rule = threshold_rule(world)  # created after the data, so nothing fired yet
    out = io.StringIO()

    call_command("ioc", "alerts", "check", stdout=out)

    alert = Alert.objects.get(rule=rule)
    assert alert.period == "202507"  # the latest period only
    # The command speaks TINHSO_LANGUAGE, Vietnamese by default.
    assert f"Đã mở cảnh báo {alert.pk}" in out.getvalue()
    assert "mở 1 cảnh báo" in out.getvalue()


def test_check_command_twice_opens_nothing_twice(world: World, store: Store) -> None:
    store(world.indicator, world.commune, {"202506": 500.0, "202507": 320.0})
    threshold_rule(world)

    call_command("ioc", "alerts", "check", "--all-periods", stdout=io.StringIO())
    call_command("ioc", "alerts", "check", "--all-periods", stdout=io.StringIO())

    assert sorted(Alert.objects.values_list("period", flat=True)) == ["202506", "202507"]


def test_check_command_evaluates_recent_events(world: World) -> None:
    event_rule(world, event_count=2)
    now = timezone.now()
    for number in range(2):
        Event.objects.create(
            event_type="flood", occurred_at=now - dt.timedelta(minutes=number), unit=world.commune,
            severity="high", message_id=f"x-{number}",
        )  # fmt: skip

    call_command("ioc", "alerts", "check", stdout=io.StringIO())

    assert Alert.objects.get().value == 2.0


def test_check_command_rejects_unknown_rule(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="999"):
        call_command("ioc", "alerts", "check", "--rule", "999", stdout=io.StringIO())


def test_events_without_unit_share_one_alert(world: World, mqtt_store: Any) -> None:
    event_rule(world, event_count=2)

    mqtt_store(flood("e-1", 0, unit=None), flood("e-2", 5, unit=None))

    alert = Alert.objects.get()
    assert alert.unit is None
    assert alert.dedup_key.endswith(":-:20250801")
    assert "không rõ đơn vị" in alert.message


def test_concurrent_open_alert_is_not_duplicated(world: World) -> None:
    rule = threshold_rule(world)
    firing = evaluation.Firing(rule, world.commune.pk, "202507", 320.0, threshold=300.0)

    first = evaluation._create_alert(firing)
    second = evaluation._create_alert(firing)

    assert first is not None
    assert second is None
    assert Alert.objects.count() == 1


def test_large_batch_is_evaluated(world: World, store: Store) -> None:
    # 5,000 values take the COPY path of store_values on PostgreSQL.
    world.indicator.periodicity = "day"
    world.indicator.save()
    threshold_rule(world)
    start = dt.date(2010, 1, 1)
    values = {
        (start + dt.timedelta(days=number)).strftime("%Y%m%d"): 100.0 for number in range(5000)
    }
    breaking = ["20100105", "20150601", "20230815"]
    for code in breaking:
        values[code] = 400.0

    store(world.indicator, world.commune, values)

    assert sorted(Alert.objects.values_list("period", flat=True)) == breaking


def test_constant_history_shows_infinite_score(world: World, store: Store) -> None:
    anomaly_rule(world)
    flat = {f"{year}{month:02d}": 100.0 for year in range(2020, 2025) for month in range(1, 13)}
    store(world.indicator, world.commune, flat)

    store(world.indicator, world.commune, {"202507": 101.0})

    alert = Alert.objects.get()
    assert alert.score == 1e9
    assert "(điểm ∞)" in alert.message
