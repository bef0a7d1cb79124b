"""Vectorised text kernels for entity resolution: words, codes and per-owner joins, in
pyarrow and numpy instead of a Python loop per value.

Contract: a text column becomes flat arrays: ``owner`` (the index of the value each word
came from, ascending) and ``words`` (a pyarrow string array). ``encode`` turns strings
into integer codes (-1: missing or empty) plus their vocabulary, ``ranked`` does the same
with the vocabulary sorted (code order is alphabetical order), ``joined`` glues each
owner's words back into one string, ``ranges`` gathers slices of a flat array; ``digits``
and ``alphanumeric_upper`` keep a value's digits, or its letters (upper-cased) and digits,
through a byte table over the whole string buffer. Strings stay in pyarrow: a Python
``str`` per value is made only where a Python scorer needs it.

Pitfalls: ``strings`` maps anything that is not a non-empty ``str`` to null, as the
per-value code did. ``plain_words`` folds accents with NFKD and drops what is left
outside ASCII, exactly as ``unicodedata.normalize`` + ``encode("ascii", "ignore")`` did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

THREADS = 2  # threads a step runs its kernels on (they release the GIL): this machine's cores


@contextmanager
def system_pool() -> Iterator[None]:
    """Arrow allocations on the C allocator for the block: the default pool (mimalloc)
    keeps the pages of freed buffers, and a burst of short-lived ones (these kernels)
    leaves some 20 MB resident per 20,000 rows that the system allocator gives back."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def strings(values) -> pa.Array:
    """A pyarrow string array of ``values``; non-strings and "" become null."""
    values = np.asarray(values, dtype=object)
    try:
        array = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array([v if isinstance(v, str) else None for v in values.tolist()],
                         type=pa.string())
    if not pc.any(pc.equal(array, "")).as_py():  # a copy only when there is an ""
        return array
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


BATCH = 1 << 15  # values per pass of plain_words
_WORD_BYTES = np.full(256, ord(" "), dtype=np.uint8)  # byte -> itself lower-cased or " "
_WORD_BYTES[list(b"abcdefghijklmnopqrstuvwxyz0123456789")] = list(
    b"abcdefghijklmnopqrstuvwxyz0123456789")
_WORD_BYTES[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")] = list(b"abcdefghijklmnopqrstuvwxyz")


def plain_words(text: pa.Array, ampersand: bool = False,
                fold: bool = True) -> tuple[np.ndarray, pa.Array]:
    """(owner, words): the lower-case ASCII letter/digit runs of every value ("&": "and").
    ``fold``: accents folded (NFKD) and other non-ASCII dropped first, so "Émile" is
    "emile"; otherwise a non-ASCII character separates words. The runs are cut with a
    byte table over the whole string buffer, not a regular expression per value; a
    ``BATCH`` of values at a time, so Arrow's scratch buffers stay small."""
    if len(text) > BATCH:
        parts = [plain_words(text.slice(start, BATCH), ampersand, fold)
                 for start in range(0, len(text), BATCH)]
        return (np.concatenate([owner + start for (owner, _), start in
                                zip(parts, range(0, len(text), BATCH), strict=True)]),
                pa.concat_arrays([words for _, words in parts]))
    if fold:
        outside = np.flatnonzero(~pc.string_is_ascii(text).fill_null(True).to_numpy(
            zero_copy_only=False))
        if outside.size:
            folded = pc.replace_substring_regex(
                pc.utf8_normalize(text.take(pa.array(outside)), "NFKD"), r"[^\x00-\x7f]+", "")
            mask = np.zeros(len(text), dtype=bool)
            mask[outside] = True
            text = pc.replace_with_mask(text, pa.array(mask), folded)
    if ampersand:
        text = pc.replace_substring(text, "&", " and ")
    return split(_map_bytes(text, _WORD_BYTES), " ")


def _map_bytes(text: pa.Array, table: np.ndarray) -> pa.Array:
    """``text`` with every byte replaced by ``table[byte]`` (ASCII out: still UTF-8); a
    byte the table maps to 0 is dropped."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    validity, offsets, data = text.buffers()
    if data is None:
        return text
    mapped = table[np.frombuffer(data, dtype=np.uint8)]
    if table.all():
        return pa.StringArray.from_buffers(len(text), offsets, pa.py_buffer(mapped), validity,
                                           text.null_count, text.offset)
    offsets = np.frombuffer(offsets, dtype=np.int32)[text.offset:text.offset + len(text) + 1]
    kept = np.zeros(mapped.size + 1, dtype=np.int32)
    np.cumsum(mapped != 0, out=kept[1:])
    validity = text.is_valid().buffers()[1] if text.null_count else None
    return pa.StringArray.from_buffers(len(text), pa.py_buffer(kept[offsets]),
                                       pa.py_buffer(mapped[mapped != 0]), validity,
                                       text.null_count)


_DIGIT_BYTES = np.zeros(256, dtype=np.uint8)  # byte -> itself if an ASCII digit, or dropped
_DIGIT_BYTES[list(b"0123456789")] = list(b"0123456789")


def digits(text: pa.Array) -> pa.Array:
    """Each value's ASCII digits, in order ("hangar 3b": "3")."""
    return _map_bytes(text, _DIGIT_BYTES)


_ALPHANUMERIC_UPPER = np.zeros(256, dtype=np.uint8)  # byte -> itself upper-cased, or dropped
_ALPHANUMERIC_UPPER[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] = list(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_ALPHANUMERIC_UPPER[list(b"abcdefghijklmnopqrstuvwxyz")] = list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def alphanumeric_upper(text: pa.Array) -> pa.Array:
    """Each value upper-cased with everything but A-Z and 0-9 removed ("ab-12/x": "AB12"):
    a byte table over ASCII values; the rare others take Unicode upper-casing first (its
    "ı" is "I") and a regular expression."""
    ascii_only = pc.string_is_ascii(text).fill_null(True)
    if pc.all(ascii_only).as_py():
        return _map_bytes(text, _ALPHANUMERIC_UPPER)
    other = pc.replace_substring_regex(pc.utf8_upper(text), "[^A-Z0-9]+", "")
    return pc.if_else(ascii_only, _map_bytes(text, _ALPHANUMERIC_UPPER), other)


def last_part(text: pa.Array, separator: str, max_splits: int | None = None) -> pa.Array:
    """What follows the last ``separator`` (of the first ``max_splits``) in each value;
    a value without one is kept whole (``str.rsplit(separator, 1)[-1]``)."""
    lists = pc.split_pattern(text, separator, max_splits=max_splits)
    offsets = lists.offsets.to_numpy()
    last = offsets[1:] - 1
    return lists.values.take(pa.array(last, mask=np.diff(offsets) == 0))


def first_part(text: pa.Array, separator: str) -> pa.Array:
    """What precedes the first ``separator`` (``str.split(separator, 1)[0]``)."""
    lists = pc.split_pattern(text, separator, max_splits=1)
    offsets = lists.offsets.to_numpy()
    return lists.values.take(pa.array(offsets[:-1], mask=np.diff(offsets) == 0))


def split(text: pa.Array, separator: str) -> tuple[np.ndarray, pa.Array]:
    """(owner, parts) of ``text`` split on ``separator``; empty parts dropped."""
    lists = pc.split_pattern(text, separator)
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    offsets = lists.offsets.to_numpy()
    owner = np.repeat(np.arange(len(lists), dtype=np.int64), np.diff(offsets))
    parts = lists.values[offsets[0]:offsets[-1]]
    keep = pc.not_equal(parts, "").to_numpy(zero_copy_only=False)
    if keep.all():
        return owner, parts
    return owner[keep], parts.filter(pa.array(keep))


def encode(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(int32 code per value, -1 for null or ""; the vocabulary, still in Arrow: a Python
    string per value is the slow part, so only a caller that needs them builds them)."""
    codes, vocabulary = factorize(values)
    empty = pc.index(vocabulary, "").as_py()  # "" stays in the vocabulary, unused
    if empty >= 0:
        codes[codes == empty] = -1
    return codes, vocabulary


def factorize(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(int32 index of each value into the distinct values, -1 for null; the distinct
    values in order of first appearance): ``pd.factorize`` without a Python string each."""
    encoded = values.dictionary_encode()
    return encoded.indices.fill_null(-1).to_numpy().astype(np.int32), encoded.dictionary


def ranked(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(int32 code per value, sorted vocabulary): comparing codes compares the strings."""
    encoded = values.dictionary_encode()
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(order.size, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int32)
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1).astype(np.int32), \
        encoded.dictionary.take(pa.array(order))


def joined(owner: np.ndarray, words: pa.Array, size: int, separator: str = " ") -> pa.Array:
    """One string per owner ``0..size-1``: its words (flat, grouped by owner) joined; owners
    without words get ""."""
    offsets = np.zeros(size + 1, dtype=np.int32)
    np.cumsum(np.bincount(owner, minlength=size), out=offsets[1:])
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), words), separator)


def sorted_joined(owner: np.ndarray, rank: np.ndarray, vocabulary: pa.Array, size: int,
                  separator: str = " ") -> pa.Array:
    """Each owner's words in vocabulary order (``rank`` indexes ``vocabulary``), joined."""
    order = by_owner_then(owner, rank)
    return joined(owner[order], vocabulary.take(pa.array(rank[order])), size, separator)


def by_owner_then(owner: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """``np.lexsort((rank, owner))`` for non-negative ``owner`` and ``rank``, as a stable
    sort of one combined key: several times faster, most of all when ``owner`` ascends
    already (the key is then nearly in order)."""
    width = int(rank.max()) + 1 if rank.size else 1
    return np.argsort(owner.astype(np.int64) * width + rank, kind="stable")


def distinct(values: np.ndarray, kind: str = "quicksort") -> np.ndarray:
    """The sorted distinct values (``np.unique`` without ``return_*``: numpy 2.4 hashes
    there, some ten times slower than sorting on millions of integers). ``kind="stable"``
    for values that are a few sorted runs end to end: the merge sort takes the runs as
    they are, several times faster than quicksort."""
    ordered = np.sort(values, kind=kind)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Flat indices ``starts[i] .. starts[i] + lengths[i] - 1`` for every ``i``, in order."""
    lengths = lengths.astype(np.int64)
    total = int(lengths.sum())
    shift = np.repeat(starts.astype(np.int64) - np.cumsum(lengths) + lengths, lengths)
    return shift + np.arange(total, dtype=np.int64)
