"""Values an event carries, found by field name for the intelligence lookup."""

from __future__ import annotations

from tinhso.soc.intel.observables import event_observables, parent_domains

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def found(fields: dict, source_ip: str = "") -> set[tuple[str, str, str]]:
    return {(o.kind, o.value, o.field) for o in event_observables(fields, source_ip)}


def test_syslog_and_json_address_keys() -> None:
    fields = {"src": "198.51.100.7", "dst": "2001:db8::1", "destination.ip": "::ffff:203.0.113.1",
              "message": "from 192.0.2.99"}  # fmt: skip
    assert found(fields) == {
        ("ipv4", "198.51.100.7", "src"),
        ("ipv6", "2001:db8::1", "dst"),
        ("ipv4", "203.0.113.1", "destination.ip"),
    }


def test_url_gives_url_and_host() -> None:
    assert found({"url": "http://Evil.Example/a"}) == {
        ("url", "http://evil.example/a", "url"),
        ("domain", "evil.example", "url"),
    }


def test_sysmon_hashes_without_imphash() -> None:
    fields = {"Hashes": f"MD5={MD5.upper()},SHA256={SHA256},IMPHASH={'a' * 32}"}
    assert found(fields) == {("md5", MD5, "Hashes"), ("sha256", SHA256, "Hashes")}


def test_dns_query_and_results() -> None:
    fields = {
        "QueryName": "cdn.evil.example",
        "QueryResults": "type:  5 x.example;::ffff:192.0.2.1;",
    }
    assert found(fields) == {
        ("domain", "cdn.evil.example", "QueryName"),
        ("ipv4", "192.0.2.1", "QueryResults"),
    }


def test_ecs_hash_suffix_and_source_column() -> None:
    assert found({"file.hash.sha256": SHA256}, source_ip="198.51.100.7") == {
        ("sha256", SHA256, "file.hash.sha256"),
        ("ipv4", "198.51.100.7", "source_ip"),
    }


def test_command_line_not_read() -> None:
    assert found({"CommandLine": "curl http://evil.example/198.51.100.7"}) == set()


def test_parent_domains() -> None:
    assert parent_domains("a.b.evil.example") == [
        "a.b.evil.example",
        "b.evil.example",
        "evil.example",
    ]
    assert parent_domains("evil.example") == ["evil.example"]
