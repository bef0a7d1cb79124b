"""Address evidence for entity resolution: codes, texts and blocking keys per row.

Contract: ``addresses(values)`` (one address text per row, null: none) returns ``(address
code, sorted-words text per code, written-order text per code, code of the first two
words, postcode code)`` per row (-1: none). Words are lower-case ASCII runs with common
street abbreviations spelled out (``STREET_WORDS``: "rd" is "road").

Pitfalls: rows share an address code when their addresses hold the same words in any
order; the Jaro-Winkler levels read the written order of the first such address (a typo
early in the text costs most there). The first-two-words key only blocks: "21 brewster
place frankston" and "21 brewster place summerdale frankstn" share it, "24 farrerplace"
and "24 farrer poace" do not. Work is per distinct address and per distinct word, in
pyarrow/numpy.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hotpass.refine.resolve import textcodes as tc

STREET_WORDS = {"st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
                "dr": "drive", "ln": "lane", "cres": "crescent", "blvd": "boulevard",
                "hwy": "highway", "pl": "place", "sq": "square", "ext": "extension"}


def addresses(values: pa.Array):
    """(address code, sorted-words text per code, written-order text per code, code of the
    first two words, postcode code) per row: rows share an address code when their
    addresses hold the same words in any order (the written order of the first such
    address is kept). The postcode is the last 4-6 digit word after the first (the first
    is usually a street number)."""
    row, distinct = tc.factorize(values)
    size = len(distinct)
    owner, words = tc.plain_words(distinct, fold=False)
    code, vocabulary = tc.encode(words)
    plain = vocabulary.to_pylist()
    rank, mapped = tc.ranked(pa.array([STREET_WORDS.get(w, w) for w in plain], type=pa.string()))
    per_row = np.append(np.arange(size), -1)[row]
    address, text = tc.encode(tc.sorted_joined(owner, rank[code], mapped, size))
    written = tc.joined(owner, mapped.take(pa.array(rank[code])), size)
    codes, at = np.unique(address, return_index=True)
    first = np.zeros(len(text), dtype=np.int64)  # "" (unused, as encode keeps it): any row
    first[codes[codes >= 0]] = at[codes >= 0]
    words = written.take(pa.array(first))
    count = np.bincount(owner, minlength=size)
    position = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    two = position < 2
    lead, _ = tc.encode(pc.if_else(pa.array(count >= 2), tc.joined(
        owner[two], mapped.take(pa.array(rank[code[two]])), size), None))
    postal = np.array([w.isdigit() and 4 <= len(w) <= 6 for w in plain], dtype=bool)
    candidate = np.flatnonzero(postal[code] & (position >= 1))[::-1]
    postcode = np.full(size + 1, -1, dtype=np.int32)
    found, last = np.unique(owner[candidate], return_index=True)
    postcode[found] = code[candidate[last]]
    return (np.append(address, -1)[per_row].astype(np.int32), text, words,
            np.append(lead, -1)[per_row].astype(np.int32), postcode[per_row])
