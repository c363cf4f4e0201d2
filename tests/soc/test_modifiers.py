"""Sigma value modifiers and wildcards, one small rule per case."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.soc.support import match_one, matched_indexes, rule_text
from tinhso.soc.engine import Event, RuleSet, match_events, parse_rules

CMD = r"C:\Windows\System32\cmd.exe"


@pytest.mark.parametrize(
    ("item", "event", "expected"),
    [
        # Plain equality is case-insensitive and whole-value.
        ({"Image": CMD}, {"Image": CMD.upper()}, True),
        ({"Image": CMD}, {"Image": CMD + "x"}, False),
        # Numbers in rules compare with their decimal text.
        ({"EventID": 4688}, {"EventID": 4688}, True),
        ({"EventID": [1, 4688]}, {"EventID": 5}, False),
        # contains, startswith, endswith
        ({"CommandLine|contains": "-enc "}, {"CommandLine": "powershell -ENC abc"}, True),
        ({"CommandLine|contains": "-enc "}, {"CommandLine": "powershell -e abc"}, False),
        ({"Image|startswith": "C:\\Windows\\"}, {"Image": CMD}, True),
        ({"Image|startswith": "C:\\Windows\\"}, {"Image": "D:\\Windows\\cmd.exe"}, False),
        ({"Image|endswith": "\\cmd.exe"}, {"Image": CMD}, True),
        ({"Image|endswith": "\\cmd.exe"}, {"Image": CMD + ".bak"}, False),
        # all: every value of the list must match
        ({"CommandLine|contains|all": ["net", "user"]}, {"CommandLine": "net user x"}, True),
        ({"CommandLine|contains|all": ["net", "user"]}, {"CommandLine": "net group x"}, False),
        # Wildcards and their escapes
        ({"Image": "*\\cmd.exe"}, {"Image": CMD}, True),
        ({"Image": "C:\\Windows*cmd.exe"}, {"Image": CMD}, True),
        # A backslash before '*' escapes it, so this is a literal star.
        ({"Image": "C:\\Windows\\*\\cmd.exe"}, {"Image": CMD}, False),
        ({"Image": "C:\\Windows\\*\\cmd.exe"}, {"Image": "C:\\Windows*\\cmd.exe"}, True),
        ({"Image": "c?d.exe"}, {"Image": "cmd.exe"}, True),
        ({"Image": "c?d.exe"}, {"Image": "cmmd.exe"}, False),
        ({"Name": "a\\*b"}, {"Name": "a*b"}, True),
        ({"Name": "a\\*b"}, {"Name": "axxb"}, False),
        ({"Name": "a\\?b"}, {"Name": "axb"}, False),
        ({"Name": "a\\\\*"}, {"Name": "a\\anything"}, True),
        # cased: case-sensitive matching
        ({"Name|cased": "Abc"}, {"Name": "Abc"}, True),
        ({"Name|cased": "Abc"}, {"Name": "abc"}, False),
        # re with its flags; re is case-sensitive without i
        ({"CommandLine|re": r"-[Ee]nc\s"}, {"CommandLine": "ps -enc x"}, True),
        ({"CommandLine|re": "ENC"}, {"CommandLine": "ps -enc x"}, False),
        ({"CommandLine|re|i": "ENC"}, {"CommandLine": "ps -enc x"}, True),
        ({"CommandLine|re": "^b"}, {"CommandLine": "a\nb"}, False),
        ({"CommandLine|re|m": "^b"}, {"CommandLine": "a\nb"}, True),
        ({"CommandLine|re": "a.b"}, {"CommandLine": "a\nb"}, False),
        ({"CommandLine|re|s": "a.b"}, {"CommandLine": "a\nb"}, True),
        # "(?:.*L){1,}" is compiled as the equivalent "(?:.*L)" instead of being rejected.
        ({"CommandLine|re": "-f(?:.*\\)){1,}$"}, {"CommandLine": "x -f a) b)"}, True),
        ({"CommandLine|re": "-f(?:.*\\)){1,}$"}, {"CommandLine": "x -f a) b"}, False),
        # base64 and base64offset
        (
            {"CommandLine|base64": "whoami"},
            {"CommandLine": base64.b64encode(b"whoami").decode()},
            True,
        ),
        ({"CommandLine|base64": "whoami"}, {"CommandLine": "whoami"}, False),
        (
            {"CommandLine|base64offset|contains": "http://"},
            {"CommandLine": "x " + base64.b64encode(b"ab http://evil").decode()},
            True,
        ),
        (
            {"CommandLine|base64offset|contains": "http://"},
            {"CommandLine": base64.b64encode(b"a http://evil").decode()},
            True,
        ),
        (
            {"CommandLine|base64offset|contains": "http://"},
            {"CommandLine": base64.b64encode(b"https://evil").decode()},
            False,
        ),
        # utf16 encodings are only meaningful under base64
        (
            {"CommandLine|wide|base64offset|contains": "ping"},
            {"CommandLine": "-e " + base64.b64encode("x ping".encode("utf-16-le")).decode()},
            True,
        ),
        (
            {"CommandLine|utf16le|base64": "ab"},
            {"CommandLine": base64.b64encode("ab".encode("utf-16-le")).decode()},
            True,
        ),
        (
            {"CommandLine|utf16be|base64": "ab"},
            {"CommandLine": base64.b64encode("ab".encode("utf-16-be")).decode()},
            True,
        ),
        (
            {"CommandLine|utf16|base64": "ab"},
            {"CommandLine": base64.b64encode(b"\xff\xfe" + "ab".encode("utf-16-le")).decode()},
            True,
        ),
        # windash: '-' or '/' at the start of a flag, and the Unicode dashes
        ({"CommandLine|windash|contains": " -s "}, {"CommandLine": "x /s y"}, True),
        ({"CommandLine|windash|contains": " -s "}, {"CommandLine": "x \u2013s y"}, True),
        ({"CommandLine|windash|contains": " -s "}, {"CommandLine": "x \u2014s y"}, True),
        ({"CommandLine|windash|contains": " -s "}, {"CommandLine": "x +s y"}, False),
        # cidr
        ({"DestinationIp|cidr": "10.0.0.0/8"}, {"DestinationIp": "10.20.30.40"}, True),
        ({"DestinationIp|cidr": "10.0.0.0/8"}, {"DestinationIp": "11.0.0.1"}, False),
        ({"DestinationIp|cidr": "fe80::/10"}, {"DestinationIp": "fe80::1"}, True),
        ({"DestinationIp|cidr": "10.0.0.0/8"}, {"DestinationIp": "not an address"}, False),
        # exists
        ({"Hashes|exists": True}, {"Hashes": ""}, True),
        ({"Hashes|exists": True}, {"Image": CMD}, False),
        ({"Hashes|exists": False}, {"Image": CMD}, True),
        # lt, lte, gt, gte
        ({"Count|lt": 5}, {"Count": "4"}, True),
        ({"Count|lt": 5}, {"Count": "5"}, False),
        ({"Count|lte": 5}, {"Count": 5}, True),
        ({"Count|gt": 5}, {"Count": "5"}, False),
        ({"Count|gte": 5}, {"Count": "5.0"}, True),
        ({"Count|gt": 5}, {"Count": "many"}, False),
        # fieldref, alone and with contains/startswith/endswith
        (
            {"TargetUserName|fieldref": "SubjectUserName"},
            {"TargetUserName": "Bob", "SubjectUserName": "bob"},
            True,
        ),
        (
            {"TargetUserName|fieldref": "SubjectUserName"},
            {"TargetUserName": "Bob", "SubjectUserName": "Eve"},
            False,
        ),
        ({"TargetUserName|fieldref": "SubjectUserName"}, {"TargetUserName": "Bob"}, False),
        (
            {"CommandLine|fieldref|contains": "User"},
            {"CommandLine": "run as bob now", "User": "bob"},
            True,
        ),
        (
            {"CommandLine|fieldref|startswith": "User"},
            {"CommandLine": "run as bob", "User": "bob"},
            False,
        ),
        (
            {"CommandLine|fieldref|endswith": "User"},
            {"CommandLine": "run as bob", "User": "bob"},
            True,
        ),
        # neq: the field has a value and it differs from every listed value
        ({"User|neq": "bob"}, {"User": "alice"}, True),
        ({"User|neq": "bob"}, {"User": "BOB"}, False),
        ({"User|neq": ["bob", "eve"]}, {"User": "eve"}, False),
        ({"User|neq": ["bob", "eve"]}, {"User": "carol"}, True),
        ({"User|neq": "bob"}, {"Image": CMD}, False),
        ({"User|neq": ""}, {"User": ""}, False),
        ({"User|neq": ""}, {"User": "bob"}, True),
        ({"User|neq": None}, {"User": ""}, False),
        ({"User|neq": None}, {"User": "bob"}, True),
        ({"CommandLine|contains|neq": "-enc"}, {"CommandLine": "ps -ENC x"}, False),
        ({"CommandLine|contains|neq": "-enc"}, {"CommandLine": "ps -c x"}, True),
        ({"Count|gt|neq": 5}, {"Count": "6"}, False),
        ({"Count|gt|neq": 5}, {"Count": "5"}, True),
        # minute, hour, day, week, month, year of a timestamp, in the value's own zone
        ({"TimeCreated|minute": 43}, {"TimeCreated": "2025-10-24T23:43:34.1364217Z"}, True),
        ({"TimeCreated|hour": 23}, {"TimeCreated": "2025-10-24T23:43:34.1364217Z"}, True),
        ({"TimeCreated|hour": [1, 2]}, {"TimeCreated": "2025-10-24T23:43:34Z"}, False),
        ({"UtcTime|hour": 23}, {"UtcTime": "2025-10-24 23:43:34.134"}, True),
        ({"UtcTime|hour": 23}, {"UtcTime": "2025-10-25T06:43:34+07:00"}, False),
        ({"UtcTime|day": 24}, {"UtcTime": "2025-10-24 23:43:34.134"}, True),
        ({"UtcTime|week": 43}, {"UtcTime": "2025-10-24 23:43:34.134"}, True),
        ({"UtcTime|week": 44}, {"UtcTime": "2025-10-24 23:43:34.134"}, False),
        ({"UtcTime|month": 10}, {"UtcTime": "2025-10-24 23:43:34.134"}, True),
        ({"UtcTime|year": 2025}, {"UtcTime": "2025-10-24 23:43:34.134"}, True),
        ({"UtcTime|year": 2025}, {"UtcTime": "not a time"}, False),
        ({"UtcTime|year|neq": 2025}, {"UtcTime": "2024-10-24 23:43:34"}, True),
        # windash alone, and chained with contains and all in either order
        ({"CommandLine|windash": "-s"}, {"CommandLine": "/s"}, True),
        ({"CommandLine|windash": "-s"}, {"CommandLine": "\u2015s"}, True),
        ({"CommandLine|windash": "-s"}, {"CommandLine": "x -s"}, False),
        # A dash inside a word is no flag, so it is left as it is.
        ({"CommandLine|windash": "a-b"}, {"CommandLine": "a/b"}, False),
        (
            {"CommandLine|contains|all|windash": [" -a ", " -b "]},
            {"CommandLine": "x /b y /a z"},
            True,
        ),
        (
            {"CommandLine|windash|contains|all": [" -a ", " -b "]},
            {"CommandLine": "x /b y \u2013a z"},
            True,
        ),
        (
            {"CommandLine|contains|all|windash": [" -a ", " -b "]},
            {"CommandLine": "x /a z"},
            False,
        ),
        # cased with the string modifiers
        ({"Name|cased|contains": "Abc"}, {"Name": "xAbcx"}, True),
        ({"Name|cased|contains": "Abc"}, {"Name": "xabcx"}, False),
        ({"Name|startswith|cased": "Ab"}, {"Name": "Abc"}, True),
        ({"Name|startswith|cased": "Ab"}, {"Name": "abc"}, False),
        ({"Name|endswith|cased": "bC"}, {"Name": "abC"}, True),
        ({"Name|endswith|cased": "bC"}, {"Name": "abc"}, False),
        # re flags by their long names, and re with all
        ({"CommandLine|re|ignorecase": "ENC"}, {"CommandLine": "ps -enc x"}, True),
        ({"CommandLine|re|multiline": "^b"}, {"CommandLine": "a\nb"}, True),
        ({"CommandLine|re|dotall": "a.b"}, {"CommandLine": "a\nb"}, True),
        ({"CommandLine|re|all": ["^ps", "x$"]}, {"CommandLine": "ps -enc x"}, True),
        ({"CommandLine|re|all": ["^ps", "y$"]}, {"CommandLine": "ps -enc x"}, False),
        # base64 with contains, and wide with base64
        (
            {"CommandLine|base64|contains": "whoami"},
            {"CommandLine": "-e " + base64.b64encode(b"whoami").decode() + " x"},
            True,
        ),
        (
            {"CommandLine|wide|base64": "ping"},
            {"CommandLine": base64.b64encode("ping".encode("utf-16-le")).decode()},
            True,
        ),
        (
            {"CommandLine|wide|base64": "ping"},
            {"CommandLine": base64.b64encode(b"ping").decode()},
            False,
        ),
        (
            {"CommandLine|utf16le|base64offset|contains": "ping"},
            {"CommandLine": base64.b64encode("xy ping".encode("utf-16-le")).decode()},
            True,
        ),
        (
            {"CommandLine|utf16be|base64offset|contains": "ping"},
            {"CommandLine": base64.b64encode("z ping".encode("utf-16-be")).decode()},
            True,
        ),
        (
            {"CommandLine|utf16|base64offset|contains": "ping"},
            {"CommandLine": base64.b64encode(b"\xff\xfe" + "ping".encode("utf-16-le")).decode()},
            True,
        ),
        # cidr: lists, IPv6 and mixed address families
        ({"Ip|cidr": ["10.0.0.0/8", "192.168.0.0/16"]}, {"Ip": "192.168.4.2"}, True),
        ({"Ip|cidr": ["10.0.0.0/8", "192.168.0.0/16"]}, {"Ip": "172.16.0.1"}, False),
        ({"Ip|cidr": "2001:db8::/32"}, {"Ip": "2001:db8:1::5"}, True),
        ({"Ip|cidr": "2001:db8::/32"}, {"Ip": "2001:db9::5"}, False),
        ({"Ip|cidr": "fe80::/10"}, {"Ip": "10.0.0.1"}, False),
        # An IPv4-mapped IPv6 address, as Windows logs dual-stack peers, is its IPv4 address.
        ({"Ip|cidr": "10.0.0.0/8"}, {"Ip": "::ffff:10.0.0.1"}, True),
        ({"Ip|cidr": "10.0.0.0/8"}, {"Ip": "::ffff:11.0.0.1"}, False),
        # exists false on a present field
        ({"Hashes|exists": False}, {"Hashes": "SHA1=00"}, False),
        # all over wildcards: each value must match somewhere
        ({"CommandLine|all": ["*net*", "*user*"]}, {"CommandLine": "net user x"}, True),
        ({"CommandLine|all": ["*net*", "*user*"]}, {"CommandLine": "net x"}, False),
        # null: the field is missing or empty
        ({"ParentImage": None}, {"Image": CMD}, True),
        ({"ParentImage": None}, {"ParentImage": ""}, True),
        ({"ParentImage": None}, {"ParentImage": CMD}, False),
        # An empty string matches an empty value, never a missing field.
        ({"ParentImage": ""}, {"ParentImage": ""}, True),
        ({"ParentImage": ""}, {"Image": CMD}, False),
    ],
)
def test_modifier(item: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    detection = {"selection": item, "condition": "selection"}
    assert match_one(detection, event) is expected


@pytest.mark.parametrize(
    ("placeholders", "event", "expected"),
    [
        ({"Admins": ["alice", "bob*"]}, {"User": "bobby"}, True),
        ({"Admins": ["alice", "bob*"]}, {"User": "eve"}, False),
    ],
)
def test_expand_placeholder(
    placeholders: dict[str, list[str]], event: dict[str, Any], expected: bool
) -> None:
    text = rule_text({"selection": {"User|expand": "%Admins%"}, "condition": "selection"})
    ruleset = RuleSet.from_rules(parse_rules(text), placeholders)
    assert ruleset.rejected == []
    hits = match_events(ruleset, [Event(event, event)])
    assert bool(hits) is expected


@pytest.mark.parametrize(
    ("placeholders", "event", "expected"),
    [
        ({"dirs": ["C:\\Temp", "C:\\Users\\Public"]}, {"Image": "C:\\Users\\Public\\x.exe"}, True),
        ({"dirs": ["C:\\Temp", "C:\\Users\\Public"]}, {"Image": "C:\\Windows\\x.exe"}, False),
    ],
)
def test_expand_with_startswith(
    placeholders: dict[str, list[str]], event: dict[str, Any], expected: bool
) -> None:
    text = rule_text(
        {"selection": {"Image|expand|startswith": "%dirs%\\"}, "condition": "selection"}
    )
    ruleset = RuleSet.from_rules(parse_rules(text), placeholders)
    assert ruleset.rejected == []
    hits = match_events(ruleset, [Event(event, event)])
    assert bool(hits) is expected


@pytest.mark.parametrize(
    ("item", "event"),
    [
        # A keyword matches anywhere in any field.
        (["mimikatz"], {"CommandLine": "C:\\tools\\Mimikatz.exe privilege::debug"}),
        (["sekurlsa::*"], {"Payload": "sekurlsa::logonpasswords"}),
        ("privilege::debug", {"Other": "x privilege::debug y"}),
        # A keyword ending in a lone backslash keeps it as a literal character.
        (["\\Temp\\"], {"Path": "C:\\Users\\x\\Temp\\a.exe"}),
    ],
)
def test_keyword_matches_any_field(item: Any, event: dict[str, Any]) -> None:
    assert match_one({"keywords": item, "condition": "keywords"}, event)


def test_keyword_needs_its_text() -> None:
    assert not match_one({"keywords": ["mimikatz"], "condition": "keywords"}, {"Image": CMD})


def test_keyword_list_with_all() -> None:
    detection = {"keywords": {"|all": ["net", "localgroup"]}, "condition": "keywords"}
    assert match_one(detection, {"CommandLine": "net localgroup administrators"})
    assert not match_one(detection, {"CommandLine": "net user"})


# Values chosen so that a pattern occurs at the start, the end, the middle or across the
# boundary of neighbouring values once the distinct values are searched as one string.
COLUMN_VALUES = ["abc", "xabc", "abcx", "", "ab", "cab"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"F|startswith": "abc"}, [0, 2]),
        ({"F|endswith": "abc"}, [0, 1]),
        ({"F|contains": "abc"}, [0, 1, 2]),
        ({"F|contains": "bca"}, []),
        ({"F|contains": "bcx"}, [2]),
        ({"F|endswith": "bc"}, [0, 1]),
        ({"F|startswith": ["ab", "ca"]}, [0, 2, 4, 5]),
        ({"F|contains|all": ["x", "c"]}, [1, 2]),
        ({"F": ""}, [3]),
        ({"F|contains": ""}, [0, 1, 2, 3, 4, 5]),
        ({"F": None}, [3, 6]),
    ],
)
def test_column_search(item: dict[str, Any], expected: list[int]) -> None:
    events: list[dict[str, Any]] = [{"F": value} for value in COLUMN_VALUES] + [{"G": "abc"}]
    detection = {"selection": item, "condition": "selection"}
    assert matched_indexes(detection, events) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"F|startswith": "bc"}, [2]),
        ({"F|endswith": "a"}, []),
        ({"F|contains": "a\x00b"}, [0]),
    ],
)
def test_column_search_with_nul_in_value(item: dict[str, Any], expected: list[int]) -> None:
    events = [{"F": "a\x00bc"}, {"F": "x"}, {"F": "bc"}]
    # "a\x00bc" ends with neither "a" nor starts with "bc": a NUL inside a value is no boundary.
    detection = {"selection": item, "condition": "selection"}
    assert matched_indexes(detection, events) == expected
