"""Phone fast path: E.164 of a region's own numbers in plain shapes, from phonenumbers' metadata.

Contract: ``fast_e164(text, region)`` returns what ``phonenumbers.parse(text, region)`` then
``is_valid_number`` and ``format_number(E164)`` give for ``text`` when it is sure to be
the same, else None. None means "not sure", never "invalid": the caller then asks
phonenumbers. ``text`` is one phone part without spaces, dots and dashes. Shapes taken:
ASCII digits with at most one parenthesised digit group (``0821234567``,
``(011)1234567``), after ``+`` or the region's international prefix and its calling code
(``+27821234567``, ``+27(0)821234567``, ``0027821234567``). For those, ``parse`` only
drops the parentheses, the ``+``/IDD and calling code, and one leading national prefix
when what follows fits the region's general pattern; ``is_valid_number`` is the national
significant number matching the general description and at least one number type's
``national_number_pattern`` and ``possible_length``. This module does exactly that with
the same ``PhoneMetadata`` (one compiled pattern per length), at a fraction of the cost.

Pitfalls: regions where ``parse`` does more are left wholly to phonenumbers
(``rules_for`` is None): a calling code shared by several regions (+1, +44: the region
is then chosen by number), a national prefix that is a pattern, or one with a transform
rule or carrier code (AU, AR, BR). A national text starting with the calling code
(``27...``) may be read as international by phonenumbers and is left to it, as is any
number whose national significant number is not valid (invalid input stays
phonenumbers' verdict). ``tests/unit/test_phone_rules.py`` checks equality on ~64k texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_SHAPE = re.compile(r"(\+?)([0-9]*)(?:\(([0-9]+)\))?([0-9]*)")
_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
          "uan", "voicemail", "fixed_line", "mobile")  # is_valid_number: any of them


@dataclass(frozen=True)
class Rules:
    """One region's parsing and validity facts, read from its PhoneMetadata."""

    calling_code: str
    national_prefix: str  # "" when the region has none
    international_prefix: re.Pattern | None
    valid_by_length: dict[int, re.Pattern]  # national number length -> valid numbers


def fast_e164(text: str, region: str) -> str | None:
    rules = rules_for(region)
    if rules is None:
        return None
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not (digits.isascii() and digits.isdigit()):  # plain digits need no regex
        shape = _SHAPE.fullmatch(text)
        if shape is None:
            return None
        sign, head, group, tail = shape.groups()
        plus, digits = sign == "+", head + (group or "") + tail
    code = rules.calling_code
    idd = None if plus or rules.international_prefix is None else (
        rules.international_prefix.match(digits))
    if plus or idd:
        rest = digits[idd.end():] if idd else digits
        if not rest.startswith(code):
            return None
        national = rest[len(code):]
    elif digits.startswith(code):
        return None
    else:
        national = digits
    prefix = rules.national_prefix
    if prefix and national.startswith(prefix):
        national = national[len(prefix):]
    valid = rules.valid_by_length.get(len(national))
    if valid is None or not valid.fullmatch(national):
        return None
    return f"+{code}{national}"


@cache
def rules_for(region: str) -> Rules | None:
    import phonenumbers
    from phonenumbers import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None:
        return None
    code = metadata.country_code
    prefix = metadata.national_prefix_for_parsing or ""
    shorter_codes = any(int(str(code)[:i]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
                        for i in range(1, len(str(code))))
    if (phonenumbers.region_codes_for_country_code(code) != (region.upper(),) or shorter_codes
            or not (prefix == "" or prefix.isdigit()) or metadata.national_prefix_transform_rule):
        return None
    idd = metadata.international_prefix
    return Rules(calling_code=str(code), national_prefix=prefix,
                 international_prefix=re.compile(idd) if idd else None,
                 valid_by_length=_valid_patterns(metadata))


def _valid_patterns(metadata) -> dict[int, re.Pattern]:
    """Per national number length: general pattern and any type's pattern of that length.
    A length the general description calls local-only is left out: ``parse`` would keep
    the national prefix on it."""
    general = metadata.general_desc
    local_only = set(general.possible_length_local_only or ())
    patterns = {}
    for length in general.possible_length or ():
        if length in local_only or length < 2 or not general.national_number_pattern:
            continue
        types = [desc.national_number_pattern for desc in
                 (getattr(metadata, name) for name in _TYPES)
                 if desc is not None and desc.national_number_pattern
                 and (not desc.possible_length or length in desc.possible_length)]
        if types:
            alternatives = "|".join(f"(?:{pattern})" for pattern in types)
            patterns[length] = re.compile(
                rf"(?=(?:{general.national_number_pattern})\Z)(?:{alternatives})")
    return patterns
