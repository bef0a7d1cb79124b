"""Evidence per input row for entity resolution, as integer codes numpy can compare.

Contract: ``build_features(frame, profile, name_keys)`` returns ``Features``: for every row
a name (match key: suffix-stripped name key, abbreviations expanded, "and"/"the" dropped,
words sorted, so swapped words compare equal), its phonetic key (jellyfish Metaphone per
word), up to ``SLOTS`` E.164 phones, e-mail addresses and organisation domains (website
host plus non-free-mail e-mail domains), one registration id and one address. Every value
is a code (-1: missing) into a per-field vocabulary; ``counts[field][code]`` is how many
rows hold the value (term frequencies).

Pitfalls: free-mail hosts and the profile's ``dedupe.shared_domains`` are dropped here, so
they can neither block nor score. Work is per distinct value (exports repeat values
heavily); a row with more than ``SLOTS`` phones or e-mails keeps the first ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from hotpass.profiles import Profile
from hotpass.refine.model import EXTRA_EMAILS, EXTRA_PHONES

SLOTS = 3
WORDS = 8
# Providers whose mailboxes anyone can open: a shared host says nothing about the employer.
FREE_MAIL = frozenset((
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com",
    "hotmail.co.uk", "outlook.com", "live.com", "live.co.za", "msn.com", "icloud.com",
    "me.com", "aol.com", "gmx.com", "gmx.net", "mail.com", "proton.me", "protonmail.com",
    "zoho.com", "yandex.com", "mweb.co.za", "telkomsa.net", "webmail.co.za", "vodamail.co.za",
    "iafrica.com", "absamail.co.za", "lantic.net", "cybersmart.co.za", "afrihost.co.za",
))
# Abbreviations operators type for whole words (compared after expansion).
ABBREVIATIONS = {
    "intl": "international", "int'l": "international", "natl": "national",
    "svcs": "services", "svc": "services", "serv": "services", "mgmt": "management",
    "mngt": "management", "eng": "engineering", "engg": "engineering", "assoc": "associates",
    "bros": "brothers", "tech": "technologies", "techs": "technologies", "dev": "development",
    "grp": "group", "hldgs": "holdings", "hldg": "holdings", "ent": "enterprises",
    "mfg": "manufacturing", "dist": "distribution", "distr": "distribution",
    "cons": "consulting", "const": "construction", "constr": "construction",
    "trans": "transport", "elec": "electrical", "univ": "university", "st": "saint",
    "centre": "center", "ctr": "center", "med": "medical", "prop": "properties",
    "props": "properties", "inv": "investments", "invest": "investments",
}
STOP_WORDS = frozenset(("and", "the", "of", "for", "en"))
STREET_WORDS = {"st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
                "dr": "drive", "ln": "lane", "cres": "crescent", "blvd": "boulevard",
                "hwy": "highway", "pl": "place", "sq": "square", "ext": "extension"}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class Features:
    size: int
    name: np.ndarray  # code of the match key per row
    phonetic: np.ndarray  # code of the phonetic key per row
    lead: np.ndarray  # code of the name's first two words (a dropped later word keeps it)
    heads: np.ndarray  # code of the words' first three letters, sorted
    tails: np.ndarray  # code of the words' last three letters, sorted
    name_text: list[str]  # match key per name code
    name_tokens: list[frozenset[str]]  # words per name code
    name_words: np.ndarray  # (name codes, WORDS) word codes, -1 pads
    name_digits: np.ndarray  # code of the digits in each name code ("Hangar 3": "3")
    phone: np.ndarray  # (rows, SLOTS)
    email: np.ndarray  # (rows, SLOTS)
    domain: np.ndarray  # (rows, SLOTS)
    registration: np.ndarray
    registration_text: list[str]  # id per registration code
    address: np.ndarray
    address_text: list[str]  # sorted address words per address code
    postcode: np.ndarray
    counts: dict[str, np.ndarray] = field(default_factory=dict)


def match_words(name_key: str) -> list[str]:
    """Words of a name key with abbreviations expanded and stop words dropped, in order."""
    words = [ABBREVIATIONS.get(w, w) for w in name_key.split()]
    return [w for w in words if w not in STOP_WORDS] or words


def match_key(name_key: str) -> str:
    return " ".join(sorted(match_words(name_key)))


def phonetic_key(key: str) -> str:
    import jellyfish

    return " ".join(sorted(jellyfish.metaphone(w) or w for w in key.split()))


def build_features(frame, profile: Profile, name_keys) -> Features:
    import pandas as pd

    size = len(frame)
    distinct = pd.unique(name_keys)
    matched = {k: match_key(k) if k else "" for k in distinct}
    keys = np.array([matched[k] for k in name_keys], dtype=object)
    name, texts = _codes(keys)
    lead_of = {k: " ".join(match_words(k)[:2]) if k else "" for k in distinct}
    lead, _ = _codes(np.array([lead_of[k] for k in name_keys], dtype=object))
    phon_of = {t: phonetic_key(t) for t in texts}
    phonetic, _ = _codes(np.array([phon_of[t] if t else "" for t in keys], dtype=object))
    head_of = {t: " ".join(sorted(w[:3] for w in t.split())) for t in texts}
    tail_of = {t: " ".join(sorted(w[-3:] for w in t.split())) for t in texts}
    heads, _ = _codes(np.array([head_of[t] if t else "" for t in keys], dtype=object))
    tails, _ = _codes(np.array([tail_of[t] if t else "" for t in keys], dtype=object))
    spec = profile.dedupe
    shared = {d.lower() for d in spec.shared_domains} | FREE_MAIL
    phones = _multi(frame, profile.fields_of_kind("phone"), EXTRA_PHONES)
    emails = _multi(frame, profile.fields_of_kind("email"), EXTRA_EMAILS)  # lower-cased
    sites = _single(frame, profile.fields_of_kind("website"))
    domains = []
    for site, mails in zip(sites, emails, strict=True):
        hosts = [_host(site)] if site else []
        hosts += [m.rsplit("@", 1)[-1] for m in mails if "@" in m]
        domains.append(list(dict.fromkeys(h for h in hosts if h and h not in shared)))
    join_keys = {j.key for j in profile.joins}
    ids = _single(frame, [f for f in profile.fields_of_kind("identifier") if f not in join_keys])
    plain = {v: re.sub(r"[^A-Z0-9]", "", v.upper()) for v in set(ids) if v}
    reg = np.array([plain[v] if v else "" for v in ids], dtype=object)
    addresses = _single(frame, [f for f in profile.fields if "address" in f])
    address_words = {a: [STREET_WORDS.get(w, w) for w in _WORD.findall(a.lower())]
                     for a in set(addresses) if a}
    address_key = np.array([" ".join(sorted(address_words[a])) if a else "" for a in addresses],
                           dtype=object)
    postcode = np.array([_postcode(address_words[a]) if a else "" for a in addresses],
                        dtype=object)
    features = Features(
        size=size, name=name, phonetic=phonetic, lead=lead, heads=heads, tails=tails, name_text=texts,
        name_tokens=[frozenset(t.split()) for t in texts],
        name_words=_slots([t.split()[:WORDS] for t in texts], WORDS),
        name_digits=_codes(np.array(["".join(c for c in t if c.isdigit()) or "-"
                                     for t in texts], dtype=object))[0],
        phone=_slots(phones), email=_slots(emails), domain=_slots(domains),
        registration=np.zeros(0), registration_text=[], address=np.zeros(0), address_text=[],
        postcode=_codes(postcode)[0])
    features.address, features.address_text = _codes(address_key)
    features.registration, features.registration_text = _codes(reg)
    for kind in ("name", "phone", "email", "domain", "registration", "address",
                 "postcode"):
        codes = getattr(features, kind).ravel()
        codes = codes[codes >= 0]
        features.counts[kind] = np.bincount(codes) if codes.size else np.zeros(0, np.int64)
    return features


def _codes(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer code per value ("" and None: -1) and the vocabulary."""
    import pandas as pd

    series = pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(series.where(series != "", None), use_na_sentinel=True)
    return codes.astype(np.int64), list(uniques)


def _single(frame, fields: list[str]) -> list[str | None]:
    """First non-empty value of ``fields`` per row."""
    present = [f for f in fields if f in frame]
    if not present:
        return [None] * len(frame)
    column = frame[present[0]]
    for other in present[1:]:
        column = column.where(column.notna(), frame[other])
    return [v if isinstance(v, str) and v else None for v in column]


def _multi(frame, fields: list[str], extra: str) -> list[list[str]]:
    columns = [frame[f].tolist() for f in fields if f in frame]
    if extra in frame:
        columns.append([v.split("; ") if isinstance(v, str) and v else None
                        for v in frame[extra]])
    out: list[list[str]] = []
    for cells in zip(*columns, strict=True) if columns else ([] for _ in range(len(frame))):
        row: list[str] = []
        for cell in cells:
            if isinstance(cell, list):
                row.extend(cell)
            elif isinstance(cell, str) and cell:
                row.append(cell)
        out.append(row)
    return out


def _slots(rows: list[list[str]], width: int = SLOTS) -> np.ndarray:
    """(rows, width) codes into one vocabulary of every value; -1 pads."""
    import pandas as pd

    flat = [v for row in rows for v in row[:width]]
    codes, _ = pd.factorize(pd.Series(flat, dtype=object))
    out = np.full((len(rows), width), -1, dtype=np.int64)
    lengths = np.array([min(len(r), width) for r in rows], dtype=np.int64)
    row_index = np.repeat(np.arange(len(rows)), lengths)
    slot = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[row_index, slot] = codes
    return out


def _host(site: str) -> str:
    host = site.split("://", 1)[-1].split("/", 1)[0].lower()
    return host.removeprefix("www.")


def _postcode(words: list[str]) -> str:
    """A 4-6 digit word after the first (the first is usually a street number)."""
    for word in reversed(words[1:]):
        if word.isdigit() and 4 <= len(word) <= 6:
            return word
    return ""
