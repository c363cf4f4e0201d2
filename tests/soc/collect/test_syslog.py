"""Syslog parsing (RFC 5424, RFC 3164) and TCP framing (RFC 6587), with the RFCs' own examples."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinhso.soc.collect.syslog import (
    MAX_MESSAGE_BYTES,
    PARSE_ERROR_CODES,
    OctetFramer,
    SyslogParseError,
    parse,
)

BOM = "\ufeff".encode()
HANOI = dt.timezone(dt.timedelta(hours=7))
RECEIVED = dt.datetime(2025, 7, 1, 9, 0, tzinfo=HANOI)


def test_rfc5424_example_with_bom_message() -> None:
    raw = (
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        + BOM
        + b"'su root' failed for lonvick on /dev/pts/8"
    )

    message = parse(raw)

    assert message.format == "rfc5424"
    assert (message.facility_name, message.severity_name) == ("auth", "crit")
    assert message.timestamp == dt.datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=dt.UTC)
    assert message.hostname == "mymachine.example.com"
    assert message.app_name == "su"
    assert message.procid == ""
    assert message.msgid == "ID47"
    assert message.structured_data == {}
    assert message.message == "'su root' failed for lonvick on /dev/pts/8"
    assert message.raw == raw


def test_rfc5424_offset_and_microseconds() -> None:
    message = parse(
        b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
        b"%% It's time to make the do-nuts."
    )

    assert message.timestamp is not None
    assert message.timestamp.utcoffset() == dt.timedelta(hours=-7)
    assert message.timestamp.microsecond == 3
    assert (message.facility_name, message.severity_name) == ("local4", "notice")
    assert message.procid == "8710"
    assert message.message == "%% It's time to make the do-nuts."


def test_rfc5424_structured_data_elements() -> None:
    message = parse(
        b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
        b'[examplePriority@32473 class="high" note="a \\"quoted\\" \\] and \\\\"]'
    )

    assert message.structured_data == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
        "examplePriority@32473": {"class": "high", "note": 'a "quoted" ] and \\'},
    }
    assert message.message == ""


def test_rfc3164_example_takes_year_and_zone_of_receipt() -> None:
    message = parse(
        b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        received_at=dt.datetime(2025, 10, 12, 8, 0, tzinfo=HANOI),
    )

    assert message.format == "rfc3164"
    assert message.timestamp == dt.datetime(2025, 10, 11, 22, 14, 15, tzinfo=HANOI)
    assert message.hostname == "mymachine"
    assert message.app_name == "su"
    assert message.message == "'su root' failed for lonvick on /dev/pts/8"


def test_rfc3164_december_message_received_in_january() -> None:
    message = parse(
        b"<13>Dec 31 23:59:58 fw01 kernel[42]: DROP IN=eth0",
        received_at=dt.datetime(2026, 1, 1, 0, 0, 5, tzinfo=HANOI),
    )

    assert message.timestamp is not None
    assert message.timestamp.year == 2025
    assert (message.app_name, message.procid) == ("kernel", "42")
    assert message.message == "DROP IN=eth0"


def test_rfc3164_without_header_keeps_whole_text() -> None:
    message = parse(b"<13>something odd happened", received_at=RECEIVED)

    assert message.timestamp is None
    assert message.message == "something odd happened"
    assert message.notes


def test_invalid_utf8_is_replaced_and_flagged() -> None:
    message = parse(b"<13>Jul  1 08:00:00 host app: ng\xff\xfe\xc6\xb0\xe1\xbb\x9di d\xc3\xb9ng")

    assert message.invalid_utf8
    assert message.message == "ng\ufffd\ufffdười dùng"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"hello world", "priority"),
        (b"<200>1 - - - - - -", "191"),
        (b"<34>1 2003-10-11 host app - - -", "lacks a time"),
        (b"<34>1 11/10/2003T22:14 host app - - -", "RFC 3339"),
        (b"<34>1 2003-10-11T22:14:15 host app - - -", "offset"),
        (b"<34>1 - host app", "incomplete"),
        (b'<34>1 - host app - - [id a="1"', "not closed"),
        (b'<34>1 - host app - - [id a="1]', "closing quote"),
        (b"<34>1 - host app - - [id a=1]", 'name="value"'),
        (b"<34>1 - host app - - x", "STRUCTURED-DATA"),
        (b"<34>" + b"x" * MAX_MESSAGE_BYTES, "exceeds"),
    ],
)
def test_malformed_message_names_its_fault(raw: bytes, reason: str) -> None:
    with pytest.raises(SyslogParseError) as raised:
        parse(raw)

    assert reason in raised.value.reason


def test_framer_mixed_framings_across_reads() -> None:
    first = b"<34>1 - a b - - - one"
    second = b"<34>Jul  1 08:00:00 host app: two"
    stream = str(len(first)).encode() + b" " + first + second + b"\n"
    framer = OctetFramer()

    frames: list[bytes | SyslogParseError] = []
    for index in range(0, len(stream), 7):
        frames.extend(framer.feed(stream[index : index + 7]))

    assert frames == [first, second]
    assert framer.flush() is None


def test_framer_drops_oversized_frame_and_resynchronises() -> None:
    framer = OctetFramer(max_bytes=64)

    frames = list(framer.feed(b"9999 " + b"x" * 100 + b"\n<34>1 - a b - - - next\n"))

    assert isinstance(frames[0], SyslogParseError)
    assert "exceeds" in frames[0].reason
    assert frames[1:] == [b"<34>1 - a b - - - next"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_parse_rejects_garbage_only_with_parse_errors(raw: bytes) -> None:
    try:
        message = parse(raw, received_at=RECEIVED)
    except SyslogParseError as error:
        reason = error.reason
        message = None
    if message is None:
        assert reason
    else:
        assert 0 <= message.severity <= 7
        assert message.raw


header_text = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='[]="\\ '),
    min_size=1,
    max_size=20,
).filter(lambda host: host != "-")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 191), header_text, st.text(max_size=80)),
        min_size=1,
        max_size=8,
    ),
    st.integers(1, 40),
)
def test_octet_counted_stream_round_trips(messages: list[tuple[int, str, str]], chunk: int) -> None:
    encoded = [
        f"<{priority}>1 - {host} app - - - {text}".encode() for priority, host, text in messages
    ]
    stream = b"".join(str(len(frame)).encode() + b" " + frame for frame in encoded)
    framer = OctetFramer()

    frames: list[bytes | SyslogParseError] = []
    for index in range(0, len(stream), chunk):
        frames.extend(framer.feed(stream[index : index + chunk]))

    assert frames == encoded
    parsed = [parse(frame) for frame in frames if isinstance(frame, bytes)]
    assert [(m.facility * 8 + m.severity, m.hostname) for m in parsed] == [
        (priority, host) for priority, host, _text in messages
    ]
    expected = [text.rstrip("\r\n\x00") for _p, _h, text in messages]
    # A byte-order mark at the start of MSG only marks the text as UTF-8 (RFC 5424, 6.4).
    assert [m.message for m in parsed] == [t.removeprefix("\ufeff") for t in expected]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty_message"),
        (b"hello world", "no_priority"),
        (b"<200>1 - - - - - -", "invalid_priority"),
        (b"<34>1 2003-10-11 host app - - -", "invalid_timestamp"),
        (b"<34>1 - host app", "incomplete_header"),
        (b'<34>1 - host app - - [id a="1"', "invalid_structured_data"),
        (b"<34>" + b"x" * MAX_MESSAGE_BYTES, "message_too_long"),
    ],
)
def test_parse_error_has_stable_code(raw: bytes, code: str) -> None:
    with pytest.raises(SyslogParseError) as raised:
        parse(raw)

    assert raised.value.code == code
    assert raised.value.code in PARSE_ERROR_CODES


def test_framer_reports_long_line_once_with_its_size() -> None:
    long_line = b"<14>1 - h app - - - " + b"x" * 180
    stream = long_line + b"\n<34>1 - a b - - - next\n"
    framer = OctetFramer(max_bytes=64)

    frames: list[bytes | SyslogParseError] = []
    for index in range(0, len(stream), 30):
        frames.extend(framer.feed(stream[index : index + 30]))

    errors = [frame for frame in frames if isinstance(frame, SyslogParseError)]
    assert len(errors) == 1
    assert errors[0].code == "line_too_long"
    assert f"line of {len(long_line)} bytes exceeds the limit of 64" in errors[0].reason
    assert errors[0].raw == long_line[:64]
    assert frames[1:] == [b"<34>1 - a b - - - next"]
    assert framer.flush() is None


def test_framer_reports_long_last_line_on_flush() -> None:
    framer = OctetFramer(max_bytes=64)

    frames = list(framer.feed(b"y" * 100)) + list(framer.feed(b"y" * 50))
    last = framer.flush()

    assert frames == []
    assert isinstance(last, SyslogParseError)
    assert "line of 150 bytes" in last.reason


def test_framer_drops_oversized_counted_frame_across_reads() -> None:
    stream = b"9999 " + b"x" * 100 + b"\n<34>1 - a b - - - next\n"
    framer = OctetFramer(max_bytes=64)

    frames: list[bytes | SyslogParseError] = []
    for index in range(0, len(stream), 16):
        frames.extend(framer.feed(stream[index : index + 16]))

    assert len(frames) == 2
    assert isinstance(frames[0], SyslogParseError)
    assert frames[0].code == "frame_too_long"
    assert "9999 bytes" in frames[0].reason
    assert frames[1] == b"<34>1 - a b - - - next"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=8), st.integers(1, 90))
def test_framer_long_lines_independent_of_reads(lengths: list[int], chunk: int) -> None:
    lines = [b"<14>1 - h a - - - " + b"m" * length for length in lengths]
    stream = b"".join(line + b"\n" for line in lines)
    framer = OctetFramer(max_bytes=64)

    frames: list[bytes | SyslogParseError] = []
    for index in range(0, len(stream), chunk):
        frames.extend(framer.feed(stream[index : index + chunk]))

    assert len(frames) == len(lines)
    assert framer.flush() is None
    for line, frame in zip(lines, frames, strict=True):
        if len(line) <= 64:
            assert frame == line
        else:
            assert isinstance(frame, SyslogParseError)
            assert f"line of {len(line)} bytes" in frame.reason
