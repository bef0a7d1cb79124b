"""Phones: one cell's numbers as E.164, each parsed once per worker.

Contract: ``clean_phones(raw, region)`` splits a cell on the separators exports use
(``;`` ``,`` ``|``, `` / ``, "or", "and"), parses each part with ``phonenumbers`` in the
profile's default region and returns the valid numbers (E.164, each once, in order) and
every part that is no valid number (``phone.invalid``).

Pitfalls: spreadsheet phones arrive as floats (``27821234567.0``) and lose the leading
``+``; a part without it is retried with it first. ``phonenumbers`` costs ~25 us a parse,
so parses are cached per separator-free text (``082 123 4567`` and ``082-123-4567`` share
one entry).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from hotpass.refine.cleaning import JUNK, Cleaned, tidy

_PHONE_SPLIT = re.compile(r"\s*(?:[;,|]|\s/\s|/(?=\s*[+0(])|\bor\b|\band\b)\s*", re.I)
_FLOAT_INTEGER = re.compile(r"\d+\.0+")
_NON_DIGITS = re.compile(r"\D")
_SEPARATORS = re.compile(r"[\s.\-]+")


def clean_phones(raw: str, region: str) -> Cleaned:
    kept: list[str] = []
    problems: list[tuple[str, str]] = []
    for part in _PHONE_SPLIT.split(tidy(raw)):
        part = part.strip()
        if not part or part.lower() in JUNK:
            continue
        if _FLOAT_INTEGER.fullmatch(part):
            part = part.split(".")[0]
        number = _parse_phone(_SEPARATORS.sub("", part), region)
        if number is None:
            problems.append(("phone.invalid", part))
        elif number not in kept:
            kept.append(number)
    return kept, problems


@lru_cache(maxsize=131072)
def _parse_phone(text: str, region: str) -> str | None:
    """E.164 or None; ``text`` comes without spaces, dots and dashes so "082 123 4567" and
    "082-123-4567" share one cache entry (phonenumbers costs ~25 us a parse)."""
    candidates = [text]
    digits = _NON_DIGITS.sub("", text)
    if not text.startswith("+") and len(digits) >= 11 and not digits.startswith("0"):
        candidates.insert(0, "+" + digits)  # a number cell that lost its "+"
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None
