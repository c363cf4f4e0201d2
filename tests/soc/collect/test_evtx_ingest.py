"""Ingesting real EVTX files, a truncated copy of one, and the same file twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from tinhso.soc.collect.evtx_ingest import ingest_files
from tinhso.soc.engine import read_evtx
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent

SAMPLES = Path("soc") / "evtx-attack-samples"
# A Sysmon log of 565 events over several 64 KiB chunks.
MULTI_CHUNK = SAMPLES / "AutomatedTestingTools" / "PanacheSysmon_vs_AtomicRedTeam01.evtx"
SECURITY_4688 = SAMPLES / "Privilege Escalation" / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"


def truncated_copy(shared_data: Path, tmp_path: Path) -> Path:
    damaged = tmp_path / "damaged.evtx"
    damaged.write_bytes((shared_data / MULTI_CHUNK).read_bytes()[: 4096 + 30000])
    return damaged


def test_good_file_stored_bad_reported(
    shared_data: Path, tmp_path: Path, evtx_source: LogSource
) -> None:
    good = shared_data / SECURITY_4688
    damaged = truncated_copy(shared_data, tmp_path)
    expected = len(read_evtx(good))

    report = ingest_files(evtx_source, [damaged, good])

    assert report.files == 2
    assert report.stored == expected
    assert report.events == expected
    assert [failure.path for failure in report.failed] == [str(damaged)]
    assert "truncated" in report.failed[0].reason
    assert SecurityEvent.objects.filter(source=evtx_source).count() == expected
    held = LogQuarantine.objects.get(source=evtx_source)
    assert held.position == str(damaged)
    assert held.code == "evtx-unreadable"
    assert "truncated" in held.reason


def test_ingest_twice_stores_once(shared_data: Path, evtx_source: LogSource) -> None:
    first = ingest_files(evtx_source, [shared_data / MULTI_CHUNK])
    second = ingest_files(evtx_source, [shared_data / MULTI_CHUNK])
    assert first.stored == 565
    assert second.stored == 0
    assert second.duplicates == 565
    assert SecurityEvent.objects.count() == 565


def test_folder_ingest_with_progress(shared_data: Path, evtx_source: LogSource) -> None:
    calls: list[tuple[int, int]] = []
    folder = shared_data / SAMPLES / "Credential Access"
    count = len(list(folder.rglob("*.evtx")))
    report = ingest_files(
        evtx_source, [folder], progress=lambda done, total: calls.append((done, total))
    )
    assert report.files == count
    assert calls[-1] == (count, count)
    assert report.stored == SecurityEvent.objects.count()


def test_stored_events_keep_sigma_fields(shared_data: Path, evtx_source: LogSource) -> None:
    ingest_files(evtx_source, [shared_data / SECURITY_4688])
    event = SecurityEvent.objects.filter(event_id="4688").first()
    assert event is not None
    assert event.channel == "Security"
    assert event.fields["NewProcessName"] == "C:\\Windows\\System32\\notepad.exe"
    assert event.original["Event"]["System"]["Channel"] == "Security"


def test_ingest_command_counts(
    shared_data: Path,
    tmp_path: Path,
    evtx_source: LogSource,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TINHSO_LANGUAGE", "en")
    damaged = truncated_copy(shared_data, tmp_path)
    call_command(
        "soc", "ingest", str(shared_data / SECURITY_4688), str(damaged), "--source", "dc01"
    )
    output = capsys.readouterr()
    expected = len(read_evtx(shared_data / SECURITY_4688))
    assert (
        f"2 files, 1 of them unreadable and quarantined as whole files; {expected} events read, "
        f"{expected} stored, 0 already stored, 0 records of readable files quarantined."
    ) in output.out
    assert str(damaged) in output.err
    call_command("soc", "ingest", str(shared_data / SECURITY_4688), "--source", "dc01")
    again = capsys.readouterr()
    assert f"0 stored, {expected} already stored" in again.out


def test_damaged_file_quarantined_once(
    shared_data: Path, tmp_path: Path, evtx_source: LogSource
) -> None:
    damaged = truncated_copy(shared_data, tmp_path)
    other = tmp_path / "other.evtx"
    other.write_bytes(damaged.read_bytes()[:20000])

    first = ingest_files(evtx_source, [damaged])
    second = ingest_files(evtx_source, [damaged, other])

    assert len(first.failed) == 1
    assert len(second.failed) == 2
    assert sorted(LogQuarantine.objects.values_list("position", flat=True)) == sorted(
        [str(damaged), str(other)]
    )
