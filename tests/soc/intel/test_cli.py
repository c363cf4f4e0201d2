"""``tinhso soc intel`` and ``tinhso soc anomalies`` against the test database."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.soc.analytics.events import make_source, sample_events, store
from tinhso.soc.models import IntelFeed

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

SPRAY = "Credential Access/kerberos_pwd_spray_4771.evtx"


def soc(*arguments: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("soc", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_import_list_and_match(tmp_path: Path) -> None:
    feed_file = tmp_path / "cert.txt"
    feed_file.write_text("# CERT\n172.16.66.1  # spray source\nnot a thing\nevil.example\n")
    output, errors = soc("intel", "import", str(feed_file), "--name", "cert")

    assert "cert" in output
    assert IntelFeed.objects.get(name="cert").indicator_count == 2
    assert "line 3 [invalid_value]" in errors
    listing, _ = soc("intel", "list")
    assert listing.startswith("cert\tlist\t2\t")

    spray = store(make_source(), sample_events(SPRAY))
    since = (spray[0].time - timedelta(minutes=1)).isoformat()
    matches, summary = soc("intel", "match", "--since", since, "--format", "jsonl")
    rows = [json.loads(line) for line in matches.splitlines()]
    assert len(rows) == 11
    assert {row["explanation"]["indicator"] for row in rows} == {"172.16.66.1"}
    assert "12" in summary


def test_import_invalid_stix_is_command_error(tmp_path: Path) -> None:
    bad = tmp_path / "bundle.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        soc("intel", "import", str(bad), "--name", "cert")
    assert not IntelFeed.objects.exists()


def test_anomalies_command_prints_findings() -> None:
    store(make_source(), sample_events(SPRAY))
    output, summary = soc("anomalies", "--since", "2020-07-22", "--until", "2020-07-24")

    assert output == ""  # the sample alone is below the burst detector's minimum history
    assert "12" in summary


def test_since_reads_vietnamese_dates() -> None:
    store(make_source(), sample_events(SPRAY))
    iso = soc("anomalies", "--since", "2020-07-22", "--until", "2020-07-24")
    vietnamese = soc("anomalies", "--since", "22/07/2020", "--until", "24/07/2020")

    assert vietnamese == iso


def test_since_rejects_bad_time() -> None:
    with pytest.raises(CommandError, match="yesterday không hợp lệ"):
        soc("anomalies", "--since", "yesterday")
