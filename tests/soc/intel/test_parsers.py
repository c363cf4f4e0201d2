"""The list, CSV and STIX 2.1 parsers on good and bad input, and fuzzed with hypothesis."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinhso.soc.intel import lists, stix
from tinhso.soc.intel.indicators import IndicatorError, IntelFormatError, classify
from tinhso.soc.intel.stix import StixPatternError, parse_pattern

SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("198.51.100.7", "ipv4", "198.51.100.7"),
        ("2001:DB8::0:1", "ipv6", "2001:db8::1"),
        ("::ffff:198.51.100.7", "ipv4", "198.51.100.7"),
        ("Evil.Example.", "domain", "evil.example"),
        ("evil[.]example", "domain", "evil.example"),
        ("bücher.example", "domain", "xn--bcher-kva.example"),
        ("hxxp://Evil.Example/a?b=1", "url", "http://evil.example/a?b=1"),
        (MD5.upper(), "md5", MD5),
        (SHA1, "sha1", SHA1),
        (SHA256, "sha256", SHA256),
    ],
)
def test_classify_kinds(raw: str, kind: str, value: str) -> None:
    assert classify(raw) == (kind, value)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not a value",
        "10.0.0.0/8",
        "abcdef0123",
        "1.2.3.999",
        "http://",
        "-bad-.example",
        "x" * 600,
    ],
)
def test_classify_rejects(raw: str) -> None:
    with pytest.raises(IndicatorError):
        classify(raw)


# --- plain lists and CSV ---------------------------------------------------------------------


def test_list_reads_values_and_reports_bad_lines() -> None:
    text = "\n".join(
        [
            "# feed of the provincial CERT",
            "198.51.100.7   # C2 server",
            "",
            "evil.example",
            "this is nothing",
            MD5,
            "198.51.100.7",
            "10.0.0.0/8",
        ]
    )
    feed = lists.parse_list(text)

    assert [(i.kind, i.value, i.position) for i in feed.indicators] == [
        ("ipv4", "198.51.100.7", "line 2"),
        ("domain", "evil.example", "line 4"),
        ("md5", MD5, "line 6"),
    ]
    assert feed.indicators[0].description == "C2 server"
    problems = {problem.position: problem for problem in feed.problems}
    assert set(problems) == {"line 5", "line 7", "line 8"}
    assert problems["line 5"].code == "invalid_value"
    assert "not an IP address, domain name, URL" in problems["line 5"].message
    assert problems["line 7"].code == "duplicate"
    assert "CIDR" in problems["line 8"].message
    assert feed.entries == 6


def test_list_keeps_url_fragment() -> None:
    feed = lists.parse_list("http://evil.example/app#/login # phishing page\n#only a comment\n")

    assert [(i.kind, i.value, i.description) for i in feed.indicators] == [
        ("url", "http://evil.example/app", "phishing page")
    ]


def test_csv_with_type_column() -> None:
    text = (
        "type,value,description,severity,valid_until\n"
        "ip-dst,198.51.100.7,C2,critical,2030-01-01T00:00:00Z\n"
        "domain,evil.example,,,\n"
        "sha256,not-a-hash,,,\n"
        "md5,198.51.100.8,,,\n"
        "ipv4,198.51.100.9,,urgent,\n"
        "url,http://evil.example/x,,,yesterday\n"
        ",,,,\n"
    )
    feed = lists.parse_csv(text)

    assert [(i.kind, i.value) for i in feed.indicators] == [
        ("ipv4", "198.51.100.7"),
        ("domain", "evil.example"),
    ]
    assert feed.indicators[0].severity == "critical"
    assert feed.indicators[0].valid_until == datetime(2030, 1, 1, tzinfo=UTC)
    assert [problem.position for problem in feed.problems] == ["row 4", "row 5", "row 6", "row 7"]
    assert "severity 'urgent'" in feed.problems[2].message
    assert "ISO 8601" in feed.problems[3].message


def test_csv_without_value_column_is_format_error() -> None:
    with pytest.raises(IntelFormatError, match="no value column"):
        lists.parse_csv("kind,comment\nip,x\n")


def test_decode_rejects_binary_and_latin1() -> None:
    with pytest.raises(IntelFormatError, match="binary"):
        lists.decode(b"\x00\x01\x02")
    with pytest.raises(IntelFormatError, match="UTF-8"):
        lists.decode(b"caf\xe9.example")
    assert lists.decode("\ufeff1.2.3.4\n".encode()) == "1.2.3.4\n"
    assert lists.decode("evil.example\n".encode("utf-16")) == "evil.example\n"


# --- STIX patterns and bundles ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ipv4-addr:value = '198.51.100.7']", [("ipv4", "198.51.100.7")]),
        ("[ipv4-addr:value = '198.51.100.7/32']", [("ipv4", "198.51.100.7")]),
        ("[domain-name:value = 'Evil.Example']", [("domain", "evil.example")]),
        (f"[file:hashes.'SHA-256' = '{SHA256}']", [("sha256", SHA256)]),
        (f"[file:hashes.MD5 = '{MD5}']", [("md5", MD5)]),
        ("[url:value = 'http://evil.example/p']", [("url", "http://evil.example/p")]),
        (
            f"[ipv4-addr:value = '198.51.100.7' OR file:hashes.'SHA-1' = '{SHA1}']",
            [("ipv4", "198.51.100.7"), ("sha1", SHA1)],
        ),
        (
            "[domain-name:value = 'a.example'] OR ([ipv6-addr:value = '2001:db8::1'])",
            [("domain", "a.example"), ("ipv6", "2001:db8::1")],
        ),
        (
            "[ipv4-addr:value IN ('198.51.100.1', '198.51.100.2')]",
            [("ipv4", "198.51.100.1"), ("ipv4", "198.51.100.2")],
        ),
        ("[network-traffic:dst_ref.value = '203.0.113.5']", [("ipv4", "203.0.113.5")]),
        ("[url:value = 'http://evil.example/it\\'s']", [("url", "http://evil.example/it's")]),
    ],
)
def test_pattern_supported_forms(pattern: str, expected: list[tuple[str, str]]) -> None:
    assert parse_pattern(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'a.example']", "AND"),
        ("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']", "AND"),
        ("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", "WITHIN"),
        ("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']", "FOLLOWEDBY"),
        ("[domain-name:value MATCHES '^evil']", "MATCHES"),
        ("[ipv4-addr:value != '1.2.3.4']", "'!='"),
        ("[email-addr:value = 'a@b.example']", "email-addr:value"),
        ("[file:hashes.'SHA-512' = 'ab']", "SHA-512"),
        ("[ipv4-addr:value = '10.0.0.0/8']", "CIDR"),
        ("[ipv4-addr:value = 'evil.example']", "not ipv4"),
        ("[ipv4-addr:value = '1.2.3.4'", "ends early"),
        ("", "empty"),
        ("ipv4-addr:value = '1.2.3.4'", "expected '['"),
        ("[ipv4-addr:value = '1.2.3.4'] §", "unexpected text"),
    ],
)
def test_pattern_unsupported_forms(pattern: str, reason: str) -> None:
    with pytest.raises(StixPatternError, match=re.escape(reason)):
        parse_pattern(pattern)


def bundle(*objects: object) -> str:
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": list(objects)})


def indicator(number: int, pattern: str, **properties: object) -> dict:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{number:012d}",
        "pattern_type": "stix",
        "pattern": pattern,
        "valid_from": "2026-01-01T00:00:00Z",
        **properties,
    }


def test_bundle_imports_good_and_reports_bad_indicators() -> None:
    text = bundle(
        indicator(
            1,
            "[ipv4-addr:value = '198.51.100.7']",
            name="C2",
            description="Máy chủ điều khiển",
            labels=["malicious-activity"],
            kill_chain_phases=[
                {"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}
            ],
            external_references=[{"source_name": "mitre-attack", "external_id": "T1071"}],
            valid_until="2027-01-01T00:00:00.000Z",
            x_severity="critical",
        ),
        indicator(2, "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']"),
        indicator(3, "alert tcp any any", pattern_type="snort"),
        indicator(4, "[domain-name:value = 'b.example']", valid_until="2025-01-01T00:00:00Z"),
        {"type": "identity", "id": "identity--1", "name": "CERT"},
        {"type": "domain-name", "id": "domain-name--1", "value": "observed.example"},
        {"type": "file", "id": "file--1", "hashes": {"SHA-256": SHA256, "SSDEEP": "3:a:b"}},
        "not an object",
    )
    feed, ignored = stix.parse_bundle(text)

    values = {(i.kind, i.value): i for i in feed.indicators}
    assert set(values) == {
        ("ipv4", "198.51.100.7"),
        ("domain", "observed.example"),
        ("sha256", SHA256),
    }
    first = values[("ipv4", "198.51.100.7")]
    assert first.stix_id == "indicator--00000000-0000-4000-8000-000000000001"
    assert first.description == "C2: Máy chủ điều khiển"
    assert first.severity == "critical"
    assert first.tags == ["malicious-activity", "attack.command-and-control", "attack.t1071"]
    assert first.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert first.valid_until == datetime(2027, 1, 1, tzinfo=UTC)
    problems = {problem.position: problem for problem in feed.problems}
    assert problems["indicator--00000000-0000-4000-8000-000000000002"].code == "unsupported_pattern"
    assert "AND" in problems["indicator--00000000-0000-4000-8000-000000000002"].message
    assert "snort" in problems["indicator--00000000-0000-4000-8000-000000000003"].message
    assert (
        "before valid_from" in problems["indicator--00000000-0000-4000-8000-000000000004"].message
    )
    assert problems["object 8"].code == "invalid_object"
    assert ignored == {"identity": 1}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a STIX 2.1 bundle"),
        ('{"type": "bundle", "objects": {}}', "not a list"),
        ("[" * 100000, "not valid JSON"),
    ],
)
def test_bundle_format_errors(text: str, reason: str) -> None:
    with pytest.raises(IntelFormatError, match=reason):
        stix.parse_bundle(text)


# --- fuzzing ---------------------------------------------------------------------------------

PATTERN_PIECES = st.sampled_from(
    [
        "[",
        "]",
        "(",
        ")",
        "OR",
        "AND",
        "IN",
        "=",
        "!=",
        ",",
        "'",
        "'1.2.3.4'",
        "'evil.example'",
        "ipv4-addr:value",
        "domain-name:value",
        "file:hashes.'SHA-256'",
        "file:hashes.MD5",
        "WITHIN",
        "5",
        "SECONDS",
        "\\",
        " ",
    ]  # fmt: skip
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERN_PIECES, max_size=20).map(" ".join) | st.text(max_size=80))
def test_pattern_fuzz_raises_only_pattern_error(pattern: str) -> None:
    with contextlib.suppress(StixPatternError):
        parse_pattern(pattern)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
STIX_OBJECTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["indicator", "file", "ipv4-addr", "domain-name", "url", "x-other"])},
    optional={
        "id": st.text(max_size=30) | st.integers(),
        "pattern": st.lists(PATTERN_PIECES, max_size=12).map(" ".join) | JSON_VALUES,
        "pattern_type": st.sampled_from(["stix", "snort"]) | JSON_VALUES,
        "valid_from": st.sampled_from(["2026-01-01T00:00:00Z", "soon", ""]) | JSON_VALUES,
        "valid_until": st.sampled_from(["2027-01-01T00:00:00Z", "2020-01-01"]) | JSON_VALUES,
        "value": st.sampled_from(["1.2.3.4", "evil.example", "::1"]) | JSON_VALUES,
        "hashes": st.dictionaries(
            st.sampled_from(["MD5", "SHA-256", "x"]), JSON_VALUES | st.just(MD5)
        ),
        "labels": JSON_VALUES,
        "kill_chain_phases": JSON_VALUES,
        "external_references": JSON_VALUES,
        "x_severity": JSON_VALUES,
        "name": JSON_VALUES,
        "revoked": JSON_VALUES,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STIX_OBJECTS | JSON_VALUES, max_size=6))
def test_bundle_fuzz_raises_only_format_error(objects: list) -> None:
    with contextlib.suppress(IntelFormatError):
        stix.parse_bundle(json.dumps({"type": "bundle", "objects": objects}))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_file_fuzz_raises_only_format_error(data: bytes) -> None:
    for parse in (stix.parse_bundle, lists.parse_list, lists.parse_csv):
        with contextlib.suppress(IntelFormatError):
            parse(lists.decode(data))
