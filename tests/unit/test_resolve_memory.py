"""What consolidation does to hold less memory gives what the plain way gives: pairs as
int32 rows score as int64 rows do, the evidence texts rendered in chunks of clusters and
the nearest pairs apart found in chunks of pairs equal the whole-array results, the
combined frame's source columns hold one object per distinct value, the emptied per-file
frames hold no input value, and the Provenance columns made from Arrow are what pandas
makes of the Python strings."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from hotpass.bench.samples.words import distinctive_words, sectors, surnames
from hotpass.profiles import load_profile
from hotpass.refine.consolidate import _as_shared_texts
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET
from hotpass.refine.resolve.candidates import candidate_pairs
from hotpass.refine.resolve.comparisons import compare
from hotpass.refine.resolve.dedupe import _first, _nearest_apart, resolve
from hotpass.refine.resolve.explain import Explainer
from hotpass.refine.resolve.features import build_features
from hotpass.refine.resolve.weights import estimate, not_candidates, sample_levels, score

PROFILE = load_profile("generic")


def _frame(rows: int = 600, seed: int = 3) -> pd.DataFrame:
    """Organisations listed up to three times across two files with typos, shared
    switchboards (a second phone in the extra column) and missing values."""
    rng = random.Random(seed)
    people = []
    while len(people) < rows:
        name = (f"{rng.choice(surnames())} {rng.choice(distinctive_words())} "
                f"{rng.choice(sectors('generic'))}")
        phone = f"+2711{rng.randint(0, 400):07d}"
        for copy in range(rng.choice([1, 1, 2, 3])):
            typo = name if copy == 0 or rng.random() < 0.5 else name.replace("a", "e", 1)
            people.append({"organization_name": typo,
                           "contact_phone": phone if rng.random() < 0.8 else None,
                           "__extra_phones": "+27215550101" if rng.random() < 0.05 else None,
                           SOURCE_FILE: rng.choice(["crm.xlsx", "events.csv"]),
                           SOURCE_SHEET: "S"})
    frame = pd.DataFrame(people[:rows], dtype=object)
    frame = frame.where(frame.notna(), None)
    frame[SOURCE_ROW] = np.arange(2, rows + 2, dtype=np.int64)
    return frame


def test_pairs_are_int32_and_score_as_int64_pairs_do():
    """50,000 rows: a pair code ``left * rows + right`` passes 2**31 (int32 would wrap)."""
    frame = _frame(50_000)
    features = build_features(frame, PROFILE)
    left, right = candidate_pairs(features, PROFILE.dedupe.max_block)
    assert left.dtype == right.dtype == np.int32 and int(left[-1]) * 50_000 > 2**31
    wide_left, wide_right = left.astype(np.int64), right.astype(np.int64)
    levels = PROFILE.dedupe.levels
    compared = compare(features, left, right, levels)
    assert np.array_equal(compared.levels, compare(features, wide_left, wide_right,
                                                   levels).levels)
    sample = sample_levels(features, left, right, levels)
    wide_sample = sample_levels(features, wide_left, wide_right, levels)
    assert sample[1] == wide_sample[1]
    assert all(np.array_equal(sample[0][f], wide_sample[0][f]) for f in sample[0])
    model = estimate(features, compared, sample)
    assert np.array_equal(score(model, features, left, right, compared),
                          score(model, features, wide_left, wide_right, compared))


def test_int32_rows_are_widened_before_a_pair_code_is_made():
    rows = 100_000  # 40,000 * rows wraps in int32
    left = np.array([0, 40_000, 99_998], dtype=np.int32)
    right = np.array([5, 99_999, 99_999], dtype=np.int32)
    asked = np.array([1 * rows + 2, 40_000 * rows + 99_999, 99_998 * rows + 99_999])
    assert not_candidates(asked, left, right, rows).tolist() == [True, False, False]
    assert not_candidates(asked, left[:0], right[:0], rows).all()


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_evidence_in_chunks_of_clusters_is_the_evidence_of_all_at_once(chunk):
    frame = _frame(300)
    rng = np.random.default_rng(2)
    left = np.sort(rng.integers(0, 150, 60))
    right = left + rng.integers(1, 150, 60)
    levels = rng.integers(-1, 2, (60, 7)).astype(np.int8)
    explain = Explainer(frame, left, right, rng.normal(10, 5, 60), levels)
    clusters = np.minimum(left, rng.integers(0, 40, 60))  # clusters of one to many links
    whole = explain.by_cluster(np.arange(60), clusters, chunk=1 << 16)
    chunked = explain.by_cluster(np.arange(60), clusters, chunk=chunk)
    assert chunked == whole and list(chunked) == list(whole)
    assert len(whole) == len(set(clusters.tolist())) > 10
    for texts in whole.values():
        json.loads(texts)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_nearest_pairs_apart_in_chunks_are_those_of_all_the_pairs(chunk):
    rng = np.random.default_rng(4)
    pairs = 500
    left = np.sort(rng.integers(0, 200, pairs)).astype(np.int32)
    right = (left + rng.integers(1, 50, pairs)).astype(np.int32)
    weight = np.round(rng.normal(0, 4, pairs))  # many ties: index order breaks them
    labels = np.arange(260)
    labels[rng.integers(0, 260, 100)] = 0
    threshold = 3.0
    below = np.flatnonzero((weight < threshold) & (labels[left] != labels[right]))
    expected = _first(below, -weight[below])
    found = _nearest_apart(labels, left, right, weight, threshold, chunk)
    assert found == expected and len(found) == 20
    assert all(labels[left[i]] != labels[right[i]] and weight[i] < threshold for i in found)


def test_source_columns_hold_one_object_per_distinct_value():
    strings = pd.Series(["crm.xlsx", None, "events.csv", "crm.xlsx"] * 50, dtype="str")
    frame = pd.DataFrame({SOURCE_FILE: strings, SOURCE_SHEET: strings.copy(),
                          "organization_name": pd.Series(["A", np.nan, None, "B"] * 50,
                                                         dtype=object),
                          "phones": pd.Series([1.5, None, 2.0, 3.0] * 50),
                          SOURCE_ROW: np.arange(200, dtype=np.int64)})
    plain = frame.copy()
    texts = [c for c in plain.columns if c != SOURCE_ROW]
    plain[texts] = plain[texts].astype(object)
    plain[texts] = plain[texts].where(plain[texts].notna(), None)
    _as_shared_texts(frame)
    assert frame.dtypes.tolist() == plain.dtypes.tolist()
    assert frame.to_numpy().tolist() == plain.to_numpy().tolist()
    assert frame[SOURCE_FILE].isna().sum() == 50 and frame[SOURCE_FILE][1] is None
    assert len({id(v) for v in frame[SOURCE_FILE]}) == 3  # two files and None


def test_resolution_of_the_combined_frame_is_that_of_the_plain_conversion():
    frame = _frame(400)
    frame[SOURCE_FILE] = frame[SOURCE_FILE].astype("str")
    plain = frame.copy()
    texts = [c for c in plain.columns if c != SOURCE_ROW]
    plain[texts] = plain[texts].astype(object)
    plain[texts] = plain[texts].where(plain[texts].notna(), None)
    _as_shared_texts(frame)
    ours, theirs = resolve(frame, PROFILE), resolve(plain, PROFILE)
    assert np.array_equal(ours.labels, theirs.labels)
    assert ours.evidence == theirs.evidence and len(ours.evidence) > 20


def _prepared(frame: pd.DataFrame):
    from pathlib import Path

    from hotpass.refine.model import PreparedSource, SheetReport, SourceFrame

    sources = []
    for name, part in frame.groupby(SOURCE_FILE, sort=True):
        report = SheetReport(name, "S", "used")
        sources.append(PreparedSource(Path(name), name, [SourceFrame(
            name, "S", part.reset_index(drop=True).copy(), report)], [report], []))
    return sources


def test_consolidation_leaves_no_input_value_held_by_the_prepared_sources():
    """The per-file frames are emptied once combined: a zero-row slice would be a view
    keeping every row's values alive to the end of the run."""
    import gc
    import sys

    from hotpass.refine.consolidate import consolidate

    frame = _frame(300)
    marker = "".join(["a note only ", "one row holds"])  # one object, counted below
    frame["notes"] = pd.Series([None] * len(frame), dtype=object)
    frame.loc[7, "notes"] = marker
    prepared = _prepared(frame)
    del frame
    gc.collect()
    held_before = sys.getrefcount(marker)
    result = consolidate(prepared, PROFILE)
    assert any(len(s.frame.columns) for p in prepared for s in p.frames)
    assert all(len(s.frame) == 0 for p in prepared for s in p.frames)
    del result
    gc.collect()
    assert held_before > sys.getrefcount(marker) == 2  # this name and the call's argument


@pytest.mark.parametrize("values", [["[1]", None, "x"], [None, None], [], ["only"]])
def test_provenance_text_columns_are_what_pandas_makes_of_the_strings(values):
    import pyarrow as pa

    from hotpass.refine.provenance import text_column

    ours = pd.DataFrame({"c": text_column(pa.array(values, pa.string()))})["c"]
    plain = pd.DataFrame({"c": np.array(values, dtype=object)})["c"]
    assert ours.dtype == plain.dtype
    assert ours.isna().tolist() == plain.isna().tolist()
    assert ours.dropna().tolist() == plain.dropna().tolist()


def test_merge_consumes_the_evidence_into_the_provenance_sheet():
    """Each record's deciding links (its evidence) in its own Provenance row, once each;
    the handed-over dict emptied."""
    from hotpass.refine.merge import merge_clusters

    frame = _frame(300)
    resolution = resolve(frame, PROFILE)
    evidence = dict(resolution.evidence)
    merged = merge_clusters(frame, resolution.labels, PROFILE, resolution.evidence,
                            consume=True)
    assert resolution.evidence == {} and len(evidence) > 20
    column = merged.provenance["match_evidence"]
    assert column.dtype == pd.Series(np.array([*evidence.values(), None], dtype=object)).dtype
    assert sorted(column.dropna()) == sorted(evidence.values())
    for text, rows in zip(column, merged.provenance["source_rows"], strict=True):
        if isinstance(text, str):
            file, sheet, row = json.loads(text)[0]["rows"][0].rsplit("|", 2)
            assert [file, sheet, int(row)] in json.loads(rows)
