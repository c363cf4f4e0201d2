"""Importing feeds into the database and matching stored events against them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.soc.analytics.events import make_source, sample_events, store
from tinhso.core.models import AuditAction, AuditEvent
from tinhso.ingest.models import BatchStatus, ImportBatch, QuarantineRecord
from tinhso.soc.intel.indicators import IntelFormatError
from tinhso.soc.intel.service import import_feed, intel_findings
from tinhso.soc.models import IntelFeed, ThreatIndicator

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

SPRAY = "Credential Access/kerberos_pwd_spray_4771.evtx"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def stix_bundle(*indicators: tuple[str, str, dict]) -> bytes:
    objects = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{number:08d}-0000-4000-8000-000000000000",
            "pattern_type": "stix",
            "pattern": pattern,
            "name": name,
            **extra,
        }
        for number, (name, pattern, extra) in enumerate(indicators, start=1)
    ]
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}).encode()


def test_import_list_and_quarantine_bad_lines() -> None:
    result = import_feed(b"198.51.100.7\nthis is nothing\nevil.example\n", "cert-list")

    feed = IntelFeed.objects.get(name="cert-list")
    assert feed.format == "list"
    assert feed.indicator_count == 2
    assert sorted(feed.indicators.values_list("value", flat=True)) == [
        "198.51.100.7",
        "evil.example",
    ]
    assert [problem.position for problem in result.parsed.problems] == ["line 2"]
    assert result.report.batch_id is not None
    batch = ImportBatch.objects.get(pk=result.report.batch_id)
    assert batch.status == BatchStatus.PARTIAL
    quarantined = QuarantineRecord.objects.get(batch=batch)
    assert quarantined.position == "line 2"
    assert quarantined.raw == {"text": "this is nothing"}
    audit_row = AuditEvent.objects.get(action=AuditAction.IMPORT, object_type="soc.intelfeed")
    assert audit_row.extra["indicators"] == 2
    assert audit_row.extra["rejected"] == 1


def test_reimport_replaces_indicators() -> None:
    import_feed(b"198.51.100.7\n198.51.100.8\n", "cert")
    result = import_feed(b"203.0.113.9\n", "cert")

    assert result.replaced == 2
    assert list(ThreatIndicator.objects.values_list("value", flat=True)) == ["203.0.113.9"]
    assert IntelFeed.objects.get(name="cert").indicator_count == 1


def test_failed_import_leaves_feed_unchanged() -> None:
    import_feed(b"198.51.100.7\n", "cert")
    with pytest.raises(IntelFormatError, match="not valid JSON"):
        import_feed(b"{broken", "cert", format="stix")
    with pytest.raises(IntelFormatError, match="no usable indicator"):
        import_feed(b"nothing here\n", "cert")

    assert list(ThreatIndicator.objects.values_list("value", flat=True)) == ["198.51.100.7"]
    failed = ImportBatch.objects.filter(status=BatchStatus.FAILED).order_by("pk")
    assert [batch.message[:20] for batch in failed] == [
        "the file is not vali",
        "the file contains no",
    ]
    assert QuarantineRecord.objects.filter(batch=failed.last()).count() == 1


def test_import_stix_keeps_tags_and_validity() -> None:
    data = stix_bundle(
        ("C2", "[ipv4-addr:value = '172.16.66.1']",
         {"valid_from": "2020-01-01T00:00:00Z", "labels": ["malicious-activity"], "x_severity": "critical"}),
    )  # fmt: skip
    import_feed(data, "stix-feed", source_name="bundle.json")

    stored = ThreatIndicator.objects.get()
    assert stored.kind == "ipv4"
    assert stored.tags == ["malicious-activity"]
    assert stored.severity == "critical"
    assert stored.valid_from == datetime(2020, 1, 1, tzinfo=UTC)
    assert stored.feed.format == "stix"


def test_match_address_domain_and_hash() -> None:
    source = make_source()
    spray = store(source, sample_events(SPRAY))
    dns = store(source, sample_events(SPRAY)[:1], shift=timedelta(seconds=1), changes={
        "EventID": 22, "Channel": "Microsoft-Windows-Sysmon/Operational",
        "QueryName": "cdn.Evil.Example", "IpAddress": "-"})  # fmt: skip
    process = store(source, sample_events(SPRAY)[:1], shift=timedelta(seconds=2), changes={
        "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "IpAddress": "-",
        "Hashes": f"SHA1=da39a3ee5e6b4b0d3255bfef95601890afd80709,MD5={MD5.upper()},IMPHASH={'0' * 32}"})  # fmt: skip
    import_feed(
        stix_bundle(
            ("Spray source", "[ipv4-addr:value = '172.16.66.1']", {"labels": ["password-spray"]}),
            ("Evil domain", "[domain-name:value = 'evil.example']", {}),
            ("Dropper", f"[file:hashes.MD5 = '{MD5}']", {"x_severity": "medium"}),
            ("Zero", f"[file:hashes.MD5 = '{'0' * 32}']", {}),
        ),
        "cert",
    )
    findings = intel_findings(spray + dns + process)

    by_kind: dict[str, list] = {}
    for finding in findings:
        by_kind.setdefault(finding.explanation["kind"], []).append(finding)
    # Every event of the spray sample from 172.16.66.1 (4768, 4771 and ::ffff: forms) matches.
    spray_sources = [e for e in spray if "172.16.66.1" in e.fields.get("IpAddress", "")]
    assert len(by_kind["ipv4"]) == len(spray_sources) == 11
    ip_match = by_kind["ipv4"][0]
    assert ip_match.kind == "intel"
    assert ip_match.rule_id == "intel.ipv4"
    assert ip_match.severity == "high"
    assert ip_match.tags == ("password-spray",)
    assert ip_match.explanation["feed"] == "cert"
    assert ip_match.explanation["stix_id"].startswith("indicator--00000001")
    assert ip_match.explanation["description"] == "Spray source"
    assert ip_match.explanation["matched_field"] == "IpAddress"
    assert [f.event_ids for f in by_kind["domain"]] == [(dns[0].pk,)]
    assert by_kind["domain"][0].explanation["matched_value"] == "cdn.evil.example"
    assert by_kind["domain"][0].explanation["indicator"] == "evil.example"
    assert [f.event_ids for f in by_kind["md5"]] == [(process[0].pk,)]
    assert by_kind["md5"][0].severity == "medium"
    assert set(by_kind) == {"ipv4", "domain", "md5"}


def test_expired_indicator_does_not_match() -> None:
    source = make_source()
    spray = store(source, sample_events(SPRAY))
    import_feed(
        stix_bundle(
            ("Old", "[ipv4-addr:value = '172.16.66.1']",
             {"valid_from": "2019-01-01T00:00:00Z", "valid_until": "2020-01-01T00:00:00Z"}),
        ),
        "old",
    )  # fmt: skip
    assert intel_findings(spray) == []

    import_feed(
        stix_bundle(
            ("Later", "[ipv4-addr:value = '172.16.66.1']", {"valid_from": "2021-01-01T00:00:00Z"})
        ),
        "later",
    )
    assert intel_findings(spray) == []

    import_feed(b"172.16.66.1\n", "always")
    assert {finding.explanation["feed"] for finding in intel_findings(spray)} == {"always"}


def test_match_uses_few_queries(django_assert_max_num_queries: Any) -> None:
    source = make_source()
    spray = store(source, sample_events(SPRAY))
    import_feed(b"172.16.66.1\nevil.example\n" + MD5.encode() + b"\n", "cert")
    with django_assert_max_num_queries(3):
        findings = intel_findings(spray)
    assert len(findings) == 11
