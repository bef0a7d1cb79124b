"""Phones: one cell's numbers as E.164.

Contract: ``clean_phones(raw, region)`` splits a cell (``phone_texts``) on the separators
exports use (``;`` ``,`` ``|``, `` / ``, "or", "and") and returns the valid numbers
(E.164, each once, in order) and every part that is no valid number (``phone.invalid``).
``parse_e164(text, region)`` is one part's number: exactly what ``library_e164`` (parse,
``is_valid_number``, ``format_number`` of ``phonenumbers`` in the profile's region) says.

Pitfalls: spreadsheet phones arrive as floats (``27821234567.0``) and lose the leading
``+``; a part without it is retried with it first. ``phonenumbers`` costs ~35 us a number
and nearly every number in an export is distinct, so the region's own numbers in plain
shapes take ``refine.phone_rules`` (the same metadata, the same result, ~2 us); the rest
go to phonenumbers, cached per separator-free text (``082 123 4567`` and
``082-123-4567`` share one entry).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from hotpass.refine.cleaning import JUNK, Cleaned, tidy
from hotpass.refine.phone_rules import fast_e164

_PHONE_SPLIT = re.compile(r"\s*(?:[;,|]|\s/\s|/(?=\s*[+0(])|\bor\b|\band\b)\s*", re.I)
_FLOAT_INTEGER = re.compile(r"\d+\.0+")
_NON_DIGITS = re.compile(r"\D")
_SEPARATORS = re.compile(r"[\s.\-]+")


def clean_phones(raw: str, region: str) -> Cleaned:
    kept: list[str] = []
    problems: list[tuple[str, str]] = []
    for part, text in phone_texts(raw):
        number = parse_e164(text, region)
        if number is None:
            problems.append(("phone.invalid", part))
        elif number not in kept:
            kept.append(number)
    return kept, problems


def phone_texts(raw: str) -> list[tuple[str, str]]:
    """A cell's phone parts, each as written and as parsed (no spaces, dots, dashes)."""
    texts = []
    for part in _PHONE_SPLIT.split(tidy(raw)):
        part = part.strip()
        if not part or part.lower() in JUNK:
            continue
        if "." in part and _FLOAT_INTEGER.fullmatch(part):
            part = part.split(".")[0]
        texts.append((part, _SEPARATORS.sub("", part)))
    return texts


def parse_e164(text: str, region: str) -> str | None:
    """E.164 or None; ``text`` comes without spaces, dots and dashes."""
    fast = fast_e164(candidates(text)[0], region)
    return fast if fast is not None else library_e164(text, region)


def candidates(text: str) -> list[str]:
    """The texts to parse, in order: the first valid one is the number."""
    if text.startswith("+"):
        return [text]
    digits = _NON_DIGITS.sub("", text)
    if len(digits) >= 11 and not digits.startswith("0"):
        return ["+" + digits, text]  # a number cell that lost its "+"
    return [text]


@lru_cache(maxsize=131072)
def library_e164(text: str, region: str) -> str | None:
    """phonenumbers alone: E.164 of the first candidate it finds valid, else None."""
    for candidate in candidates(text):
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None
