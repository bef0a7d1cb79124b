"""Person names: split into given and family name and cased, with ``nameparser``.

Contract: ``parse_person(text)`` returns ``Person(full, first, last)`` for a cell naming
one person, or ``None`` for an empty cell or one ``nameparser`` finds no name in. Text in
one case (``THANDI NKOSI``, ``marius van der merwe``) is re-cased by ``nameparser``
(``Thandi Nkosi``, ``Marius van der Merwe``); mixed case is the writer's and is kept.

Pitfall: titles and suffixes (``Dr``, ``Jr``) stay in ``full`` and out of first/last.
``nameparser`` costs ~1.5 ms a name, so results are cached per distinct text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Person:
    full: str
    first: str
    last: str


def parse_person(text: str | None) -> Person | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return _parse(text)


@lru_cache(maxsize=65536)  # nameparser costs ~1.5 ms a name; contacts repeat across rows
def _parse(text: str) -> Person | None:
    from nameparser import HumanName

    cleaned = " ".join(text.split())
    name = HumanName(cleaned)
    if not (name.first or name.last):
        return None
    one_case = cleaned.isupper() or cleaned.islower()
    if one_case:
        name.capitalize(force=True)
    full = str(name) if one_case else cleaned
    return Person(full, name.first, name.last)
