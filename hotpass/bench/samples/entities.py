"""The organisations and people the sample generator invents, before any row is written.

Contract: ``Entities(rng, profile_name)`` draws organisations (``_entity``: a distinct
name, a legal suffix, a unique domain, registration number, address, province, status,
date, what its duplicates share, 1-3 people) and people (``_person``: name, mailbox and
1-2 phones); every value comes from ``rng`` in a fixed order, so a seed gives the same
organisations. ``Maker`` (``maker.py``) builds on it to lay out sheets and fill rows.

Pitfalls: names of distinct organisations must stay far apart or no dedupe could separate
them: a new name is rejected when an earlier one sharing two of its words scores
``DISTINCT_NAME_LIMIT`` or more (rapidfuzz ratio). Contact details (domains, phones,
mailboxes, registration numbers) are unique per organisation so they never link two.
Changing the order of any ``rng`` call changes every sample made from then on.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from hotpass.bench.samples.words import (
    AIRFIELDS,
    FIRST_NAMES,
    STREETS,
    distinctive_words,
    places,
    sectors,
    surnames,
)
from hotpass.profiles import load_profile

DISTINCT_NAME_LIMIT = 84.0  # distinct organisations' normalised names score below this
# Past this many organisations the first three patterns near exhaustion (about 540,000), so a
# fourth real-world shape joins ("Botha Stellenbosch Construction": surname, place, sector);
# fixed by count so every smaller sample stays byte-identical for its seed.
WIDER_NAMES_AFTER = 300_000
SUFFIXES = ("(Pty) Ltd", "(Pty) Ltd", "Pty Ltd", "Ltd", "CC", "", "")
PHONE_PREFIXES = ("060", "061", "066", "071", "072", "073", "076", "078", "079", "082", "083",
                  "084", "010", "011", "012", "021", "031", "041", "051")
LINKS = ("website", "website", "registration", "both", "name", "name")  # what duplicates share


@dataclass
class Entity:
    eid: int
    base: str  # clean name without legal suffix
    suffix: str
    sector: str
    domain: str = ""
    reg: str = ""
    address: str = ""
    category: str = ""
    province: str = ""
    status: str = ""
    date: dt.date = dt.date(2024, 1, 1)
    link: str = "website"
    people: list[tuple[str, str, list[str]]] = field(default_factory=list)


class Entities:
    """Invents organisations and people; all randomness comes from ``rng``."""

    def __init__(self, rng: random.Random, profile_name: str) -> None:
        self.rng, self.aviation = rng, profile_name == "aviation"
        self.profile = load_profile(profile_name)
        self.provinces = self.profile.fields["province"].allowed_values or ["Gauteng"]
        self.words = (surnames(), places(), distinctive_words(), sectors(profile_name))
        self.names_by_pair: dict[tuple[str, str], list[str]] = {}
        self.names: list[str] = []  # clean base name per entity id - 1
        self.domains: list[str] = []  # company domain per entity id - 1 (websites, mail)
        self.used: set[str] = set()  # domains, registration numbers, phones, mailboxes

    def _entity(self) -> Entity:
        rng, (surname_list, place_list, distinct, sector_list) = self.rng, self.words
        for _attempt in range(10_000):
            pattern, sector = rng.random(), rng.choice(sector_list)
            if len(self.names) >= WIDER_NAMES_AFTER and pattern >= 0.8 and rng.random() < 0.5:
                slots = (rng.choice(surname_list), rng.choice(place_list))
                base = f"{slots[0]} {slots[1]} {sector}"
            elif pattern < 0.8:
                slots = (rng.choice(surname_list if pattern < 0.4 else place_list),
                         rng.choice(distinct))
                base = f"{slots[0]} {slots[1]} {sector}"
            else:
                slots = tuple(sorted(rng.sample(surname_list, 2)))
                base = f"{slots[0]} {'&' if rng.random() < 0.7 else 'and'} {slots[1]} {sector}"
            key = base.lower().replace(" & ", " and ")
            if self._far_from_others(key, (*slots, sector)):
                break
        else:
            raise ValueError(f"name space exhausted after {len(self.names)} organisations")
        self.names.append(base)
        ent = Entity(len(self.names), base, rng.choice(SUFFIXES), sector)
        words = re.sub(r"[^a-z ]", "", key.replace(" and ", " ")).split()
        tld = rng.choice((".co.za", ".co.za", ".co.za", ".com", ".org.za"))
        ent.domain = self._unique(lambda: "".join(words[:2]) + tld,
                                  lambda: "".join(words) + str(rng.randrange(10, 99)) + tld)
        self.domains.append(ent.domain)
        if self.aviation:
            ent.reg = self._unique(lambda: f"N{rng.randrange(100, 99999)}D",
                                   lambda: f"CAA/ATO/{rng.randrange(10**5):05d}")
            ent.address = rng.choice(AIRFIELDS)
            ent.category = rng.choice(self.profile.fields["category"].allowed_values or [sector])
        else:
            ent.reg = self._unique(lambda: f"{rng.randrange(1995, 2024)}/"
                                   f"{rng.randrange(10**6):06d}/{rng.choice(('07', '23', '08'))}",
                                   lambda: "")
            ent.address = f"{rng.randrange(1, 250)} {rng.choice(STREETS)}, {rng.choice(place_list)}"
            ent.category = sector
        ent.province = rng.choice(self.provinces)
        ent.status = rng.choice(self.profile.fields["status"].allowed_values or ["Active"])
        ent.date = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(1370))
        ent.link = rng.choice(LINKS)
        ent.people = [self._person(ent.domain) for _ in range(rng.choice((1, 1, 2, 3)))]
        return ent

    def _far_from_others(self, key: str, slots: tuple[str, ...]) -> bool:
        """True (and remembered) unless an earlier name sharing two words is too similar."""
        from rapidfuzz import fuzz, process

        pairs = [(a, b) if a <= b else (b, a)
                 for i, x in enumerate(slots) for y in slots[i + 1:]
                 for a, b in [(x.lower(), y.lower())]]
        nearby = [name for pair in pairs for name in self.names_by_pair.get(pair, ())]
        if nearby and process.extractOne(key, nearby, scorer=fuzz.ratio,
                                         score_cutoff=DISTINCT_NAME_LIMIT) is not None:
            return False
        for pair in pairs:
            self.names_by_pair.setdefault(pair, []).append(key)
        return True

    def _unique(self, make, fallback) -> str:
        for attempt in range(50):
            value = make() if attempt < 3 else fallback()
            if value and value not in self.used:
                self.used.add(value)
                return value
        raise ValueError("could not draw a unique contact value; the value space is too small")

    def _person(self, domain: str, personal: bool = False) -> tuple[str, str, list[str]]:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(self.words[0])
        local = f"{first}.{last}".lower().replace(" ", "")
        host = "gmail.com" if personal else domain
        email = self._unique(lambda: f"{local}@{host}",
                             lambda: f"{local}{rng.randrange(2, 999)}@{host}")
        phones = [self._unique(lambda: rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**7):07d}",
                               lambda: "") for _ in range(rng.choice((1, 1, 1, 2)))]
        return f"{first} {last}", email, phones
