"""Detection and conversion of text in legacy Vietnamese encodings to Unicode NFC.

No Django here. Government files made before Unicode became mandatory (TCVN 6909:2001) use:

- TCVN3 (ABC, TCVN 5712:1993): one byte per letter, lower-case letters with diacritics in
  0xA1–0xFE; upper case came from a separate font, so the byte alone does not say the case.
  The upper-case letters of the VN1 variant (0x01–0x17, 0x80–0x9F) are decoded too.
- VNI Windows: a base letter followed by a byte for the vowel mark and tone ("aù" is "á"),
  read as Windows-1252 bytes.
- Windows-1258: Microsoft's code page, base letters and combining tone marks.

:func:`decode` tries UTF-8 first, then scores each legacy decoding by how much of the result
is valid Vietnamese, and reports the encoding it chose and how sure it is. Text that fits
none of them is reported as undecodable, never guessed.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# --- TCVN3 -----------------------------------------------------------------------------------

_TCVN3_UPPER_HALF = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ", 0xAF: "Ằ",
    0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ", 0xBA: "Ẳ", 0xBB: "ằ", 0xBC: "ẳ",
    0xBD: "ẵ", 0xBE: "ắ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ",
    0xC5: "Ề", 0xC6: "ặ", 0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ", 0xCC: "è",
    0xCD: "Ể", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ", 0xD2: "ề", 0xD3: "ể", 0xD4: "ễ",
    0xD5: "ế", 0xD6: "ệ", 0xD7: "ì", 0xD8: "ỉ", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xDC: "ĩ",
    0xDD: "í", 0xDE: "ị", 0xDF: "ò", 0xE0: "Ổ", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ", 0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ",
    0xED: "ớ", 0xEE: "ợ", 0xEF: "ù", 0xF0: "Ỗ", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự", 0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ",
    0xFD: "ý", 0xFE: "ỵ", 0xFF: "Ố",
}  # fmt: skip
_TCVN3_LOW = {
    0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ", 0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ",
    0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
    0x80: "À", 0x81: "Ả", 0x82: "Ã", 0x83: "Á", 0x84: "Ạ", 0x85: "Ặ", 0x86: "Ậ", 0x87: "È",
    0x88: "Ẻ", 0x89: "Ẽ", 0x8A: "É", 0x8B: "Ẹ", 0x8C: "Ệ", 0x8D: "Ì", 0x8E: "Ỉ", 0x8F: "Ĩ",
    0x90: "Í", 0x91: "Ị", 0x92: "Ò", 0x93: "Ỏ", 0x94: "Õ", 0x95: "Ó", 0x96: "Ọ", 0x97: "Ộ",
    0x98: "Ờ", 0x99: "Ở", 0x9A: "Ỡ", 0x9B: "Ớ", 0x9C: "Ợ", 0x9D: "Ù", 0x9E: "Ủ", 0x9F: "Ũ",
}  # fmt: skip
_TCVN3_TABLE = {byte: chr(byte) for byte in range(0x80)} | _TCVN3_LOW | _TCVN3_UPPER_HALF


def decode_tcvn3(data: bytes) -> str:
    return "".join(_TCVN3_TABLE.get(byte, "\ufffd") for byte in data)


# --- VNI Windows -----------------------------------------------------------------------------

# Marks after a base vowel, as the Windows-1252 characters VNI fonts draw them with.
# Lower-case forms follow lower-case vowels, upper-case forms upper-case vowels.
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_TONES_UPPER = {"Ù": "\u0301", "Ø": "\u0300", "Û": "\u0309", "Õ": "\u0303", "Ï": "\u0323"}
# Circumflex (â ê ô) with a tone, and breve (ă) with a tone.
_VNI_HAT = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_HAT_UPPER = {
    "Â": "",
    "Á": "\u0301",
    "À": "\u0300",
    "Å": "\u0309",
    "Ã": "\u0303",
    "Ä": "\u0323",
}
_VNI_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_VNI_BREVE_UPPER = {
    "Ê": "",
    "É": "\u0301",
    "È": "\u0300",
    "Ú": "\u0309",
    "Ü": "\u0303",
    "Ë": "\u0323",
}
# Letters VNI writes as a single character.
_VNI_SINGLE = {
    "ô": "ơ", "ö": "ư", "ñ": "đ", "Ô": "Ơ", "Ö": "Ư", "Ñ": "Đ",
    "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ",
    "Í": "Í", "Ì": "Ì", "Æ": "Ỉ", "Ó": "Ĩ", "Ò": "Ị", "Î": "Ỵ",
}  # fmt: skip

_VNI_PAIR = re.compile(
    r"([aeoAEO])([âáàåãäÂÁÀÅÃÄ])|([aA])([êéèúüëÊÉÈÚÜË])|([aeiouyAEIOUYôöÔÖ])([ùøûõïÙØÛÕÏ])|([ôöñÔÖÑíìæóòîÍÌÆÓÒÎ])"
)


def _vni_replace(match: re.Match[str]) -> str:
    base, hat, breve_base, breve, toned_base, tone, single = match.groups()
    if base is not None:
        mark = _VNI_HAT.get(hat) if base.islower() else _VNI_HAT_UPPER.get(hat)
        mark = _VNI_HAT.get(hat, _VNI_HAT_UPPER.get(hat, "")) if mark is None else mark
        return base + "\u0302" + mark
    if breve_base is not None:
        mark = _VNI_BREVE.get(breve, _VNI_BREVE_UPPER.get(breve, ""))
        return breve_base + "\u0306" + mark
    if toned_base is not None:
        letter = _VNI_SINGLE.get(toned_base, toned_base)
        return letter + _VNI_TONES.get(tone, _VNI_TONES_UPPER.get(tone, ""))
    return _VNI_SINGLE[single]


def decode_vni(data: bytes) -> str:
    return unicodedata.normalize(
        "NFC", _VNI_PAIR.sub(_vni_replace, data.decode("cp1252", errors="replace"))
    )


# --- Detection -------------------------------------------------------------------------------

# Vietnamese letters in NFC; text made of these, ASCII and punctuation reads as Vietnamese.
_VIETNAMESE_LETTERS = frozenset(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
)
_ALLOWED_SYMBOLS = frozenset("–—‘’“”…°²³·€±×÷§«»")


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, with the encoding used and the share of characters that fit it."""

    text: str
    encoding: str
    confidence: float

    @property
    def is_legacy(self) -> bool:
        return self.encoding not in {"utf-8", "ascii"}


class UndecodableTextError(ValueError):
    """Bytes that are neither UTF-8 nor a legacy Vietnamese encoding."""


class AmbiguousEncodingError(UndecodableTextError):
    """Bytes that several legacy encodings read equally well as different text."""

    def __init__(self, candidates: list[str]) -> None:
        super().__init__(f"the text fits {' and '.join(candidates)} equally well")
        self.candidates = candidates


_VOWEL_CLUSTERS = sorted(
    [
        "iêu",
        "yêu",
        "oai",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "uya",
        "uyê",
        "uyu",
        "ươi",
        "ươu",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iê",
        "iu",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uô",
        "uơ",
        "uy",
        "ưa",
        "ưi",
        "ươ",
        "ưu",
        "ya",
        "yê",
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "y",
    ],
    key=len,
    reverse=True,
)
_SYLLABLE = re.compile(
    "^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    f"({'|'.join(_VOWEL_CLUSTERS)})"
    "(ch|ng|nh|[cmnpt])?$"
)
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_FRONT_NUCLEI = frozenset({"a", "ê", "i", "y", "oa", "uê", "uy"})
_WORD = re.compile(r"[^\W\d_]+")


def is_vietnamese_syllable(word: str) -> bool:
    """True when ``word`` is one well-formed Vietnamese syllable with at most one tone mark."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    if sum(1 for ch in decomposed if ch in _TONE_MARKS) > 1:
        return False
    toneless = unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    )
    match = _SYLLABLE.match(toneless)
    if match is None:
        return False
    # The finals -nh and -ch follow only a front vowel: anh, ênh, inh, ynh, oanh, uênh, uynh.
    nucleus, final = match.group(2), match.group(3)
    return final not in {"nh", "ch"} or nucleus in _FRONT_NUCLEI


def vietnamese_score(text: str) -> float:
    """How well ``text`` reads as Vietnamese: 1.0 for pure ASCII, 0.0 for nonsense.

    The score is the smaller of two shares: non-ASCII characters that are Vietnamese letters,
    and words with diacritics that are well-formed syllables. The second tells VNI from
    TCVN3, whose byte values overlap.
    """
    non_ascii = [ch for ch in text if ord(ch) > 0x7F]
    if not non_ascii:
        return 1.0
    letters = sum(1 for ch in non_ascii if ch in _VIETNAMESE_LETTERS or ch in _ALLOWED_SYMBOLS)
    marked_words = [word for word in _WORD.findall(text) if not word.isascii()]
    syllables = sum(1 for word in marked_words if is_vietnamese_syllable(word))
    syllable_share = syllables / len(marked_words) if marked_words else 1.0
    return min(letters / len(non_ascii), syllable_share)


def legacy_readings(data: bytes) -> Iterable[tuple[str, str]]:
    """``data`` read in each legacy encoding, as (encoding name, NFC text) pairs."""
    yield "tcvn3", unicodedata.normalize("NFC", decode_tcvn3(data))
    yield "vni", decode_vni(data)
    with contextlib.suppress(UnicodeDecodeError):
        yield "windows-1258", unicodedata.normalize("NFC", data.decode("cp1258"))


def decode(data: bytes, minimum_confidence: float = 0.97) -> DecodedText:
    """Decode ``data`` to NFC text and name the encoding; raise UndecodableTextError if unsure.

    UTF-8 wins whenever the bytes are valid UTF-8. Otherwise the legacy decoding whose
    result reads best as Vietnamese wins, if its score reaches ``minimum_confidence``. When
    another encoding reads as well with a different text, AmbiguousEncodingError names both.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        encoding = "ascii" if data.isascii() else "utf-8"
        return DecodedText(unicodedata.normalize("NFC", text), encoding, 1.0)

    scored = sorted(
        ((vietnamese_score(text), name, text) for name, text in legacy_readings(data)),
        key=lambda item: item[0],
        reverse=True,
    )
    best_score, best_name, best_text = scored[0]
    # Two encodings that read equally well but give different text leave the choice open.
    rivals = [name for score, name, text in scored[1:] if score == best_score and text != best_text]
    if rivals and best_score >= minimum_confidence:
        raise AmbiguousEncodingError([best_name, *rivals])
    if best_score < minimum_confidence:
        summary = ", ".join(f"{name} {score:.0%}" for score, name, _text in scored)
        raise UndecodableTextError(
            f"the text is not UTF-8 and fits no Vietnamese legacy encoding well enough ({summary})"
        )
    return DecodedText(best_text, best_name, best_score)
