"""Reviewers' decisions: the review file round-trips, bad files fail as one line, and the
next refine honours same / different in both directions, records them in Provenance and
lists them in the quality report; stale decisions are reported, not applied."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hotpass.errors import HotpassError
from hotpass.refine.resolve.review_file import (
    Decision,
    pair_key,
    read_decisions,
    write_decisions,
)

DATA = Path(__file__).resolve().parents[2] / "data"


def refine(tmp: Path) -> dict:
    from hotpass.refine.run import refine_options, run
    from hotpass.settings import load

    run(refine_options(input_dir=tmp / "in", output_path=tmp / "out" / "refined.xlsx",
                       settings=load()), load())
    return json.loads((tmp / "out" / "quality-report.json").read_text())


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("review")
    shutil.copytree(DATA, tmp / "in", ignore=shutil.ignore_patterns("*.md"))
    return tmp, refine(tmp)


def decide(pair: dict, decision: str, **extra) -> Decision:
    return Decision(pair["rows"][0], pair["rows"][1], decision, reviewer="ana",
                    decided_at="2026-12-06T10:30:00Z", left_name=pair["names"][0],
                    right_name=pair["names"][1], **extra)


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_review_file_round_trips_and_last_decision_wins(tmp_path, suffix):
    path = tmp_path / f"review{suffix}"
    a = Decision("a.xlsx|S|3", "b.csv||7", "same", "ana", "t1", "=Acme", "ACME")
    write_decisions(path, [a])
    assert read_decisions(path)[0].left_name == "=Acme"
    if suffix == ".csv":  # a spreadsheet opening the file runs no formula
        assert "'=Acme" in path.read_text()
    write_decisions(path, [Decision("b.csv||7", "a.xlsx|S|3", "different", "bo", "t2")])
    back = read_decisions(path)
    assert len(back) == 1 and back[0].decision == "different" and back[0].reviewer == "bo"
    assert back[0].pair == pair_key("a.xlsx|S|3", "b.csv||7") == a.pair


def test_a_bad_decision_names_the_file_and_row(tmp_path):
    path = tmp_path / "review.csv"
    path.write_text("left,right,decision\na|S|1,b|S|2,same\na|S|1,c|S|3,maybe\n")
    with pytest.raises(HotpassError, match=r"review.csv: row 3: decision 'maybe'"):
        read_decisions(path)


def test_decisions_change_the_next_run_both_ways(first_run):
    tmp, report = first_run
    merged = report["dedupe"]["near_threshold"]["merged"][0]
    apart = report["dedupe"]["near_threshold"]["not_merged"][0]
    assert merged["records"][0]["organization_name"]  # the compared fields, side by side
    write_decisions(tmp / "out" / "review-decisions.csv",
                    [decide(merged, "different"), decide(apart, "same")])
    second = refine(tmp)
    listed = {d["pair"]: d for d in second["dedupe"]["review_decisions"]}
    assert listed[pair_key(*merged["rows"])]["effect"] == "kept apart"
    assert listed[pair_key(*apart["rows"])]["effect"] == "merged"

    import pandas as pd

    provenance = pd.read_excel(tmp / "out" / "refined.xlsx", sheet_name="Provenance",
                               engine="openpyxl")
    record_of = {"|".join(map(str, cite)): record
                 for record, rows in enumerate(provenance["source_rows"])
                 for cite in json.loads(rows)}
    assert record_of[merged["rows"][0]] != record_of[merged["rows"][1]]
    assert record_of[apart["rows"][0]] == record_of[apart["rows"][1]]
    evidence = [json.loads(e) for e in provenance["match_evidence"].dropna()]
    noted = {pair_key(*e["rows"]): e["decision"] for links in evidence for e in links
             if "decision" in e}
    assert noted == {pair_key(*merged["rows"]): "different", pair_key(*apart["rows"]): "same"}
    md = (tmp / "out" / "quality-report.md").read_text()
    assert "## Review decisions" in md and "kept apart" in md


def test_a_stale_decision_is_reported_not_applied(first_run):
    tmp, report = first_run
    apart = report["dedupe"]["near_threshold"]["not_merged"][1]
    review = tmp / "out" / "review-decisions.csv"
    review.unlink(missing_ok=True)
    write_decisions(review, [Decision(apart["rows"][0], apart["rows"][1], "same",
                                      left_name="Someone Else Ltd",
                                      right_name=apart["names"][1])])
    again = refine(tmp)
    (listed,) = again["dedupe"]["review_decisions"]
    assert listed["status"] == "stale"
    assert again["totals"]["records_out"] == report["totals"]["records_out"]
