"""Header evidence: how strongly a column header names each profile field.

Contract: ``HeaderScorer(profile).scores(header)`` returns ``{field: score}`` in 0..1
(cached per header text) with the method that gave it: ``synonym`` (the header is a
synonym, label or field name, after normalising case, accents, punctuation and common
abbreviations: tel, cell, mob, web, co, org, reg no, ...) scores 1.0; ``words`` (every
word of a synonym is in the header, e.g. "E-mail (primary contact)" holds "email")
scores 0.9 less 0.1 per unexplained header word, or 0.5 when the words are only in a
bracketed qualifier; a partial overlap scores at most 0.45; ``fuzzy`` (rapidfuzz ratio
above ``mapping.fuzzy_threshold``: typos) scores 0.9 x ratio. Besides the profile
fields, the person-name parts ``FIRST_NAME`` and ``LAST_NAME`` are scored, so separate
name columns can compose ``contact_name``.

Pitfalls: words are compared by a five-letter stem (after a plural "s") so "registered"/"registration" and
"organisation"/"organization" meet; stop words (of, the, ...) never count; placeholder
headers ("Unnamed: 3", "Column 7") score nothing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz, process

from hotpass.profiles.model import Profile

FIRST_NAME = "__first_name"
LAST_NAME = "__last_name"
PERSON_PARTS = {
    FIRST_NAME: ["first name", "firstname", "given name", "forename", "first names",
                 "name first", "christian name"],
    LAST_NAME: ["last name", "lastname", "surname", "family name", "name last"],
}
ABBREVIATIONS = {
    "tel": "telephone", "tele": "telephone", "ph": "phone", "phn": "phone", "cel": "cellphone",
    "cell": "cellphone", "mob": "mobile", "web": "website", "www": "website", "url": "website",
    "co": "company", "coy": "company", "comp": "company", "org": "organisation",
    "orgs": "organisations", "reg": "registration", "regn": "registration", "no": "number",
    "nr": "number", "num": "number", "addr": "address", "prov": "province", "desc": "description",
    "acc": "account", "acct": "account", "mgr": "manager", "email": "email", "mail": "mail",
    "emails": "email", "phones": "phone", "ref": "reference", "dob": "birth",
}
STOP_WORDS = frozenset({"of", "the", "a", "an", "for", "to", "in", "on", "at", "by", "if",
                        "any", "our", "your", "its", "is", "s"})
_PLACEHOLDER = re.compile(r"^(unnamed: ?\d+|column ?\d+|field ?\d+|col ?\d+)$", re.I)
_BRACKETED = re.compile(r"[(\[{]([^)\]}]*)[)\]}]")


def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\be[\s-]?mail", "email", text).replace("#", " number ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _expand(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend(ABBREVIATIONS.get(word, word).split())
    return out


def _stems(text: str) -> frozenset[str]:
    words = _expand(normalise_header(text).split())
    return frozenset(_stem(w) for w in words if w not in STOP_WORDS)


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]  # notes -> note, contacts -> contact
    return word[:5]


def expanded(text: str) -> str:
    return " ".join(_expand(normalise_header(text).split()))


class HeaderScorer:
    """Header scores for one profile's fields plus the person-name parts."""

    def __init__(self, profile: Profile) -> None:
        self.threshold = profile.mapping.fuzzy_threshold
        phrases: dict[str, list[str]] = {
            name: [name.replace("_", " "), spec.label, *spec.synonyms]
            for name, spec in profile.fields.items()}
        phrases.update(PERSON_PARTS)
        self.fields = list(phrases)
        self.exact: dict[str, str] = {}
        self.stemmed: list[tuple[str, frozenset[str]]] = []
        for field, texts in phrases.items():
            for text in texts:
                for key in (normalise_header(text), expanded(text)):
                    self.exact.setdefault(key, field)
                    self.exact.setdefault(key.replace(" ", ""), field)
                stems = _stems(text)
                if stems:
                    self.stemmed.append((field, stems))
        self.phrases = [p for p in self.exact if " " in p or len(p) >= 4]
        self.scores = lru_cache(maxsize=4096)(self._scores)

    def _scores(self, header: str) -> dict[str, tuple[float, str]]:
        """{field: (score, method)} for every field with any header evidence."""
        if not header or _PLACEHOLDER.match(header.strip()):
            return {}
        out: dict[str, tuple[float, str]] = {}
        phrase = normalise_header(header)
        for key in (phrase, expanded(header), phrase.replace(" ", "")):
            if key in self.exact:
                out[self.exact[key]] = (1.0, "synonym")
        main = _stems(_BRACKETED.sub(" ", header))
        qualifier = _stems(" ".join(_BRACKETED.findall(header))) - main
        self._word_scores(out, main, qualifier)
        if _stem("number") in main and max((v for v, _ in out.values()), default=0.0) < 0.6:
            # "Acc. No.", "Account #": a number that names nothing else is an id
            self._word_scores(out, (main - {_stem("number")}) | {"id"}, qualifier)
        if len(phrase) >= 4:
            best = process.extractOne(phrase, self.phrases, scorer=fuzz.ratio,
                                      score_cutoff=self.threshold)
            if best is not None:
                field, score = self.exact[best[0]], round(0.9 * best[1] / 100, 3)
                if score > out.get(field, (0.0, ""))[0]:
                    out[field] = (score, "fuzzy")
        return out


    def _word_scores(self, out: dict[str, tuple[float, str]], main: frozenset[str],
                     qualifier: frozenset[str]) -> None:
        for field, stems in self.stemmed:
            score = _word_score(stems, main, qualifier)
            if score > out.get(field, (0.0, ""))[0]:
                out[field] = (score, "words")


def _word_score(synonym: frozenset[str], main: frozenset[str],
                qualifier: frozenset[str]) -> float:
    inside = synonym & main
    if inside == synonym:
        return round(max(0.9 - 0.1 * len(main - synonym), 0.6), 3)
    if synonym <= main | qualifier:
        return 0.5 if not inside else 0.6
    overlap = len(synonym & (main | qualifier)) / len(synonym)
    return round(0.45 * overlap, 3) if overlap else 0.0
