"""Evidence per input row for entity resolution, as integer codes numpy can compare.

Contract: ``build_features(frame, profile)`` returns ``Features``: for every row its name
key (``names``: the merge reuses it) and the codes of its name (match key: match words
sorted, so swapped words compare equal), phonetic key (jellyfish Metaphone per word), first
two match words, the words' first and last three letters, up to ``SLOTS`` E.164 phones,
e-mail addresses and organisation domains (website host plus non-free-mail e-mail
domains), one registration id, one address (``addresses``: sorted words, its first two
words, its postcode) and the region (province or state, lower-cased). Every value is
a code (-1: missing) into a per-field vocabulary; ``counts[field][code]`` is how many rows
hold it (term frequencies); phones, ids and addresses keep their texts per code (the
edit-distance and Jaro-Winkler levels read them). Per name code: its text, its sorted match words (CSR:
``name_word[name_ptr[c]:name_ptr[c + 1]]``, ranks into ``name_vocabulary``) and the code
of the digits in it ("Hangar 3": "3").

Pitfalls: free-mail hosts and the profile's ``dedupe.shared_domains`` are dropped here, so
they can neither block nor score. The phonetic, heads and tails keys only block: each is a
sum of random 64-bit numbers, one per word (a multiset, so word order is free); two
different names sharing one would only add a candidate pair, with odds of 2**-64. Work is
per distinct value and per distinct word, in pyarrow/numpy kernels (``textcodes``); a row
with more than ``SLOTS`` phones or e-mails keeps the first ones. Names, contacts and
ids/addresses are built on three threads (the kernels release the GIL), so nothing the
three share may be written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hotpass.profiles.model import Profile
from hotpass.refine.heap import release_free_memory
from hotpass.refine.model import EXTRA_EMAILS, EXTRA_PHONES
from hotpass.refine.resolve import textcodes as tc
from hotpass.refine.resolve.addresses import addresses
from hotpass.refine.resolve.names import name_words

SLOTS = 3
# Providers whose mailboxes anyone can open: a shared host says nothing about the employer.
FREE_MAIL = frozenset((
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com",
    "hotmail.co.uk", "outlook.com", "live.com", "live.co.za", "msn.com", "icloud.com",
    "me.com", "aol.com", "gmx.com", "gmx.net", "mail.com", "proton.me", "protonmail.com",
    "zoho.com", "yandex.com", "mweb.co.za", "telkomsa.net", "webmail.co.za", "vodamail.co.za",
    "iafrica.com", "absamail.co.za", "lantic.net", "cybersmart.co.za", "afrihost.co.za",
))

@dataclass
class Features:
    size: int
    name_key: np.ndarray  # object per row: the name key ("" without a name)
    name: np.ndarray  # int32 code of the match key per row
    phonetic: np.ndarray  # code of the phonetic key per row
    lead: np.ndarray  # code of the first two match words (a dropped later word keeps it)
    heads: np.ndarray  # code of the words' first three letters, sorted
    tails: np.ndarray  # code of the words' last three letters, sorted
    name_text: np.ndarray  # object: match key per name code
    name_ptr: np.ndarray  # int64 (name codes + 1): CSR offsets into name_word
    name_word: np.ndarray  # int32: sorted match words per name code, ranks
    name_vocabulary: pa.Array  # match words, sorted
    name_digits: np.ndarray  # int32 per name code: code of its digits (-1: none)
    name_signature: np.ndarray  # uint64 per name code: bit (word rank % 64) per word; two
    # names share no word when their signatures share no bit
    phone: np.ndarray  # (rows, SLOTS) int32, column-major: a slot's codes contiguous
    phone_text: pa.Array  # the number per phone code
    phone_digits: np.ndarray  # (phone codes, 10) uint8: each digit's count
    email: np.ndarray  # (rows, SLOTS)
    domain: np.ndarray  # (rows, SLOTS)
    registration: np.ndarray
    registration_text: pa.Array  # id per registration code
    registration_characters: np.ndarray  # (registration codes, 36) uint8: each 0-9A-Z's count
    address: np.ndarray
    address_text: pa.Array  # sorted address words per address code
    address_words: pa.Array  # the address words in their written order per address code
    address_lead: np.ndarray  # code of the address's first two words per row (blocks only)
    postcode: np.ndarray
    region: np.ndarray  # code of the region (province, state) per row
    counts: dict[str, np.ndarray] = field(default_factory=dict)


def build_features(frame, profile: Profile) -> Features:
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd

    size = len(frame)
    spec = profile.dedupe
    with ThreadPoolExecutor(tc.THREADS) as pool:  # the kernels release the GIL
        named = pool.submit(_trimmed, _names, frame.get("organization_name", pd.Series(
            None, index=frame.index, dtype=object)), spec.legal_suffixes)
        places = pool.submit(_trimmed, _ids_and_addresses, frame, profile)
        contacts = _trimmed(_contacts, frame, profile)
        names, name = named.result()
    features = Features(size=size, name_key=np.append(names.key, "")[names.row], **name,
                        **contacts, **places.result())
    for kind in ("name", "phone", "email", "domain", "registration", "address", "postcode",
                 "region"):
        codes = getattr(features, kind).ravel()
        codes = codes[codes >= 0]
        features.counts[kind] = np.bincount(codes) if codes.size else np.zeros(0, np.int64)
    return features


def _trimmed(build, *args):
    """``build(*args)``, its garbage handed back as soon as it is done: the three parts
    run at once, and each one's freed arrays would otherwise stay resident while the
    others still grow (the features' peak at 1,000,000 rows ~1,670 -> ~1,550 MB RSS)."""
    out = build(*args)
    release_free_memory()
    return out


def _names(column, suffixes):
    names = name_words(column, suffixes)
    return names, _name_codes(names)


def _contacts(frame, profile: Profile) -> dict[str, np.ndarray]:
    size = len(frame)
    phones = _values(frame, profile.fields_of_kind("phone"), EXTRA_PHONES)
    emails = _values(frame, profile.fields_of_kind("email"), EXTRA_EMAILS)  # lower-cased
    shared = {d.lower() for d in profile.dedupe.shared_domains} | FREE_MAIL
    phone, phone_text = tc.encode(phones[1])
    return dict(phone=_slots(size, phones[0], phone), phone_text=phone_text,
                phone_digits=_characters(phone_text)[:, :10].copy(),
                email=_slots(size, emails[0], tc.encode(emails[1])[0]),
                domain=_slots(size, *_domains(frame, profile, emails, shared)))


def _ids_and_addresses(frame, profile: Profile) -> dict[str, np.ndarray]:
    join_keys = {j.key for j in profile.joins}
    ids = _single(frame, [f for f in profile.fields_of_kind("identifier") if f not in join_keys])
    registration, registration_text = tc.encode(tc.alphanumeric_upper(ids))
    address, address_text, address_words, address_lead, postcode = addresses(
        _single(frame, [f for f in profile.fields if "address" in f]))
    region = tc.encode(pc.utf8_lower(_single(frame, profile.fields_of_kind("region"))))[0]
    return dict(registration=registration, registration_text=registration_text,
                registration_characters=_characters(registration_text),
                address=address, address_text=address_text, address_words=address_words,
                address_lead=address_lead, postcode=postcode, region=region)


def _name_codes(names) -> dict[str, np.ndarray]:
    """Per-row name codes and per-name-code words, from the distinct names' match words."""
    import jellyfish
    import pandas as pd

    owner, word, vocabulary, size = names.owner, names.word, names.vocabulary, names.size
    order = tc.by_owner_then(owner, word)
    sorted_owner, sorted_word = owner[order], word[order]
    per_row = np.append(np.arange(size, dtype=np.int32), -1)[names.row]  # -1: no name

    count = np.bincount(owner, minlength=size)
    starts = np.cumsum(count) - count
    named = count > 0

    def rows_of(keys: np.ndarray) -> np.ndarray:  # a number per distinct name -> row codes
        codes = pd.factorize(keys)[0].astype(np.int32)
        return np.append(np.where(named, codes, -1), np.int32(-1))[per_row]

    def by_word(mapped: pa.Array) -> np.ndarray:  # blocking key: the multiset of the words
        derived, distinct = tc.factorize(mapped)  # mapped (one value per vocabulary word)
        salt = np.random.default_rng(7).integers(1, 2**63, size=max(len(distinct), 1),
                                                 dtype=np.uint64)
        total = np.zeros(size, dtype=np.uint64)  # a sum of random numbers: order-free
        total[named] = np.add.reduceat(salt[derived[word]], starts[named])
        return rows_of(total)

    match, name_text = tc.encode(tc.joined(sorted_owner, _take(vocabulary, sorted_word), size))
    name_text = name_text.to_numpy(zero_copy_only=False)  # the scorers read Python strings
    empty = np.flatnonzero(name_text == "")  # a name of punctuation only ("---") has no
    if empty.size:  # words: encode keeps its "" unused, so the codes after it close the gap
        match = np.where(match > empty[0], match - 1, match)
        name_text = np.delete(name_text, empty[0])
    second = np.where(count > 1, word[np.minimum(starts + 1, word.size - 1)] + 1, 0)
    lead = rows_of(np.where(named, word[np.minimum(starts, word.size - 1)], 0).astype(np.int64)
                   * (len(vocabulary) + 1) + second)  # the first two words, in order
    digits = tc.digits(vocabulary)
    with_digits = pc.not_equal(digits, "").to_numpy(zero_copy_only=False)[sorted_word]
    digits, _ = tc.encode(tc.joined(sorted_owner[with_digits],
                                    _take(digits, sorted_word[with_digits]), size, ""))
    signature = np.zeros(size, dtype=np.uint64)
    bits = np.left_shift(np.uint64(1), (word % 64).astype(np.uint64))
    signature[named] = np.bitwise_or.reduceat(bits, starts[named])
    codes, first = np.unique(match, return_index=True)  # a distinct name per name code
    first = first[codes >= 0]
    return {"name": np.append(match, -1)[per_row].astype(np.int32),
            "phonetic": by_word(pa.array([jellyfish.metaphone(w) or w
                                          for w in vocabulary.to_pylist()], pa.string())),
            "lead": lead, "heads": by_word(pc.utf8_slice_codeunits(vocabulary, 0, 3)),
            "tails": by_word(pc.utf8_slice_codeunits(vocabulary, -3)),
            "name_text": name_text,
            "name_ptr": np.r_[0, np.cumsum(count[first])].astype(np.int64),
            "name_word": sorted_word[tc.ranges(starts[first], count[first])],
            "name_signature": signature[first],
            "name_vocabulary": vocabulary, "name_digits": digits[first]}


def _take(values: pa.Array, indices: np.ndarray) -> pa.Array:
    return values.take(pa.array(indices))


CHARACTER_BATCH = 1 << 14  # texts per bincount: its counts stay small (16,384 x 36 int64)


def _characters(array: pa.Array) -> np.ndarray:
    """How often each of 0-9 and A-Z occurs in each text (upper-case letters and digits),
    capped at 255; a ``CHARACTER_BATCH`` of texts at a time."""
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    slot = np.full(256, 36, dtype=np.int32)  # 36: a character not counted
    slot[list(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")] = np.arange(36)
    out = np.empty((len(array), 36), dtype=np.uint8)
    for start in range(0, len(array), CHARACTER_BATCH):
        bounds = offsets[start:start + CHARACTER_BATCH + 1]
        texts = bounds.size - 1
        owner = np.repeat(np.arange(texts, dtype=np.int32) * 37, np.diff(bounds))
        counts = np.bincount(owner + slot[data[bounds[0]:bounds[-1]]], minlength=texts * 37)
        out[start:start + texts] = np.minimum(counts.reshape(texts, 37)[:, :36], 255)
    return out


def _single(frame, fields: list[str]) -> pa.Array:
    """First non-empty value of ``fields`` per row (null: none)."""
    present = [f for f in fields if f in frame]
    if not present:
        return pa.nulls(len(frame), pa.string())
    return pc.coalesce(*(tc.strings(frame[f]) for f in present))


def _values(frame, fields: list[str], extra: str) -> tuple[np.ndarray, pa.Array]:
    """(row, value) of every non-empty value of ``fields`` and of the "; "-separated extra
    column, grouped by row; in a row the fields' values come first, in field order."""
    rows, values = [np.empty(0, np.int64)], [pa.array([], pa.string())]
    for name in [f for f in fields if f in frame]:
        column = tc.strings(frame[name])
        valid = column.is_valid()
        rows.append(np.flatnonzero(valid.to_numpy(zero_copy_only=False)))
        values.append(column.filter(valid))
    if extra in frame:
        owner, parts = tc.split(tc.strings(frame[extra]), "; ")
        rows.append(owner)
        values.append(parts)
    row = np.concatenate(rows)
    order = np.argsort(row, kind="stable")
    return row[order], _take(pa.concat_arrays([v.cast(pa.string()) for v in values]), order)


def _domains(frame, profile: Profile, emails, shared: set[str]):
    """(row, domain code): the website host, then the e-mails' domains; shared hosts
    dropped, each once per row."""
    site = _single(frame, profile.fields_of_kind("website"))
    site = pc.utf8_lower(tc.first_part(tc.last_part(site, "://", max_splits=1), "/"))
    site = pc.if_else(pc.starts_with(site, "www."), pc.utf8_slice_codeunits(site, 4), site)
    site_rows = np.flatnonzero(site.is_valid().to_numpy(zero_copy_only=False))
    mail_rows, mails = emails
    at = pc.match_substring(mails, "@").to_numpy(zero_copy_only=False)
    hosts = tc.last_part(mails.filter(pa.array(at)), "@")
    row = np.r_[site_rows, mail_rows[at]]
    order = np.argsort(row, kind="stable")  # a row's website host first
    row = row[order]
    hosts = pa.concat_arrays([site.filter(site.is_valid()), hosts]).take(pa.array(order))
    codes, vocabulary = tc.factorize(hosts)
    free = pc.is_in(vocabulary, value_set=pa.array(sorted(shared | {""}), pa.string()))
    keep = (codes >= 0) & ~free.to_numpy(zero_copy_only=False)[np.maximum(codes, 0)]
    index = np.flatnonzero(keep)
    _, first = np.unique(row[index] * max(len(vocabulary), 1) + codes[index],
                         return_index=True)
    index = np.sort(index[first])
    return row[index], codes[index]


def _slots(size: int, rows: np.ndarray, codes: np.ndarray, width: int = SLOTS) -> np.ndarray:
    """(rows, width) codes of each row's first ``width`` values (grouped by row, -1
    skipped); -1 pads."""
    present = codes >= 0
    rows, codes = rows[present], codes[present]
    count = np.bincount(rows, minlength=size)
    position = np.arange(rows.size) - np.repeat(np.cumsum(count) - count, count)
    keep = position < width
    out = np.full((size, width), -1, dtype=np.int32, order="F")  # a slot contiguous
    out[rows[keep], position[keep]] = codes[keep]
    return out
