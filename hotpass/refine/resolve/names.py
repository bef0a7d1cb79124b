"""Organisation names as words: the name key and the match words, for every distinct name
of a column at once (pyarrow/numpy kernels from ``textcodes``, no loop per name).

Contract: ``name_words(names, suffixes)`` returns ``Names``: per row the index of its
distinct name (-1: none); per distinct name its key (lower-case ASCII words, punctuation
gone, trailing legal suffixes and a leading "the" stripped, "&" read as "and"); and its
match words (abbreviations expanded, "and"/"the"/"of" dropped unless nothing else is left)
as flat ``owner``/``word`` arrays in name order, ``word`` a rank into the sorted
``vocabulary``. ``name_key(name, suffixes)`` is the key of one name; ``name_keys`` of a
Series, per row.

Pitfalls: record ids are hashes of the key, so the vectorised path and ``name_key`` must
agree on every input (a test compares them on awkward names). A suffix is stripped only
while a word is left; the loop strips one suffix per name per round, longest first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from hotpass.refine.resolve import textcodes as tc

# Abbreviations operators type for whole words (compared after expansion).
ABBREVIATIONS = {
    "intl": "international", "natl": "national",
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
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass
class Names:
    row: np.ndarray  # int32 per row: its distinct name (-1: no name)
    size: int  # distinct names
    key: np.ndarray  # object: name key per distinct name ("" when no word is left)
    owner: np.ndarray  # int64 per match word: its distinct name (ascending)
    word: np.ndarray  # int32 per match word: rank into ``vocabulary``
    vocabulary: pa.Array  # match words, sorted


def name_key(name: str | None, suffixes: list[str] | tuple[str, ...]) -> str:
    """Lower-case ASCII words without punctuation or trailing legal suffixes."""
    if not isinstance(name, str) or not name:
        return ""
    text = name if name.isascii() else (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())
    words = _NON_ALNUM.sub(" ", text.lower().replace("&", " and ")).split()
    suffix_words = _suffix_words(tuple(suffixes))
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for suffix in suffix_words:
            if len(words) > len(suffix) and tuple(words[-len(suffix):]) == suffix:
                words = words[: -len(suffix)]
                stripped = True
                break
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    return " ".join(words)


def name_keys(names, suffixes: list[str]):
    """``name_key`` per row of a Series."""
    import pandas as pd

    found = name_words(names, suffixes)
    keys = np.append(found.key, "")[found.row]  # -1 (no name) -> ""
    return pd.Series(keys, index=names.index, dtype=object)


def name_words(names, suffixes: list[str] | tuple[str, ...]) -> Names:
    row, distinct = tc.factorize(tc.strings(names))
    size = len(distinct)
    owner, words = tc.plain_words(distinct, ampersand=True)
    code, vocabulary = tc.encode(words)
    vocabulary = vocabulary.to_numpy(zero_copy_only=False)
    count = np.bincount(owner, minlength=size)
    first = np.cumsum(count) - count
    length = _strip(code, first, count.copy(), {w: i for i, w in enumerate(vocabulary)},
                    _suffix_words(tuple(suffixes)))
    the = np.flatnonzero(vocabulary == "the")
    if the.size and code.size:
        leading = (length > 1) & (code[np.minimum(first, code.size - 1)] == the[0])
        first, length = first + leading, length - leading
    key_owner = np.repeat(np.arange(size, dtype=np.int64), length)
    key_at = tc.ranges(first, length)
    key_word = code[key_at]
    key = tc.joined(key_owner, words.take(pa.array(key_at)), size).to_numpy(
        zero_copy_only=False)
    expanded = [ABBREVIATIONS.get(w, w) for w in vocabulary.tolist()]
    rank, match_vocabulary = tc.ranked(pa.array(expanded, type=pa.string()))
    stop = np.array([w in STOP_WORDS for w in expanded], dtype=bool)[key_word]
    content = np.bincount(key_owner[~stop], minlength=size)
    keep = ~stop | (content[key_owner] == 0)  # "The And" keeps its words
    return Names(row.astype(np.int32), size, key, key_owner[keep], rank[key_word[keep]],
                 match_vocabulary)


def _strip(code: np.ndarray, first: np.ndarray, length: np.ndarray, index: dict[str, int],
           suffix_words: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """Word counts per name once trailing suffixes are stripped (``name_key``'s loop, one
    suffix per name per round over all names at once)."""
    suffixes = [np.array([index[w] for w in words]) for words in suffix_words
                if words and all(w in index for w in words)]
    if not suffixes:
        return length
    endings = np.unique([s[-1] for s in suffixes])
    while True:
        live = np.flatnonzero(length > 1)
        live = live[np.isin(code[first[live] + length[live] - 1], endings)]
        stripped = np.zeros(length.size, dtype=bool)
        for suffix in suffixes:
            k = suffix.size
            at = live[~stripped[live] & (length[live] > k)]
            end = first[at] + length[at]
            match = np.ones(at.size, dtype=bool)
            for j in range(k):
                match &= code[end - k + j] == suffix[j]
            length[at[match]] -= k
            stripped[at[match]] = True
        if not stripped.any():
            return length


@lru_cache(maxsize=64)
def _suffix_words(suffixes: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    plain = (re.sub(r"[^a-z0-9]+", " ", s.lower()).split() for s in suffixes if s.strip())
    return tuple(sorted((tuple(words) for words in plain), key=len, reverse=True))
