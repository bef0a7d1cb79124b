"""Benchmark scoring: pairwise precision/recall and reading the Provenance sheet."""

from __future__ import annotations

import json
from itertools import combinations

import pytest
import xlsxwriter

from hotpass.bench.scoring import pairwise_precision_recall, read_provenance
from hotpass.bench.tables import format_table


def _brute_force(predicted: dict, truth: dict) -> tuple[float, float]:
    keys = [k for k in predicted if k in truth]
    pairs = list(combinations(keys, 2))
    same_pred = {p for p in pairs if predicted[p[0]] == predicted[p[1]]}
    same_true = {p for p in pairs if truth[p[0]] == truth[p[1]]}
    both = len(same_pred & same_true)
    return (both / len(same_pred) if same_pred else 1.0,
            both / len(same_true) if same_true else 1.0)


def test_perfect_clustering_scores_one():
    truth = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 3, "f": 3}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "z", "e": "z", "f": "z"}
    assert pairwise_precision_recall(predicted, truth) == (1.0, 1.0)


def test_everything_in_one_cluster_has_full_recall_low_precision():
    truth = {"a": 1, "b": 1, "c": 2, "d": 2}
    predicted = dict.fromkeys(truth, "all")
    precision, recall = pairwise_precision_recall(predicted, truth)
    assert recall == 1.0
    assert precision == pytest.approx(2 / 6)  # 2 true pairs among 6 predicted


def test_all_singletons_have_zero_recall_and_vacuous_precision():
    truth = {"a": 1, "b": 1, "c": 1}
    predicted = {"a": "p", "b": "q", "c": "r"}
    assert pairwise_precision_recall(predicted, truth) == (1.0, 0.0)


def test_split_and_wrong_merge_match_brute_force():
    truth = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "C", 7: "D"}
    predicted = {1: "x", 2: "x", 3: "y", 4: "y", 5: "z", 6: "w", 7: "w"}
    precision, recall = pairwise_precision_recall(predicted, truth)
    # predicted pairs: (1,2) (3,4) (6,7) -> 1 correct; true pairs: 3 (A) + 1 (B) -> 1 found
    assert precision == pytest.approx(1 / 3)
    assert recall == pytest.approx(1 / 4)
    assert (precision, recall) == pytest.approx(_brute_force(predicted, truth))


def test_only_items_in_both_mappings_count():
    truth = {"a": 1, "b": 1, "c": 2}
    predicted = {"a": "x", "b": "x", "zzz": "x"}  # "c" unscored, "zzz" unknown to truth
    assert pairwise_precision_recall(predicted, truth) == (1.0, 1.0)


def test_larger_random_clustering_matches_brute_force():
    import random

    rng = random.Random(3)
    truth = {i: rng.randrange(15) for i in range(60)}
    predicted = {i: (truth[i] if rng.random() < 0.8 else rng.randrange(15)) for i in range(60)}
    assert pairwise_precision_recall(predicted, truth) == pytest.approx(
        _brute_force(predicted, truth))


def test_read_provenance_maps_each_source_row_to_its_record(tmp_path):
    path = tmp_path / "refined.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Provenance")
    sheet.write_row(0, 0, ["organization_id", "source_count", "source_rows"])
    sheet.write_row(1, 0, ["org-1", 2, json.dumps([["crm.xlsx", "Organisations", 2],
                                                   ["list.csv", "", 7]])])
    sheet.write_row(2, 0, ["org-2", 1, json.dumps([["crm.xlsx", "Contacts", 5]])])
    book.close()
    mapping = read_provenance(path)
    assert mapping == {("crm.xlsx", "Organisations", 2): "org-1", ("list.csv", "", 7): "org-1",
                       ("crm.xlsx", "Contacts", 5): "org-2"}


def test_read_provenance_names_a_missing_sheet(tmp_path):
    path = tmp_path / "refined.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Refined Data").write(0, 0, "organization_id")
    book.close()
    with pytest.raises(ValueError, match="no Provenance sheet"):
        read_provenance(path)


def test_table_marks_failed_targets():
    result = {
        "rows": 1000, "files": 3, "organisations": 700, "seed": 7, "generate_seconds": 0.5,
        "hotpass": {"ok": False, "seconds": 1.0, "rows_per_second": None, "peak_rss_mb": None,
                    "error": "hotpass child exited 1: boom"},
        "naive": {"ok": True, "seconds": 4.0, "rows_per_second": 250, "peak_rss_mb": 150.0},
        "targets": {"speedup": {"value": None, "target": 3.0, "pass": False},
                    "recall": {"value": 0.99, "target": 0.98, "pass": True}},
    }
    table = format_table(result)
    assert "FAILED: hotpass child exited 1: boom" in table
    assert table.count("FAIL") == 2 and "PASS" in table


def test_naive_child_reports_json_on_its_last_line(tmp_path, capsys):
    from hotpass.bench.naive import main
    from hotpass.bench.samples import generate_workbooks

    generate_workbooks(tmp_path / "input", rows=120, seed=2)
    output = tmp_path / "naive.xlsx"
    assert main([str(tmp_path / "input"), str(output)]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["ok"] is True and output.is_file()
    assert report["peak_rss_mb"] > 10 and report["seconds"] > 0
    assert 0 < report["rows_out"] <= 120 + 3 * 5  # header/title rows read as data are kept


def test_the_table_shows_refines_stages_in_pipeline_order_with_their_steps():
    from hotpass.bench.tables import stage_lines

    figures = {"stage_seconds": {"consolidate": 2.0, "consolidate.resolve": 1.5, "export": 1.0,
                                 "ingest": 3.0, "ingest.read": 4.0, "publish": 0.1},
               "stage_peak_mb": {"consolidate": 500.0, "consolidate.resolve": 480.0}}
    lines = stage_lines(figures)
    names = [line.split()[0] for line in lines[2:]]
    assert names == ["ingest", "read", "consolidate", "resolve", "export", "publish"]
    assert lines[5].startswith("  resolve") and lines[5].split()[1:] == ["1.50", "480"]
    assert lines[3].split()[-1] == "-"  # workers' steps have no peak of this process
    assert stage_lines({"stage_seconds": {}}) == []
