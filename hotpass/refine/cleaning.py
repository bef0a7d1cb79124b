"""What every cleaner shares: its result type, the whitespace rule and the junk words.

Contract: a cleaner takes one raw cell text and returns ``Cleaned``: the values kept and
the problems found, as (rule, offending text). ``tidy`` makes whitespace runs (any Unicode
space, no-break included) one space and trims the ends; ``JUNK`` holds the placeholder
texts ("n/a", "tbc", "-") that mean "no value" in any field. ``repeating`` caches a
cleaner across a worker's chunks, for fields whose few values repeat down a column.

Pitfalls: a cached cleaner hands out fresh lists each call, so no caller can change a
remembered result; cache only fields with few distinct values (dates, contact names):
a cache of nearly distinct values (phones, websites) costs memory and saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps

Cleaned = tuple[list[str], list[tuple[str, str]]]
JUNK = frozenset({"n/a", "na", "none", "nil", "-", "--", "tbc", "unknown", "null", "?", "0"})


def tidy(text: str) -> str:
    return " ".join(text.split())


def repeating(cleaner: Callable[..., Cleaned]) -> Callable[..., Cleaned]:
    remembered = lru_cache(maxsize=32768)(cleaner)

    @wraps(cleaner)
    def cleaned(*args, **kwargs) -> Cleaned:
        kept, problems = remembered(*args, **kwargs)
        return list(kept), list(problems)

    return cleaned
