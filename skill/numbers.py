"""Spoken numbers to integers, as Alexa fills an ``AMAZON.NUMBER`` slot ("forty five" -> 45).

Alexa sends digits; a test client or simulator may send the words it matched ("five"), so the
skill reads both (:func:`skill.slots.read_number`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_UNITS: Mapping[str, int] = MappingProxyType({
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "a": 1,
})
_TENS: Mapping[str, int] = MappingProxyType({
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
})
_SCALES: Mapping[str, int] = MappingProxyType({"hundred": 100, "thousand": 1000})
#: Longer numbers are not something anyone holds a stretch for; refuse rather than guess.
MAX_DIGITS = 9


def parse_number(text: str) -> int | None:
    """``"45"``, ``"forty five"``, ``"a hundred"`` -> int; ``None`` if it is not a number."""
    stripped = text.strip()
    if stripped.lstrip("-").isdigit() and stripped.count("-") <= 1:
        digits = stripped.lstrip("-")
        return int(stripped) if len(digits) <= MAX_DIGITS else None
    words = text.lower().replace("-", " ").replace(",", " ").split()
    if not words:
        return None
    total, current, seen = 0, 0, False
    for word in words:
        if word == "and" and seen:
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
        else:
            return None
        seen = True
    return total + current if seen else None
