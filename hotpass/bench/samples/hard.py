"""Hard mode of the sample generator: the corruption real registers show, for the
de-duplication benchmark (``generate_workbooks(..., hard=True)``).

Contract: ``HardMode(rng)`` is asked by the ``Maker`` at three points, and the truth stays
exactly as in the normal mode (rows of one entity share its id):
- ``entity(make)``: the next organisation. Most come from ``make()``; some are *twins* of
  an earlier one (a distinct organisation in the same town whose name differs by one word
  or an extra word, with its own domain, phones and registration) and some join a *group*
  (companies sharing one switchboard number).
- ``who(ent, first, person)``: the person on a row; a row that will lose its name keeps a
  contact of the organisation, so its phone and e-mail still say who it is.
- ``name(ent, first)``: typos anywhere (first letters included), swapped words,
  abbreviations ("Intl", "Svcs", "&"/"and"), the legal suffix dropped or changed, or
  no name at all.
- ``phones(ent, numbers)``: group members' rows carry the group switchboard.

Pitfalls: only hard mode calls this module, so the normal mode's random sequence (and the
bundled ``data/``) is unchanged. Twins bypass the generator's distinct-name guard on
purpose: no name comparison can separate them, only the other fields can.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from hotpass.bench.samples import cells

ABBREVIATIONS = {"International": "Intl", "Services": "Svcs", "Engineering": "Eng",
                 "Management": "Mgmt", "Holdings": "Hldgs", "Consulting": "Cons",
                 "Construction": "Const", "Brothers": "Bros", "Medical": "Med",
                 "Centre": "Ctr", "Properties": "Props", "Transport": "Trans",
                 "Electrical": "Elec", "Technologies": "Tech", "Distribution": "Dist"}
SUFFIX_DROP = {"(Pty) Ltd": ("Ltd", "", "Pty"), "Pty Ltd": ("Ltd", "", "(Pty)"),
               "Ltd": ("", "Limited"), "CC": ("", "cc"), "": ("(Pty) Ltd", "Ltd")}
TWIN_SHARE = 0.06  # organisations that are a near-identical twin of an earlier one
GROUP_SHARE = 0.05  # organisations in a group sharing a switchboard
MISSING_NAME = 0.08  # later sightings without a name (phone and e-mail kept)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class HardMode:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.recent: list = []  # entities a twin or a group member can follow
        self.switchboard: dict[int, str] = {}  # entity id -> group switchboard
        self.boards: list[str] = []  # switchboards of the groups so far
        self.unnamed: set[int] = set()  # entity ids whose next row loses its name

    def entity(self, make: Callable[[], object], sectors: list[str]):
        rng = self.rng
        roll = rng.random()
        if self.recent and roll < TWIN_SHARE:
            original = rng.choice(self.recent)
            ent = make()  # own domain, phones, registration, people
            words = original.base.split()
            if rng.random() < 0.5:  # another last word: "Naidoo Falcon Logistics/Freight"
                words[-1] = rng.choice([s for s in sectors if s != words[-1]])
            else:  # an extra word: "Naidoo Falcon Logistics Holdings"
                words.append(rng.choice(("Holdings", "Group", "Services", "Trading")))
            ent.base = " ".join(words)
            if "," in original.address:  # same town, its own street address
                ent.address = ent.address.split(",")[0] + "," + original.address.split(",", 1)[1]
            else:  # an airfield: same base
                ent.address = original.address
            ent.province = original.province
            return ent
        ent = make()
        if roll < TWIN_SHARE + GROUP_SHARE:  # found a group, or join one
            if self.boards and rng.random() < 0.6:
                number = rng.choice(self.boards)
            else:
                number = f"0{rng.choice((10, 11, 12, 21, 31))}{rng.randrange(10**7):07d}"
                self.boards.append(number)
            self.switchboard[ent.eid] = number
        self.recent = (self.recent + [ent])[-500:]
        return ent

    def who(self, ent, first: bool, person: tuple) -> tuple:
        if not first and self.rng.random() < MISSING_NAME:
            self.unnamed.add(ent.eid)
            return ent.people[0]
        return person

    def name(self, ent, first: bool) -> str | None:
        rng = self.rng
        if ent.eid in self.unnamed:
            self.unnamed.discard(ent.eid)
            return None
        if first:
            return cells.organisation_name(rng, ent.base, ent.suffix, True)
        words, suffix = ent.base.split(), ent.suffix
        ops = rng.sample(("typo", "swap", "abbreviate", "suffix", "case"), rng.choice((1, 2, 2, 3)))
        if "abbreviate" in ops:
            words = [ABBREVIATIONS.get(w, w) for w in words]
            words = ["and" if w == "&" else "&" if w == "and" else w for w in words]
        if "swap" in ops and len(words) > 1:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        text = " ".join(words)
        if "typo" in ops:
            for _ in range(rng.choice((1, 1, 2))):
                text = typo_anywhere(rng, text)
        if "suffix" in ops:
            suffix = rng.choice(SUFFIX_DROP.get(suffix, ("",)))
        text = f"{text} {suffix}".strip()
        if "case" in ops:
            text = text.upper() if rng.random() < 0.5 else text.lower()
        return text

    def phones(self, ent, numbers: list[str]) -> list[str]:
        board = self.switchboard.get(ent.eid)
        if board is None or self.rng.random() < 0.4:
            return numbers
        return [board] if self.rng.random() < 0.5 else [board, *numbers[:1]]


def typo_anywhere(rng: random.Random, text: str) -> str:
    """One letter replaced, dropped, inserted or two swapped, at any position."""
    spots = [i for i, ch in enumerate(text) if ch.isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    kind = rng.randrange(4)
    letter = rng.choice([c for c in _LETTERS if c != text[i].lower()])
    if text[i].isupper():
        letter = letter.upper()
    if kind == 0:
        return text[:i] + letter + text[i + 1:]
    if kind == 1 and len(spots) > 3:
        return text[:i] + text[i + 1:]
    if kind == 2 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + letter + text[i:]
