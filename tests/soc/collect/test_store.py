"""Storing records exactly once, quarantine, detection after the commit, and purge."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.utils import timezone

from tinhso.soc.collect import store
from tinhso.soc.collect.normalise import Record
from tinhso.soc.collect.retention import purge
from tinhso.soc.collect.store import Rejected, quarantine, store_records
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent


def records(count: int, *, days_ago: int = 0) -> list[Record]:
    time = timezone.now() - dt.timedelta(days=days_ago, minutes=1)
    return [
        Record(
            time=time,
            host="web01",
            user="an",
            message=f"event {n}",
            fields={"Message": f"event {n}"},
            original={"raw": f"event {n}", "day": days_ago},
        )
        for n in range(count)
    ]


def test_same_batch_twice_stores_once(syslog_source: LogSource) -> None:
    batch = records(5)
    first = store_records(syslog_source, batch)
    second = store_records(syslog_source, batch)
    assert len(first) == 5
    assert second == []
    assert SecurityEvent.objects.filter(source=syslog_source).count() == 5
    assert all(event.pk for event in first)


def test_repeat_within_batch_stores_once(syslog_source: LogSource) -> None:
    batch = records(2)
    stored = store_records(syslog_source, batch + batch)
    assert len(stored) == 2


def test_same_record_two_sources_stored_twice(
    syslog_source: LogSource, evtx_source: LogSource
) -> None:
    batch = records(1)
    store_records(syslog_source, batch)
    store_records(evtx_source, batch)
    assert SecurityEvent.objects.count() == 2


def test_last_event_moves_forward_only(syslog_source: LogSource) -> None:
    store_records(syslog_source, records(1))
    newest = LogSource.objects.get(pk=syslog_source.pk).last_event_at
    store_records(syslog_source, records(1, days_ago=3))
    assert LogSource.objects.get(pk=syslog_source.pk).last_event_at == newest


def test_future_time_does_not_move_last_event_past_now(syslog_source: LogSource) -> None:
    future = records(1)[0]
    future.time = timezone.now() + dt.timedelta(days=400)
    store_records(syslog_source, [future])
    last = LogSource.objects.get(pk=syslog_source.pk).last_event_at
    assert last is not None
    assert last <= timezone.now()


def test_overlong_columns_are_cut(syslog_source: LogSource) -> None:
    record = records(1)[0]
    record.host = "h" * 400
    record.event_id = "9" * 100
    stored = store_records(syslog_source, [record])
    assert len(stored[0].host) == 255
    assert len(stored[0].event_id) == 32


def test_detection_gets_new_events(
    syslog_source: LogSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[int]] = []

    def detect(events: Any) -> list[Any]:
        seen.append([event.pk for event in events])
        return []

    monkeypatch.setattr("tinhso.soc.detection.detect_events", detect)
    stored = store_records(syslog_source, records(3))
    store_records(syslog_source, records(3))
    assert seen == [[event.pk for event in stored]]


def test_detection_failure_keeps_events(
    syslog_source: LogSource, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(events: Any) -> list[Any]:
        SecurityEvent.objects.all().delete()
        raise RuntimeError("rule engine crashed")

    monkeypatch.setattr("tinhso.soc.detection.detect_events", broken)
    with caplog.at_level(logging.ERROR, logger=store.__name__):
        stored = store_records(syslog_source, records(4))
    assert len(stored) == 4
    assert SecurityEvent.objects.count() == 4
    assert "Detection failed on 4 stored events" in caplog.text


def test_quarantine_escapes_invalid_bytes(syslog_source: LogSource) -> None:
    quarantine(
        [
            Rejected(
                "udp",
                "malformed",
                "no priority",
                b"\xffbad\x00",
                "10.0.0.1:5",
                source=syslog_source,
            )
        ]
    )
    row = LogQuarantine.objects.get()
    assert row.raw == "\\xffbad\\x00"
    assert row.reason == "no priority"
    assert row.source == syslog_source


def test_quarantine_cuts_huge_raw(syslog_source: LogSource) -> None:
    quarantine([Rejected("http", "line_too_long", "too long", b"x" * 200_000)])
    row = LogQuarantine.objects.get()
    assert len(row.raw) == store.MAX_QUARANTINE_CHARS
    assert "cut to its first" in row.reason


def test_purge_by_retention(syslog_source: LogSource, evtx_source: LogSource) -> None:
    LogSource.objects.filter(pk=syslog_source.pk).update(retention_days=30)
    store_records(syslog_source, records(2, days_ago=40) + records(3, days_ago=10))
    store_records(evtx_source, records(2, days_ago=40))
    old = LogQuarantine.objects.create(
        source=syslog_source, transport="udp", code="malformed", reason="x"
    )
    LogQuarantine.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - dt.timedelta(days=31)
    )
    LogQuarantine.objects.create(
        source=syslog_source, transport="udp", code="malformed", reason="y"
    )

    planned = {count.source.host if count.source else None: count for count in purge(dry_run=True)}
    assert planned["web01"].events == 2
    assert planned["web01"].quarantined == 1
    assert planned["dc01"].events == 0
    assert SecurityEvent.objects.count() == 7

    done = {count.source.host if count.source else None: count for count in purge()}
    assert done["web01"].events == 2
    assert SecurityEvent.objects.filter(source=syslog_source).count() == 3
    assert SecurityEvent.objects.filter(source=evtx_source).count() == 2
    assert LogQuarantine.objects.filter(source=syslog_source).count() == 1


def test_purge_unknown_sender_quarantine(db: None) -> None:
    row = LogQuarantine.objects.create(transport="udp", code="unknown_source", reason="x")
    LogQuarantine.objects.filter(pk=row.pk).update(
        received_at=timezone.now() - dt.timedelta(days=31)
    )
    counts = purge()
    assert counts[-1].source is None
    assert counts[-1].quarantined == 1
    assert not LogQuarantine.objects.exists()


def test_large_batch_stored_once(syslog_source: LogSource) -> None:
    batch = records(2500)
    assert len(store_records(syslog_source, batch)) == 2500
    assert store_records(syslog_source, batch) == []
    assert SecurityEvent.objects.count() == 2500


def test_quarantine_stores_same_input_once(syslog_source: LogSource) -> None:
    bad_line = Rejected("http", "invalid_json", "not JSON", b"{oops", "10.0.0.1", "line 2")
    moved = Rejected("http", "invalid_json", "not JSON", b"{oops", "10.0.0.9", "line 7")

    assert quarantine([bad_line, bad_line]) == 1
    assert quarantine([moved]) == 0
    assert LogQuarantine.objects.get().position == "line 2"


def test_quarantine_keeps_distinct_inputs(syslog_source: LogSource) -> None:
    base = Rejected("udp", "no_priority", "no priority", b"junk", identity="a")

    added = quarantine(
        [
            base,
            Rejected("udp", "no_priority", "no priority", b"junk", identity="b"),
            Rejected("tcp", "no_priority", "no priority", b"junk", identity="a"),
            Rejected(
                "udp", "no_priority", "no priority", b"junk", identity="a", source=syslog_source
            ),
            Rejected("udp", "no_priority", "no priority", b"junk!", identity="a"),
        ]
    )

    assert added == 5
    assert LogQuarantine.objects.count() == 5
