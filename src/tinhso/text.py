"""Text helpers for Vietnamese that do not depend on Django."""

from __future__ import annotations

import re
import unicodedata

# Đ/đ is a letter of its own, not D plus a combining mark, so NFD leaves it whole.
_LETTER_D = str.maketrans({"đ": "d", "Đ": "d"})
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics: "Vĩnh Yên" -> "vinh yen".

    Used for search that ignores diacritics; both the stored key and the query go through it.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTER_D))
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", without_marks.lower()).strip()


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the form the platform stores."""
    return unicodedata.normalize("NFC", text)


# Two spellings of the same syllable coexist in official lists: the tone mark on the first
# vowel ("Hòa", older style) or on the second ("Hoà"). Both map to the first form here.
_TONE_PLACEMENT = {
    f"{first}{marked}": f"{tone}{second}"
    for first, second, pairs in [
        ("o", "a", {"à": "ò", "á": "ó", "ả": "ỏ", "ã": "õ", "ạ": "ọ"}),
        ("o", "e", {"è": "ò", "é": "ó", "ẻ": "ỏ", "ẽ": "õ", "ẹ": "ọ"}),
        ("u", "y", {"ỳ": "ù", "ý": "ú", "ỷ": "ủ", "ỹ": "ũ", "ỵ": "ụ"}),
    ]
    for marked, tone in pairs.items()
}
_TONE_PATTERN = re.compile("|".join(sorted(_TONE_PLACEMENT, key=len, reverse=True)))


def same_name(first: str, second: str) -> bool:
    """True when two names differ at most in Unicode form, case or tone-mark placement."""

    def canonical(text: str) -> str:
        lowered = nfc(text).lower().strip()
        return _TONE_PATTERN.sub(lambda match: _TONE_PLACEMENT[match.group(0)], lowered)

    return canonical(first) == canonical(second)
