"""What every cleaner shares: its result type, the whitespace rule and the junk words.

Contract: a cleaner takes one raw cell text and returns ``Cleaned``: the values kept and
the problems found, as (rule, offending text). ``tidy`` makes whitespace runs (any Unicode
space, no-break included) one space and trims the ends; ``JUNK`` holds the placeholder
texts ("n/a", "tbc", "-") that mean "no value" in any field.

Pitfalls: ``normalise`` remembers the results of some cleaners across a worker's chunks
and shares them between rows: a cleaner's caller must never change its lists.
"""

from __future__ import annotations

Cleaned = tuple[list[str], list[tuple[str, str]]]
JUNK = frozenset({"n/a", "na", "none", "nil", "-", "--", "tbc", "unknown", "null", "?", "0"})


def tidy(text: str) -> str:
    return " ".join(text.split())

