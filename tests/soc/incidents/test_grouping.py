"""Alerts from findings: deduplication, grouping into incidents, and the IOC feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.soc.incidents.support import (
    BASE_TIME,
    finding_for,
    make_agency,
    make_event,
    make_source,
)
from tinhso.ioc.models import Event
from tinhso.soc.findings import Finding
from tinhso.soc.incidents import grouping
from tinhso.soc.incidents.alerts import dedup_key, raise_alerts
from tinhso.soc.models import Alert, Incident, IncidentNote, IncidentStatus

pytestmark = pytest.mark.django_db


def test_same_finding_twice_one_alert() -> None:
    event = make_event(make_source())
    finding = finding_for(event)

    first = raise_alerts([finding])
    second = raise_alerts([finding])

    assert Alert.objects.count() == 1
    alert = Alert.objects.get()
    assert alert.count == 2
    assert [a.pk for a in first] == [alert.pk]
    assert [a.pk for a in second] == [alert.pk]
    assert Incident.objects.count() == 1
    assert Incident.objects.get().alert_count == 1


def test_repeat_in_one_batch_counts() -> None:
    event = make_event(make_source())
    raise_alerts([finding_for(event), finding_for(event)])
    assert Alert.objects.get().count == 2


def test_alert_takes_agency_and_events() -> None:
    agency = make_agency("so-yt", "Sở Y tế")
    source = make_source(agency, host="BV-01")
    event = make_event(source)

    (alert,) = raise_alerts([finding_for(event)])

    assert alert.agency_id == agency.pk
    assert alert.source_id == source.pk
    assert list(alert.events.values_list("pk", flat=True)) == [event.pk]
    assert alert.incident is not None
    assert alert.incident.agency_id == agency.pk


def test_two_rules_same_host_two_incidents() -> None:
    source = make_source()
    first = make_event(source)
    second = make_event(source, time=BASE_TIME + dt.timedelta(minutes=5))

    raise_alerts([finding_for(first, "rule-a"), finding_for(second, "rule-b")])

    assert Incident.objects.count() == 2
    assert set(Incident.objects.values_list("rule_id", flat=True)) == {"rule-a", "rule-b"}


def test_same_rule_within_window_one_incident() -> None:
    source = make_source()
    first = make_event(source)
    second = make_event(source, time=BASE_TIME + dt.timedelta(minutes=50))

    raise_alerts([finding_for(first, tags=("attack.execution",))])
    raise_alerts([finding_for(second, tags=("attack.t1059.001",))])

    incident = Incident.objects.get()
    assert incident.alert_count == 2
    assert incident.first_seen == first.time
    assert incident.last_seen == second.time
    assert incident.tags == ["attack.execution", "attack.t1059.001"]


def test_same_rule_after_window_new_incident() -> None:
    source = make_source()
    first = make_event(source)
    later = make_event(source, time=BASE_TIME + dt.timedelta(minutes=61))

    raise_alerts([finding_for(first)])
    raise_alerts([finding_for(later)])

    assert Incident.objects.count() == 2


def test_window_follows_setting(settings: object) -> None:
    settings.TINHSO_SOC_INCIDENT_WINDOW_SECONDS = 10 * 60  # type: ignore[attr-defined]
    source = make_source()
    raise_alerts([finding_for(make_event(source))])
    raise_alerts([finding_for(make_event(source, time=BASE_TIME + dt.timedelta(minutes=11)))])
    assert Incident.objects.count() == 2


def test_other_user_other_incident() -> None:
    source = make_source()
    raise_alerts([finding_for(make_event(source, user="nva"))])
    raise_alerts([finding_for(make_event(source, user="ttb"))])
    assert Incident.objects.count() == 2


def test_resolved_incident_not_joined() -> None:
    source = make_source()
    raise_alerts([finding_for(make_event(source))])
    Incident.objects.update(status=IncidentStatus.RESOLVED)

    raise_alerts([finding_for(make_event(source, time=BASE_TIME + dt.timedelta(minutes=1)))])

    assert Incident.objects.count() == 2
    assert Incident.objects.filter(status=IncidentStatus.NEW).count() == 1


def test_severity_is_max_of_alerts() -> None:
    source = make_source()
    raise_alerts([finding_for(make_event(source), severity="high")])
    raise_alerts(
        [finding_for(make_event(source, time=BASE_TIME + dt.timedelta(minutes=1)), severity="low")]
    )
    assert Incident.objects.get().severity == "high"


@pytest.fixture
def recent() -> dt.datetime:
    """An event time an hour ago, recent enough for the IOC feed."""
    return timezone.now() - dt.timedelta(hours=1)


def test_escalation_writes_one_feed_event(recent: dt.datetime) -> None:
    source = make_source(host="SRV-DB")
    raise_alerts([finding_for(make_event(source, time=recent), severity="medium")])
    assert Event.objects.count() == 0

    later = make_event(source, time=recent + dt.timedelta(minutes=2))
    raise_alerts([finding_for(later, severity="high")])
    raise_alerts([finding_for(later, severity="high")])
    third = make_event(source, time=recent + dt.timedelta(minutes=3))
    raise_alerts([finding_for(third, severity="high")])

    incident = Incident.objects.get()
    assert incident.severity == "high"
    event = Event.objects.get()
    assert event.event_type == "soc.incident"
    assert event.severity == "high"
    assert event.message_id == f"soc-incident-{incident.pk}-high"
    assert "SRV-DB" in event.title
    assert "Rule rule-a" in event.title
    assert event.title.startswith("Sự cố an toàn thông tin mức cao")
    assert event.payload["incident_id"] == incident.pk
    assert event.payload["url"] == f"/soc/incidents/{incident.pk}/"
    assert IncidentNote.objects.filter(incident=incident, action="escalated").count() == 1


def test_critical_after_high_second_feed_event(recent: dt.datetime) -> None:
    source = make_source()
    raise_alerts([finding_for(make_event(source, time=recent), severity="high")])
    raise_alerts(
        [
            finding_for(
                make_event(source, time=recent + dt.timedelta(minutes=1)), severity="critical"
            )
        ]
    )
    assert sorted(Event.objects.values_list("severity", flat=True)) == ["critical", "high"]


def test_new_high_incident_announced_once(recent: dt.datetime) -> None:
    event = make_event(make_source(), time=recent)
    raise_alerts([finding_for(event, severity="critical")])
    raise_alerts([finding_for(event, severity="critical")])
    assert Event.objects.count() == 1


def test_feed_event_time_is_announcement(recent: dt.datetime) -> None:
    before = timezone.now()
    raise_alerts([finding_for(make_event(make_source(), time=recent), severity="high")])
    incident = Incident.objects.get()
    event = Event.objects.get()
    assert event.occurred_at >= before
    assert event.occurred_at > incident.last_seen
    assert event.payload["last_event_at"] == incident.last_seen.isoformat()


def test_old_events_not_announced() -> None:
    old = timezone.now() - grouping.FEED_MAX_EVENT_AGE - dt.timedelta(minutes=5)
    source = make_source()
    raise_alerts([finding_for(make_event(source, time=old), severity="critical")])
    raise_alerts([finding_for(make_event(source, time=BASE_TIME), "rule-b", severity="high")])
    assert Incident.objects.filter(severity="critical").count() == 1
    assert Incident.objects.filter(severity="high").count() == 1
    assert Event.objects.count() == 0


def test_opened_incident_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("DEBUG", logger="tinhso.soc.incidents.grouping"):
        raise_alerts([finding_for(make_event(make_source()))])
    opened = [record for record in caplog.records if "Opened incident" in record.getMessage()]
    assert len(opened) == 1
    assert opened[0].levelname == "DEBUG"


def test_anomaly_dedup_by_explanation_key() -> None:
    source = make_source()
    first = make_event(source)
    second = make_event(source, time=BASE_TIME + dt.timedelta(minutes=5))

    def anomaly(event_id: int) -> Finding:
        return Finding(
            kind="anomaly",
            rule_id="logon-hour",
            title="Logon at an unusual hour",
            severity="medium",
            time=BASE_TIME,
            host="WS-01",
            user="nva",
            event_ids=(event_id,),
            explanation={"key": "nva@2026-11-20T08", "baseline": "08–17 h", "observed": "03 h"},
        )

    assert dedup_key(anomaly(first.pk)) == dedup_key(anomaly(second.pk))
    raise_alerts([anomaly(first.pk)])
    raise_alerts([anomaly(second.pk)])

    alert = Alert.objects.get()
    assert alert.count == 2
    assert set(alert.events.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_dedup_key_differs_by_event() -> None:
    source = make_source()
    first = finding_for(make_event(source))
    second = finding_for(make_event(source))
    assert dedup_key(first) != dedup_key(second)


def test_unknown_event_ids_kept_as_alert() -> None:
    event = make_event(make_source())
    (alert,) = raise_alerts([finding_for(event, event_ids=(event.pk, 999_999))])
    assert list(alert.events.values_list("pk", flat=True)) == [event.pk]


def test_conflicting_insert_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import IntegrityError

    from tinhso.soc.incidents import alerts

    event = make_event(make_source())
    real_raise = alerts._raise
    calls = []

    def conflict_once(findings: list[Finding]) -> list[Alert]:
        calls.append(len(findings))
        if len(calls) == 1:
            # The first attempt fails as a collision with a concurrent insert would, so its
            # transaction rolls back and the call runs again.
            real_raise(findings)
            raise IntegrityError("UNIQUE constraint failed: soc_alert.dedup_key")
        return real_raise(findings)

    monkeypatch.setattr(alerts, "_raise", conflict_once)
    (alert,) = raise_alerts([finding_for(event)])

    assert calls == [1, 1]
    assert Alert.objects.count() == 1
    assert alert.count == 1
    assert Incident.objects.count() == 1
