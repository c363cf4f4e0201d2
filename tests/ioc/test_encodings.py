"""Legacy Vietnamese encodings: TCVN3, VNI Windows and Windows-1258."""

from __future__ import annotations

import unicodedata

import pytest

from tests.legacy_text import to_cp1258
from tinhso.ioc.encodings import (
    UndecodableTextError,
    decode,
    decode_tcvn3,
    decode_vni,
    is_vietnamese_syllable,
)

SAMPLE = "Tỉnh Vĩnh Phúc, huyện Tam Dương: chỉ tiêu thu ngân sách đạt 105,8%"

# The same sentence as the legacy fonts store it, written out byte by byte.
SAMPLE_TCVN3 = b"T\xd8nh V\xdcnh Ph\xf3c, huy\xd6n Tam D\xad\xacng: ch\xd8 ti\xaau thu ng\xa9n s\xb8ch \xae\xb9t 105,8%"
SAMPLE_VNI = "Tænh Vónh Phuùc, huyeän Tam Döông: chæ tieâu thu ngaân saùch ñaït 105,8%".encode(
    "cp1252"
)


def test_tcvn3_table() -> None:
    assert decode_tcvn3(SAMPLE_TCVN3) == SAMPLE


def test_vni_table() -> None:
    assert decode_vni(SAMPLE_VNI) == SAMPLE


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (SAMPLE_TCVN3, "tcvn3"),
        (SAMPLE_VNI, "vni"),
        (to_cp1258(SAMPLE), "windows-1258"),
        (b"GRDP 2016", "ascii"),
    ],
)
def test_detect_and_convert_to_nfc(data: bytes, encoding: str) -> None:
    decoded = decode(data)
    assert decoded.encoding == encoding
    assert decoded.text == (SAMPLE if encoding != "ascii" else "GRDP 2016")
    assert unicodedata.is_normalized("NFC", decoded.text)


def test_utf8_in_nfd_is_normalised() -> None:
    assert decode(unicodedata.normalize("NFD", SAMPLE).encode()).text == SAMPLE


def test_undecodable_bytes_are_reported() -> None:
    with pytest.raises(UndecodableTextError, match="fits no Vietnamese legacy encoding"):
        decode(bytes(range(0x80, 0x100)) * 3)


@pytest.mark.parametrize(
    ("word", "valid"),
    [
        ("nghiêng", True),
        ("Phúc", True),
        ("khuya", True),
        ("Phuực", False),
        ("Vúnhx", False),
        ("tỉnhs", False),
        ("ạá", False),
    ],
)
def test_syllables(word: str, valid: bool) -> None:
    assert is_vietnamese_syllable(word) is valid


def test_syllable_rules_settle_a_one_byte_name() -> None:
    # 0xEC reads "Bỡnh" in TCVN3, which no Vietnamese syllable spells, and "Bình" in VNI.
    decoded = decode(b"B\xecnh Dinh")
    assert decoded.encoding == "vni"
    assert decoded.text == "Bình Dinh"


def test_equally_good_readings_are_not_guessed() -> None:
    # 0xE0 reads "Ổ" in TCVN3 and "à" in VNI: "Ổ" and "à" are both whole syllables.
    with pytest.raises(UndecodableTextError):
        decode(b"\xe0")


@pytest.mark.parametrize(
    ("word", "valid"), [("Bơnh", False), ("Bình", True), ("hoành", True), ("thuỳnh", True)]
)
def test_finals_nh_and_ch(word: str, valid: bool) -> None:
    assert is_vietnamese_syllable(word) is valid
