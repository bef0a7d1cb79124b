"""The vectorised pieces of entity resolution give what the plain definitions give: name
keys, blocking keys, name levels, the clustering shortcut and the evidence text."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from hotpass.bench.samples.words import distinctive_words, sectors, surnames
from hotpass.profiles import load_profile
from hotpass.refine.model import EXTRA_PHONES, SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve import clustering, textcodes
from hotpass.refine.resolve.comparisons import EXACT, FIELDS, LEVELS, agreed_values, compare
from hotpass.refine.resolve.explain import Explainer
from hotpass.refine.resolve.features import build_features
from hotpass.refine.resolve.names import name_key, name_keys

PROFILE = load_profile("generic")
SUFFIXES = PROFILE.dedupe.legal_suffixes
AWKWARD = ["ACME Flight (Pty) Ltd", "Acme Flight Pty. Ltd.", "Smith & Sons CC", "The Ltd",
           "The", "Ltd", "(Pty) Ltd", "Pty Ltd Pty Ltd", "Acme Pty Ltd Ltd", "---", "",
           "Émile & Søns (Pty) Ltd", "the the co", "Ötzi GmbH", "X Co Pty Ltd", "A Soc Ltd",
           "The And", "日本 Corp", "  padded  name  ", "&&", "ß-Straße Inc", "Naïve Café NPC",
           None, "Hangar 3 Aviation", "Soc Ltd", "Co Co"]


def _frame(names: list, **columns) -> pd.DataFrame:
    rows = len(names)
    frame = pd.DataFrame({"organization_name": names, SOURCE_FILE: ["a.xlsx"] * rows,
                          SOURCE_SHEET: ["S"] * rows, SOURCE_ROW: range(2, rows + 2),
                          **columns}, dtype=object)
    frame = frame.where(frame.notna(), None)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    return frame


@pytest.mark.parametrize("batch", [1 << 15, 7])
def test_vectorised_name_keys_agree_with_name_key(batch, monkeypatch):
    """Record ids hash the key: the column-at-once path (in batches of values) must give
    what one name gives."""
    monkeypatch.setattr(textcodes, "BATCH", batch)
    rng = random.Random(5)
    generated = [f"{rng.choice(['The ', ''])}{rng.choice(surnames())} & "
                 f"{rng.choice(distinctive_words())} {rng.choice(sectors('generic'))}"
                 f"{rng.choice([' (Pty) Ltd', ' Pty Ltd', ' CC', ' Inc.', '', ' Soc Ltd'])}"
                 for _ in range(300)]
    names = pd.Series(AWKWARD + generated + AWKWARD, dtype=object)
    assert name_keys(names, SUFFIXES).tolist() == [name_key(n, SUFFIXES) for n in names]
    assert name_key("Émile & Søns (Pty) Ltd", SUFFIXES) == "emile and sns"
    assert name_key("Pty Ltd Pty Ltd", SUFFIXES) == "pty"  # never strips to nothing


def test_blocking_keys_survive_swapped_words_and_first_letter_typos():
    features = build_features(_frame([
        "Naidoo Falcon Logistics", "Falcon Naidoo Logistics (Pty) Ltd",  # swapped words
        "Qwabe Obsidian Ferries", "Kwabe Obsidian Ferries",  # first letter typo
        "Alpha Alpha Motors", "Alpha Motors",  # a repeated word is a different multiset
        "Zulu Granite Bakery", None]), PROFILE)
    assert features.name[0] == features.name[1]
    assert features.phonetic[2] == features.phonetic[3] or features.tails[2] == features.tails[3]
    assert features.name[2] != features.name[3]
    assert features.heads[4] != features.heads[5] and features.tails[4] != features.tails[5]
    assert features.lead[4] != features.lead[5]
    assert len({features.phonetic[i] for i in (0, 2, 4, 6)}) == 4
    assert features.name[7] == -1 and features.phonetic[7] == -1 and features.lead[7] == -1
    assert features.name_key[1] == "falcon naidoo logistics" and features.name_key[7] == ""


def test_domains_drop_free_mail_and_empty_hosts_and_keep_the_website_first():
    features = build_features(_frame(
        ["A", "B", "C", "D", "E"],
        website=["http://", None, "https://www.Acme.co.za/about", None, "http://"],
        contact_email=["x@", "y@gmail.com", "sales@acme.co.za", "z@kestrel.africa",
                       "info@kestrel.africa"]), PROFILE)
    domain = features.domain
    assert (domain[0] == -1).all() and (domain[1] == -1).all()  # "" and free mail: none
    assert domain[2, 0] >= 0 and (domain[2, 1:] == -1).all()  # one host, once
    assert domain[3, 0] >= 0 and domain[3, 0] != domain[2, 0]
    # an empty website host takes no slot: a row's first slot holds its first domain
    assert domain[4, 0] == domain[3, 0] and (domain[4, 1:] == -1).all()
    assert features.counts["domain"][domain[2, 0]] == 1


@pytest.mark.parametrize(("first", "second", "level"), [
    ("Mahlangu Falcon Logistics", "Mahlangu Falcon Logistics Holdings", "subset"),
    ("Mahlangu Falcon Logistics", "Mahlangu Falcon Logistix", "close"),
    ("Mahlangu Falcon Logistics", "Mahlangu Falcon Holdings", "partial"),
    ("Kestrel Bakery", "Umhlanga Freight", "far"),
    ("Hangar 3 Aviation", "Hangar 8 Aviation", "far"),
    ("Kestrel Bakery", "Kestrel Bakery", "exact"),
    ("Intl Freight Svcs", "International Freight Services", "exact"),
])
def test_name_levels_set_the_shared_words_aside(first, second, level):
    features = build_features(_frame([first, second]), PROFILE)
    compared = compare(features, np.array([0]), np.array([1]), {})
    assert LEVELS["name"][compared.levels[0, 0]] == level


def test_groups_where_every_pair_matches_link_as_the_guarded_loop_does(monkeypatch):
    rng = np.random.default_rng(3)
    left, right, weight, start = [], [], [], 0
    for _ in range(400):  # groups of 2-12 rows, some with pairs missing, some joined
        size = int(rng.integers(2, 13))
        pairs = [(start + i, start + j) for i in range(size) for j in range(i + 1, size)
                 if rng.random() < 0.85]
        if rng.random() < 0.1:
            pairs.append((start, start + size))  # a weak link into the next group
        left += [a for a, _ in pairs]
        right += [b for _, b in pairs]
        weight += rng.choice([8.0, 12.0, 20.0], len(pairs)).tolist()  # ties too
        start += size
    left, right, weight = np.array(left), np.array(right), np.array(weight)
    fast = clustering.link(start + 1, left, right, weight, 5.0, 0.5)
    monkeypatch.setattr(clustering, "EASY_PAIRS", -1)  # every group takes the guarded loop
    guarded = clustering.link(start + 1, left, right, weight, 5.0, 0.5)
    assert (fast[0] == guarded[0]).all() and (fast[1] == guarded[1]).all()
    assert len(set(fast[0].tolist())) < start  # groups did merge


def test_evidence_text_is_the_json_of_the_pairs():
    frame = _frame(["Kestrel Bakery", "Kestrel Bakery", "Zulu Granite", "Zulu Granite"],
                   contact_phone=["+27215550101", None, "+27215550102", "+27215550102"])
    frame.loc[1, SOURCE_FILE] = 'crm "export" \\ ü.xlsx'
    exact_name, exact_phone = LEVELS["name"].index("exact"), LEVELS["phone"].index("exact")
    levels = np.array([[exact_name, -1, -1, -1, -1, -1, -1],
                       [exact_name, exact_phone, -1, -1, -1, -1, -1]], dtype=np.int8)
    explain = Explainer(frame, np.array([0, 2]), np.array([1, 3]), np.array([12.5, 30.25]),
                        levels)
    texts = explain.by_cluster(np.array([0, 1]), np.array([0, 2]))
    for cluster, index in ((0, 0), (2, 1)):
        assert json.loads(texts[cluster]) == explain.pairs([index])
        assert texts[cluster].startswith('[{"rows": ["') and "\\u" not in texts[cluster]
    assert json.loads(texts[0])[0]["rows"][1] == 'crm "export" \\ ü.xlsx|S|3'
    assert json.loads(texts[2])[0]["levels"] == {"name": "exact", "phone": "exact"}
    assert '"probability": 1.0, "weight": 30.25' in texts[2]  # a float stays a float


@pytest.mark.parametrize(("first", "second", "level"), [
    ("2019/682312/08", "2019/682312/08", "exact"),
    ("2019/682312/08", "2019/682812/08", "one_edit"),  # one digit typed wrong
    ("2019/682312/08", "2019/683212/08", "one_edit"),  # two digits swapped
    ("2019/682312/08", "2019/68312/08", "one_edit"),  # one dropped
    ("2019/682312/08", "2019/688812/08", "two_edits"),
    ("2019/682312/08", "2019/688882/08", "different"),
    ("2019/682312/08", "2021/123456/07", "different"),
])
def test_registration_levels_count_edits(first, second, level):
    features = build_features(_frame(["A", "B"], registration_id=[first, second]), PROFILE)
    compared = compare(features, np.array([0]), np.array([1]), {})
    assert LEVELS["registration"][compared.levels[0, 4]] == level


@pytest.mark.parametrize(("first", "second", "level"), [
    ("011 698 8048", "011 698 8048", "exact"),
    ("011 698 8048", "011 698 8045", "one_edit"),  # one digit typed wrong
    ("011 698 8048", "011 698 8408", "two_edits"),  # two swapped: two Levenshtein edits
    ("011 698 8048", "011 123 4567", "different"),
])
def test_phone_levels_count_edits(first, second, level):
    features = build_features(_frame(["A", "B"], contact_phone=[first, second]), PROFILE)
    compared = compare(features, np.array([0]), np.array([1]), {})
    assert LEVELS["phone"][compared.levels[0, FIELDS.index("phone")]] == level


@pytest.mark.parametrize(("first", "second", "level"), [
    ("12 Main Road Rivonia 2128", "Rivonia 12 Main Rd 2128", "exact"),  # same words
    ("1 carruthers street glenefer gosford 2031", "1 carruthear street glenefer gosford 2031",
     "near"),  # a typo late in the text (Jaro-Winkler >= 0.94)
    ("1 carruthers street glenefer gosford 2031", "31 carruthear street glenefer gosford 2013",
     "close"),  # a number and a postcode typed differently (>= 0.88)
    ("3 officer crescent craigie-lea orange 2289", "3 trumble street craigie-lea orange 2289",
     "fair"),  # another street in the same suburb (>= 0.80)
    ("12 Main Road Rivonia 2128", "PO Box 55 Durbanville 7551", "far"),
])
def test_address_levels_are_jaro_winkler_bands_on_the_words_as_written(first, second, level):
    from rapidfuzz.distance import JaroWinkler

    features = build_features(_frame(["A", "B"], address=[first, second]), PROFILE)
    compared = compare(features, np.array([0]), np.array([1]), {})
    assert LEVELS["address"][compared.levels[0, FIELDS.index("address")]] == level
    if level not in ("exact", "far"):  # the band is rapidfuzz's own score's
        score = JaroWinkler.similarity(*(t.lower().replace("-", " ") for t in (first, second)))
        low = {"near": 0.94, "close": 0.88, "fair": 0.80}[level]
        assert score >= low


@pytest.mark.parametrize("values", [
    ["ab-12/x", None, "", "  ", "2019/123456/07", "Émile 9", "ı-x", "ß", "ſt", "K"],
    ["2019/682312/08", " 2019 682312 08 ", None, "ck-2001/00123/23"],
])
def test_registration_ids_keep_upper_case_letters_and_digits_as_unicode_does(values):
    """The byte table (ASCII values) and Unicode upper-casing plus a regular expression
    (the rest) agree with the expression on every value, sliced arrays included."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(values, pa.string())
    for part in (array, array.slice(1), array.slice(1, 2), array.slice(len(values))):
        expected = pc.replace_substring_regex(pc.utf8_upper(part), "[^A-Z0-9]+", "")
        assert textcodes.alphanumeric_upper(part).to_pylist() == expected.to_pylist()
    assert textcodes.alphanumeric_upper(pa.array(["ab-12/x", None, "-"])).to_pylist() == [
        "AB12X", None, ""]


def test_character_counts_per_registration_id_across_batches(monkeypatch):
    import pyarrow as pa

    from hotpass.refine.resolve import features

    monkeypatch.setattr(features, "CHARACTER_BATCH", 3)
    texts = ["AB12", "", None, "ZZZ9", "A" * 300, "201968231208", "Q"]
    counts = features._characters(pa.array(texts, pa.string()).slice(1))
    assert counts.shape == (6, 36) and counts.dtype == np.uint8
    for row, text in enumerate(texts[1:]):
        expected = np.zeros(36, dtype=np.int64)
        for char in text or "":
            expected["0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".index(char)] += 1
        assert counts[row].tolist() == np.minimum(expected, 255).tolist(), text


def test_candidates_are_every_pair_sharing_a_key_in_a_bounded_block(monkeypatch):
    """The word-derived keys skip pairs with one name code (the name key's block holds
    them) without losing one: the pairs equal those of every key's blocks taken whole."""
    from itertools import combinations

    from hotpass.refine.resolve.candidates import candidate_pairs

    rng = random.Random(11)
    words = ["Falcon", "Falkon", "Naidoo", "Logistics", "Ferries", "Kwabe", "Qwabe"]
    names = [" ".join(rng.sample(words, rng.randint(1, 3))) if rng.random() > 0.1 else None
             for _ in range(160)]
    # one name in two word orders, 16 rows: the name's block is too large, its two
    # first-two-words blocks are not (the lead key must keep their pairs)
    names += ["Falcon Naidoo Logistics", "Naidoo Falcon Logistics"] * 8
    phones = [f"+2782555{rng.randint(0, 40):04d}" if rng.random() > 0.5 else None
              for _ in names]
    features = build_features(_frame(names, contact_phone=phones), PROFILE)
    max_block = 12
    left, right = candidate_pairs(features, max_block)
    expected = set()
    columns = [features.name, features.phonetic, features.lead, features.heads,
               features.tails, features.registration, features.address, features.postcode,
               *features.phone.T, *features.email.T, *features.domain.T]
    for codes in columns:
        for code in set(codes.tolist()) - {-1}:
            rows = np.flatnonzero(codes == code).tolist()
            if len(rows) <= max_block:
                expected.update(combinations(rows, 2))
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == sorted(expected)
    assert len(expected) > 200


def test_digits_keep_each_values_ascii_digits_in_order():
    import pyarrow as pa

    words = pa.array(["hangar", "3b", "a1b2c9", None, "", "7470"], pa.string())
    assert textcodes.digits(words).to_pylist() == ["", "3", "129", None, "", "7470"]
    assert textcodes.digits(words.slice(2, 2)).to_pylist() == ["129", None]


def test_splinks_input_table_holds_each_rows_evidence():
    """The anchor's input, built with Arrow kernels: every value a row holds, in slot
    order, missing ones null (a broken table would only make the anchor look worse)."""
    from hotpass.bench.splink import splink_table

    frame = _frame(["Acme Flight", None, "Zulu Air"],
                   contact_phone=["+27821110000", None, "+27821112222"],
                   contact_email=[None, "ops@zulu.co.za", "x@gmail.com"],
                   address=["12 Main Rd Rivonia 2128", None, None],
                   registration_id=[None, "2019/682312/08", None])
    frame["__extra_phones"] = ["+27821113333; +27821114444", None, None]
    features = build_features(frame, PROFILE)
    table = splink_table(frame, PROFILE).to_pydict()
    assert table["unique_id"] == [0, 1, 2]
    assert table["name"] == [features.name_text[features.name[0]], None,
                             features.name_text[features.name[2]]]
    assert table["phones"] == [features.phone[0].tolist(), None, [features.phone[2, 0]]]
    assert len(table["phones"][0]) == 3 and table["emails"][0] is None
    assert table["emails"][1] == [features.email[1, 0]] and table["domains"][2] is None
    assert table["registration"] == [None, features.registration[1], None]
    assert table["address"][0] == features.address_text[features.address[0]].as_py()
    assert table["address"][1:] == [None, None] and table["phonetic"][1] is None


def test_levels_do_not_depend_on_the_chunk_pairs_are_compared_in():
    from hotpass.refine.resolve.candidates import candidate_pairs

    rng = random.Random(4)
    words = ["Falcon", "Falkon", "Naidoo", "Logistics", "Ferries", "Hangar 3", "Hangar 8"]
    names = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(120)]
    phones = [f"+2782555{rng.randint(0, 30):04d}" for _ in names]
    features = build_features(_frame(names, contact_phone=phones), PROFILE)
    left, right = candidate_pairs(features, PROFILE.dedupe.max_block)
    whole = compare(features, left, right, {})
    small = compare(features, left, right, {}, chunk_size=7)
    assert left.size > 7 * 10
    assert np.array_equal(whole.levels, small.levels)


def test_agreed_value_is_the_rarest_shared_one_whichever_pairs_are_asked():
    """The term-frequency adjustment asks for the agreed values of the exact pairs only: each
    is a value both rows hold, the one fewest rows hold, the same asked alone or together."""
    from hotpass.refine.resolve.candidates import candidate_pairs

    rng = random.Random(5)
    names = [rng.choice(["Falcon Ferries", "Naidoo Logistics", "Hangar 3"]) for _ in range(90)]
    phones = [[f"+2782555{rng.randint(0, 12):04d}" for _ in range(rng.randint(1, 3))]
              for _ in names]  # one in the phone column, the others in a second cell
    features = build_features(_frame(names, contact_phone=[p[0] for p in phones], **{
        EXTRA_PHONES: ["; ".join(p[1:]) or None for p in phones]}), PROFILE)
    assert (features.phone[:, 1] >= 0).sum() > 20
    left, right = candidate_pairs(features, PROFILE.dedupe.max_block)
    levels = compare(features, left, right, {}).levels
    for field in ("phone", "name"):
        exact = np.flatnonzero(levels[:, FIELDS.index(field)] == EXACT[field])
        a, b = left[exact], right[exact]
        together = agreed_values(features, field, a, b)
        alone = [agreed_values(features, field, a[k:k + 1], b[k:k + 1])[0] for k in range(a.size)]
        assert exact.size > 20 and np.array_equal(together, alone)
        codes = getattr(features, field).reshape(features.size, -1)
        counts = features.counts[field]
        for k, value in enumerate(together.tolist()):
            shared = set(codes[a[k]].tolist()) & set(codes[b[k]].tolist()) - {-1}
            assert value in shared and counts[value] == min(counts[v] for v in shared)


def test_evidence_of_a_cluster_lists_each_of_its_links_once():
    """One organisation in three files (two deciding links), one in two, one in four: each
    cluster's text is one JSON list of its own links, in pair order."""
    frame = _frame(["Kestrel Bakery"] * 3 + ["Zulu Granite"] * 2 + ["Falcon Air"] * 4)
    left, right = np.array([0, 0, 3, 5, 5, 6]), np.array([1, 2, 4, 6, 7, 8])
    levels = np.tile(np.array([[4, -1, -1, -1, -1, -1, -1]], dtype=np.int8), (6, 1))
    explain = Explainer(frame, left, right, np.linspace(10, 20, 6), levels)
    texts = explain.by_cluster(np.arange(6), np.array([0, 0, 3, 5, 5, 5]))
    assert set(texts) == {0, 3, 5}
    for cluster, links in ((0, [0, 1]), (3, [2]), (5, [3, 4, 5])):
        assert json.loads(texts[cluster]) == explain.pairs(links)
