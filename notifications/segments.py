"""How many SMS segments a text takes, which is what gateways charge for.

A text in the GSM 03.38 alphabet (Latin letters, digits, common punctuation) is sent 7 bits a character:
160 characters in one SMS, and 153 a segment once it is split (the rest of each segment carries the
header that joins them). Characters of the alphabet's extension table (``{ } [ ] ~ \\ | ^ €``) take two.
Any other character — Urdu, an emoji, a curly quote — makes the whole text go as UCS-2 (Unicode), 16
bits a unit: 70 in one SMS, 67 a segment once split; a character outside the Basic Multilingual Plane
(most emoji) takes two units.
"""

import math
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Segments:
    """A text as an SMS: its encoding (``gsm7`` or ``ucs2``), its length in that encoding's units, and
    how many segments it is sent in."""

    encoding: str
    units: int
    count: int

    @property
    def unicode(self) -> bool:
        return self.encoding == "ucs2"


def needs_unicode(text: str) -> bool:
    """True when ``text`` has a character outside the GSM 7-bit alphabet (and its extension)."""
    return any(char not in GSM7_BASIC and char not in GSM7_EXTENSION for char in text)


def count_segments(text: str) -> Segments:
    """The encoding and number of segments of ``text`` (an empty text is still one SMS)."""
    if needs_unicode(text):
        units = len(text.encode("utf-16-le")) // 2
        single, split = 70, 67
        encoding = "ucs2"
    else:
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, split = 160, 153
        encoding = "gsm7"
    count = 1 if units <= single else math.ceil(units / split)
    return Segments(encoding, units, count)
