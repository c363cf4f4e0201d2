"""``tinhso soc source``, ``tinhso soc purge`` and the refusal of bad options."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tinhso.core.models import AuditAction, AuditEvent, Department
from tinhso.soc.collect import keys
from tinhso.soc.collect.normalise import Record
from tinhso.soc.collect.sources import Registered
from tinhso.soc.collect.store import store_records
from tinhso.soc.models import LogSource, SecurityEvent


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands speak TINHSO_LANGUAGE; the checks below read English."""
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")


def test_source_add_prints_key_once(agency: Department, capsys: pytest.CaptureFixture[str]) -> None:
    call_command(
        "soc", "source", "add", "--agency", "so-tttt", "--host", "app01", "--kind", "json_http"
    )
    output = capsys.readouterr().out
    source = LogSource.objects.get(host="app01")
    raw_key = output.split("store it in the sender): ")[1].strip()
    assert keys.find_source(raw_key) == source
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(source.pk)).exists()

    call_command("soc", "source", "list")
    listing = capsys.readouterr().out
    assert listing.splitlines()[0].split("\t") == [
        "Agency", "Host", "Kind", "Status", "Key prefix", "Last event", "Events", "Name",
    ]  # fmt: skip
    assert "app01\tjson_http" in listing
    assert raw_key not in listing


def test_source_add_syslog_prints_no_key(
    agency: Department, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "soc", "source", "add", "--agency", "so-tttt", "--host", "fw01", "--kind", "syslog",
        "--retention-days", "30",
    )  # fmt: skip
    assert "Key" not in capsys.readouterr().out
    assert LogSource.objects.get(host="fw01").retention_days == 30


def test_source_add_unknown_agency(db: None) -> None:
    with pytest.raises(CommandError, match="Agency so-khong-co not found") as raised:
        call_command(
            "soc", "source", "add", "--agency", "so-khong-co", "--host", "h", "--kind", "syslog"
        )
    assert "admin site (/admin/), under Departments" in str(raised.value)


def test_rotate_key_replaces_key(
    json_source: Registered, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("soc", "source", "rotate-key", "app01")
    new_key = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    assert keys.find_source(new_key) is not None
    assert keys.find_source(json_source.raw_key) is None


def test_rotate_key_unknown_host(db: None) -> None:
    with pytest.raises(CommandError, match="No json_http log source for host nowhere"):
        call_command("soc", "source", "rotate-key", "nowhere")


def test_purge_prints_counts_per_source(
    syslog_source: LogSource, capsys: pytest.CaptureFixture[str]
) -> None:
    LogSource.objects.filter(pk=syslog_source.pk).update(retention_days=7)
    old = timezone.now() - dt.timedelta(days=8)
    store_records(syslog_source, [Record(time=old, original={"n": n}) for n in range(3)])
    store_records(syslog_source, [Record(time=timezone.now(), original={"n": "new"})])

    call_command("soc", "purge", "--dry-run")
    assert "so-tttt web01 (syslog): would delete 3 events" in capsys.readouterr().out
    assert SecurityEvent.objects.count() == 4

    call_command("soc", "purge")
    assert "so-tttt web01 (syslog): deleted 3 events" in capsys.readouterr().out
    assert SecurityEvent.objects.count() == 1


def test_listen_tls_needs_certificate(db: None) -> None:
    with pytest.raises(CommandError, match="--tls-port needs --cert and --key"):
        call_command("soc", "listen", "--tls-port", "0", "--udp-port", "off", "--tcp-port", "off")
