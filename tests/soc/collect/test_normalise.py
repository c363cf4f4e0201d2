"""Normalising syslog messages, JSON objects and EVTX events into the common record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tinhso.soc.collect.normalise import (
    RecordError,
    flatten,
    normalise_evtx,
    normalise_json,
    normalise_syslog,
)
from tinhso.soc.collect.syslog import parse
from tinhso.soc.engine import read_evtx

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = dt.datetime(2025, 7, 1, 9, 0, tzinfo=HANOI)
SECURITY_4688 = (
    Path("soc") / "evtx-attack-samples" / "Privilege Escalation"
    / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"
)  # fmt: skip


def syslog_record(raw: bytes, peer: str = "10.1.2.3:514") -> object:
    return normalise_syslog(
        parse(raw, received_at=RECEIVED), received_at=RECEIVED, transport="udp", peer=peer
    )


def test_syslog_5424_columns_and_fields() -> None:
    record = syslog_record(
        b'<38>1 2025-07-01T08:30:00.5+07:00 web01 sshd 4242 AUTH [origin@1 src="10.9.8.7" user="an"]'
        b" Failed password for an from 10.9.8.7 port 22"
    )
    assert record.time == dt.datetime(2025, 7, 1, 8, 30, 0, 500000, tzinfo=HANOI)
    assert record.host == "web01"
    assert record.channel == "auth"
    assert record.event_id == "AUTH"
    assert record.provider == "sshd"
    assert record.user == "an"
    assert record.source_ip == "10.9.8.7"
    assert record.fields["Hostname"] == "web01"
    assert record.fields["Application"] == "sshd"
    assert record.fields["ProcId"] == "4242"
    assert record.fields["MsgId"] == "AUTH"
    assert record.fields["Severity"] == "info"
    assert record.fields["Facility"] == "auth"
    assert record.fields["origin@1.src"] == "10.9.8.7"
    assert record.original["raw"].startswith("<38>1 2025-07-01T08:30:00.5+07:00 web01")


def test_syslog_3164_time_in_platform_zone() -> None:
    record = syslog_record(
        b"<38>Jun 30 23:59:58 fw01 sshd[7]: Failed password for root from 1.2.3.4 port 2"
    )
    assert record.time == dt.datetime(2025, 6, 30, 23, 59, 58, tzinfo=HANOI)
    assert record.time.utcoffset() == dt.timedelta(hours=7)
    assert record.user == "root"
    assert record.source_ip == "1.2.3.4"


def test_syslog_without_host_uses_peer_address() -> None:
    record = syslog_record(b"<13>1 - - app - - - hello", peer="[fd00::5]:40000")
    assert record.host == "fd00::5"
    assert record.time == RECEIVED


def test_syslog_invalid_utf8_kept_and_noted() -> None:
    record = syslog_record(b"<14>1 - web01 app - - - gi\xe1 tr\xff\xfe")
    assert record.message == "gi\ufffd tr\ufffd\ufffd"
    assert record.fields["InvalidUtf8"] is True
    assert record.original["raw"].endswith("gi\\xe1 tr\\xff\\xfe")


def test_syslog_invalid_utf8_host_rejected() -> None:
    with pytest.raises(RecordError) as caught:
        syslog_record(b"<14>1 - web\xff01 app - - - hello")
    assert caught.value.code == "invalid_utf8_header"


def test_syslog_nul_replaced() -> None:
    record = syslog_record(b"<14>1 - web01 app - - - a\x00b")
    assert record.message == "a\ufffdb"
    assert "\x00" not in record.original["raw"]


def test_json_flattened_and_mapped() -> None:
    record = normalise_json(
        {
            "@timestamp": "2025-07-01T01:30:00Z",
            "host": {"name": "app01"},
            "user": {"name": "lan"},
            "source": {"ip": "10.0.0.9"},
            "event": {"code": 4625, "provider": "portal"},
            "message": "đăng nhập thất bại",
            "tags": ["a", "b"],
        },
        received_at=RECEIVED,
        default_host="fallback",
    )
    assert record.time == dt.datetime(2025, 7, 1, 1, 30, tzinfo=dt.UTC)
    assert record.host == "app01"
    assert record.user == "lan"
    assert record.source_ip == "10.0.0.9"
    assert record.event_id == "4625"
    assert record.provider == "portal"
    assert record.message == "đăng nhập thất bại"
    assert record.fields["host.name"] == "app01"
    assert record.fields["tags"] == ["a", "b"]
    assert record.original["host"] == {"name": "app01"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-07-01 08:00:00", dt.datetime(2025, 7, 1, 8, tzinfo=HANOI)),
        (1751331600, dt.datetime(2025, 7, 1, 1, tzinfo=dt.UTC)),
        (1751331600000, dt.datetime(2025, 7, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_json_time_forms(value: object, expected: dt.datetime) -> None:
    record = normalise_json({"time": value}, received_at=RECEIVED, default_host="h")
    assert record.time == expected


def test_json_without_time_or_host_gets_defaults() -> None:
    record = normalise_json({"msg": "x"}, received_at=RECEIVED, default_host="app01")
    assert record.time == RECEIVED
    assert record.host == "app01"


def test_json_unreadable_time_rejected() -> None:
    with pytest.raises(RecordError) as caught:
        normalise_json({"time": "hôm qua"}, received_at=RECEIVED, default_host="h")
    assert caught.value.code == "invalid_time"
    assert "time='hôm qua'" in caught.value.reason


def test_flatten_stops_at_depth_limit() -> None:
    nested: dict[str, object] = {"leaf": 1}
    for _ in range(40):
        nested = {"n": nested}
    flat = flatten(nested)
    assert len(flat) == 1
    key = next(iter(flat))
    assert key.count(".") == 16


def test_evtx_columns_keep_windows_fields(shared_data: Path) -> None:
    events = [e for e in read_evtx(shared_data / SECURITY_4688) if e.fields["EventID"] == 4688]
    record = normalise_evtx(events[0])
    assert record.channel == "Security"
    assert record.event_id == "4688"
    assert record.provider == "Microsoft-Windows-Security-Auditing"
    assert record.host == events[0].fields["Computer"]
    assert record.time.tzinfo is not None
    assert record.fields["NewProcessName"] == "C:\\Windows\\System32\\notepad.exe"
    assert record.fields["EventID"] == 4688
    assert record.original == events[0].original


def test_evtx_without_time_rejected() -> None:
    from tinhso.soc.engine import Event

    with pytest.raises(RecordError) as caught:
        normalise_evtx(Event({"EventID": 4624, "Channel": "Security"}, {}))
    assert caught.value.code == "missing_time"
