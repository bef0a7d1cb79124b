"""Value shapes: what one cell's text looks like (email, phone, web address, date, person,
organisation name, identifier), for typing columns by their content.

Contract: ``ShapeReader(profile).shapes(text)`` returns a ``Shapes`` tuple of per-kind
scores in 0..1 for one cell (cached per distinct text); ``column_sample`` prepares a column's sample once and
``field_value_score`` turns it into one score per profile field. Kinds without a content test
(free text) score ``None``: only their header can type them.

Pitfalls: an organisation name and a person's name share a shape ("Blue Sky"), so a
value only scores as an organisation outright with a legal suffix, or in title case with
an organisation word ("Fleet insurance 2024" is a deal, not a company), and as a person only with two name words (three with an initial or a particle);
identifiers look like anything numeric, so they never type a column without a header.
A column of a few labels repeated over and over is never a person column by its values.
Phones are parsed for the profile's region with phonenumbers (via the normaliser's
cached parser), so "2019/123456/07" is not a phone and "0821234567" is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from hotpass.profiles.model import FieldSpec, Profile
from hotpass.refine.phones import clean_phones

_EMAIL = re.compile(r"[a-z0-9_.%+'-]+@(?:[a-z0-9-]+\.)+[a-z]{2,24}\b", re.I)
_WEB = re.compile(r"^(?:https?://)?(?:www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,24}(?::\d+)?(?:/\S*)?$",
                  re.I)
_DATE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+)?|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|\d{1,2}[ -][A-Za-z]{3,9}[ -,]+\d{4}|[A-Za-z]{3,9} \d{1,2},? \d{4})$")
_SERIAL = re.compile(r"^\d{5}$")
_PHONE_CHARS = re.compile(r"^[\d\s+().\-/;,]+(?:\s*(?:ext?\.?|x)\s*\d+)?$", re.I)
_ID = re.compile(r"^(?=[^\s]*\d)[A-Za-z0-9][A-Za-z0-9/_.#-]{0,29}$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*")
_ROLE_SPLIT = re.compile(r"\s*(?:\(|—|–| - |,)\s*")

LEGAL_SUFFIXES = frozenset({
    "pty", "ltd", "limited", "cc", "npc", "inc", "llc", "plc", "gmbh", "corp", "corporation",
    "soc", "llp", "lp", "sa", "bv", "ag", "co", "company", "incorporated", "trust"})
_ORG_WORDS_TEXT = """
academy agency airline airlines airways aviation aero aerospace association associates
attorneys auditors bank brokers centre center charter church club clinic college company
consulting consultants construction cooperative council department engineering enterprises
estates farm farms federation flight flying foundation group helicopters holdings hospital
hotel industries institute insurance investments lodge logistics maintenance management
manufacturing marketing media ministry motors municipality partners pharmacy printing
properties school security services society solutions studio studios supplies supply systems
technologies trading training transport travel university
"""
ORG_WORDS = frozenset(_ORG_WORDS_TEXT.split())
PARTICLES = frozenset({"van", "der", "den", "de", "du", "le", "la", "da", "von", "bin", "al"})


class Shapes(NamedTuple):
    email: float
    phone: float
    website: float
    date: float
    person: float
    name: float
    identifier: float


EMPTY = Shapes(0, 0, 0, 0, 0, 0, 0)


class ShapeReader:
    """Per-cell shape scores for one profile (its phone region), cached per text."""

    def __init__(self, profile: Profile) -> None:
        self.region = profile.locale.default_region
        self.shapes = lru_cache(maxsize=65536)(self._shapes)

    def _shapes(self, text: str) -> Shapes:
        email = 1.0 if "@" in text and _EMAIL.search(text) else 0.0
        website = 1.0 if not email and " " not in text and _WEB.match(text) else 0.0
        date = 1.0 if _DATE.match(text) else (0.5 if _SERIAL.match(text)
                                              and 20000 <= int(text) <= 80000 else 0.0)
        phone = 0.0
        if not email and not date and _PHONE_CHARS.match(text):
            kept, problems = clean_phones(text, self.region)
            phone = 1.0 if kept and not problems else 0.0
        identifier = 1.0 if not email and not website and _ID.match(text) else 0.0
        person, name = _person_or_name(text) if not (email or website or phone or date) else (
            0.0, 0.0)
        return Shapes(email, phone, website, date, person, name, identifier)


def _person_or_name(text: str) -> tuple[float, float]:
    """(person score, organisation-name score) of one cell."""
    words = _WORD.findall(text)
    if not words or sum(len(w) for w in words) < len(text.replace(" ", "")) * 0.6:
        return 0.0, 0.0  # mostly digits or symbols
    lowered = [w.lower().strip(".'’") for w in words]
    titled = _title_cased(words)
    if any(w in LEGAL_SUFFIXES for w in lowered) or (titled and (
            "&" in text or any(w in ORG_WORDS for w in lowered))):
        return 0.0, 1.0
    first = _ROLE_SPLIT.split(text.split(";")[0], maxsplit=1)[0]  # "Jo Smith (Director)"
    core = [w for w in _WORD.findall(first) if w.lower() not in PARTICLES]
    initials = sum(1 for w in core if len(w.rstrip(".")) == 1)
    full = len(core) - initials
    capitalised = all(w[0].isupper() for w in core) if core else False
    if capitalised and (full == 2 or (full == 3 and (initials or len(core) < len(
            _WORD.findall(first))))) and len(first) <= 40:
        return 1.0, 0.3
    if len(words) >= 2 and titled:
        return 0.0, 0.6  # multi-word title text: likely an organisation
    return 0.0, 0.2  # sentence case ("Hangar lease renewal") or one word


def _title_cased(words: list[str]) -> bool:
    """Every significant word starts upper-case (or the text is all capitals)."""
    significant = [w for w in words if len(w) > 3 or w[0].isupper()]
    return bool(significant) and all(w[0].isupper() for w in significant)


# Which shape score stands for a field kind ("region" and allowed values are per field).
_KIND_SHAPE = {"email": "email", "phone": "phone", "website": "website", "date": "date",
               "person": "person", "name": "name", "identifier": "identifier"}


@dataclass
class ColumnSample:
    """One column's sampled texts with what every field test needs, computed once."""

    texts: list[str]
    shapes: list[Shapes]
    keys: list[str]
    unique: bool
    labels: bool  # a few values repeated over and over ("Main Base", "Satellite-Station")


LABELS_MIN_SAMPLE = 5
LABELS_REPEAT = 3  # each distinct value on three or more sampled cells, on average


def column_sample(reader: ShapeReader, texts: list[str]) -> ColumnSample:
    distinct = len({t.casefold() for t in texts})
    return ColumnSample(texts, [reader.shapes(t) for t in texts], [_key(t) for t in texts],
                        len(set(texts)) >= 0.5 * len(texts),
                        len(texts) >= LABELS_MIN_SAMPLE and distinct * LABELS_REPEAT <= len(texts))


def field_value_score(spec: FieldSpec, profile: Profile,
                      sample: ColumnSample) -> tuple[float | None, float]:
    """(mean score, share of sampled cells that clearly fit) for one field; (None, 0)
    when the field has no content test or the sample is empty."""
    if not sample.texts:
        return None, 0.0
    if spec.kind == "region" or spec.allowed_values:
        known = _known_values(spec, profile)
        share = sum(1 for key in sample.keys if key in known) / len(sample.keys)
        return share, share
    shape = _KIND_SHAPE.get(spec.kind)
    if shape is None:
        return None, 0.0
    if spec.kind == "person" and sample.labels:
        return 0.0, 0.0  # people do not repeat like labels: a person column never does
    scores = [getattr(s, shape) for s in sample.shapes]
    if spec.kind == "identifier" and not sample.unique:
        scores = [v * 0.5 for v in scores]
    mean = sum(scores) / len(scores)
    return mean, sum(1 for v in scores if v >= 0.6) / len(scores)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _known_values(spec: FieldSpec, profile: Profile) -> frozenset[str]:
    aliases = tuple(profile.region_aliases) if spec.kind == "region" else ()
    return _known(tuple(spec.allowed_values or ()), aliases)


@lru_cache(maxsize=256)
def _known(allowed: tuple[str, ...], aliases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_key(v) for v in (*allowed, *aliases))
