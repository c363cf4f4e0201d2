"""Vietnamese text in the legacy byte encodings that officials' old files still use."""

from __future__ import annotations

import unicodedata

# The five Vietnamese tone marks as Unicode combining characters.
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Encode ``text`` in Windows-1258, which stores a toneless letter and then its tone mark."""
    pieces = []
    for letter in text:
        parts = unicodedata.normalize("NFD", letter)
        tone = "".join(ch for ch in parts if ch in TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(ch for ch in parts if ch not in TONE_MARKS))
        pieces.append(base + tone)
    return "".join(pieces).encode("cp1258")
