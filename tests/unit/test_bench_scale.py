"""bench.refine's scale parts: the input cache, each stage's limit alone, the targets by
size and the tables (without --naive, with the Dask path, the time per row)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hotpass.bench.inputs import bench_inputs, cache_key
from hotpass.bench.limits import limit_table, measure_limits
from hotpass.bench.refine import _record_scaling, _targets
from hotpass.bench.tables import format_table

ROOT = Path(__file__).resolve().parents[2]


def test_inputs_are_generated_once_per_key_and_reused(tmp_path):
    first = bench_inputs(tmp_path, rows=300, seed=3, files=2)
    assert not first.reused and len(first.truth) == 300
    stamp = {p.name: p.stat().st_mtime_ns for p in first.input_dir.iterdir()}
    again = bench_inputs(tmp_path, rows=300, seed=3, files=2)
    assert again.reused and again.truth == first.truth
    assert again.organisations == first.organisations
    assert {p.name: p.stat().st_mtime_ns for p in again.input_dir.iterdir()} == stamp
    other = bench_inputs(tmp_path, rows=300, seed=4, files=2)  # another seed: new files
    assert not other.reused and other.truth != first.truth
    assert not first.input_dir.exists()  # the stale set of the same size was removed


def test_an_interrupted_generation_is_generated_again(tmp_path):
    first = bench_inputs(tmp_path, rows=200, seed=3, files=1)
    (first.input_dir.parent / "generated.json").unlink()  # as if killed before the end
    assert not bench_inputs(tmp_path, rows=200, seed=3, files=1).reused


def test_the_cache_key_names_the_generator_source(tmp_path):
    key = cache_key(1000, 7, 3, "generic")
    assert key.startswith("rows1000-files3-seed7-generic-") and len(key.split("-")[-1]) == 12


@pytest.fixture(scope="module")
def refined_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("limits")
    inputs = bench_inputs(root / "cache", rows=1500, seed=5, files=3)
    output = root / "out" / "refined.xlsx"
    done = subprocess.run([sys.executable, "-m", "hotpass.cli", "refine", "--input-dir",
                           str(inputs.input_dir), "--output-path", str(output), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return inputs, output, json.loads(done.stdout)


def test_each_stage_limit_is_measured_on_the_same_data(refined_run):
    inputs, output, report = refined_run
    limits = measure_limits(inputs.input_dir, output)
    cells = sum(1 for _ in inputs.truth)  # at least one cell per data row, of ~10 columns
    assert limits["read"]["cells"] > 8 * cells
    assert limits["read"]["limit_seconds"] >= 0
    # every mapped field's values, repeats counted once: phones one or two per row, dates
    # and provinces repeating, names nearly one per organisation
    distinct = limits["normalise"]["distinct_values"]
    assert {"contact_phone", "contact_email", "website", "organization_name",
            "last_interaction_date", "province"} <= set(distinct)
    assert 0.5 * inputs.organisations < distinct["contact_phone"] < 3 * cells
    assert distinct["organization_name"] > 0.5 * inputs.organisations
    assert distinct["province"] < 0.05 * cells < distinct["last_interaction_date"]
    assert limits["normalise"]["limit_seconds"] > 0
    export = limits["export"]
    assert export["limit_seconds"] == max(export["workbook_seconds"],
                                          export["csv_parquet_seconds"]) > 0
    table = limit_table(limits, report["stage_seconds"])
    assert [row["stage"] for row in table] == ["ingest.read", "ingest.normalise", "export"]
    for row in table:
        seconds = report["stage_seconds"][row["stage"]]
        assert row["ratio"] == round(seconds / row["limit_seconds"], 2)


def _result(rows: int, **extra):
    hot = {"ok": True, "seconds": 80.0, "rows_per_second": rows // 80, "peak_rss_mb": 1900.0,
           "cpu_seconds": rows / 10_000, "load": [1.0, 1.5], "stage_seconds": {}}
    return {"rows": rows, "files": 3, "seed": 7, "organisations": rows // 2,
            "generate_seconds": 1.0, "inputs_reused": True, "date": "2026-12-06",
            "hotpass": hot, "precision": 0.999, "recall": 0.99, **extra}


def test_from_a_million_rows_the_targets_are_90_seconds_and_2_gb_without_naive():
    result = _result(1_000_000)
    checks = _targets(result)
    assert set(checks) == {"seconds", "peak_rss_mb", "precision", "recall"}
    assert checks["seconds"]["pass"] and checks["peak_rss_mb"]["pass"]
    result["hotpass"]["seconds"] = 91.0
    assert not _targets(result)["seconds"]["pass"]
    small = _result(200_000, naive={"ok": True, "seconds": 400.0, "peak_rss_mb": 3000.0},
                    stage_limits=[{"ratio": 1.6}, {"ratio": 1.2}])
    checks = _targets(small)
    assert checks["speedup"]["value"] == 5.0 and not checks["speedup"]["pass"]
    assert not checks["peak_rss_mb"]["pass"]  # 1,900 MB > 600 MB at 200k
    assert checks["stage_ratio"] == {"value": 1.6, "target": 1.5, "pass": False}


def test_the_table_says_the_naive_side_was_left_out_and_shows_dask_and_time_per_row(
        tmp_path):
    result = _result(1_000_000, dask={
        "ok": True, "seconds": 120.0, "rows_per_second": 8333, "peak_rss_mb": 2500.0,
        "load": [2.0, 2.2], "workers": 2, "same_as_hotpass": {"csv": True, "parquet": True}})
    result["targets"] = _targets(result)
    history = tmp_path / "refine-history.json"
    smaller = _result(200_000)
    smaller["hotpass"]["candidate_pairs"] = 486_074  # the 200k bench set's
    _record_scaling(history, smaller)
    result["hotpass"]["candidate_pairs"] = 8_477_532
    result["scaling"] = _record_scaling(history, result)
    table = format_table(result)
    assert "naive     not run (--no-naive): no speed-up measured" in table
    assert "2 local Dask worker(s); CSV and Parquet identical to hotpass's: yes" in table
    lines = [line.split() for line in table.splitlines()]
    rates = [line for line in lines if line[:1] in (["200,000"], ["1,000,000"])]
    assert [line[0] for line in rates] == ["200,000", "1,000,000"]
    assert rates[1][-3:] == ["2026-12-06", "(this", "run)"] and rates[0][-1] == "2026-12-06"
    assert [line[3] for line in rates] == ["400.0", "80.0"]  # microseconds per row
    assert [line[4] for line in rates] == ["100.0", "100.0"]  # CPU microseconds per row
    assert [line[5] for line in rates] == ["2.43", "8.48"]  # candidate pairs per row
    assert [e["pairs_per_row"] for e in json.loads(history.read_text()).values()] == [2.43, 8.48]


def test_candidate_pairs_come_from_the_runs_quality_report(tmp_path):
    from hotpass.bench.refine import _candidate_pairs

    refined = tmp_path / "hotpass" / "refined.xlsx"
    assert _candidate_pairs(refined) is None  # no report: no figure, the bench goes on
    refined.parent.mkdir()
    report = refined.parent / "quality-report.json"
    report.write_text(json.dumps({"dedupe": {"candidate_pairs": 486074, "prior": 1e-05}}))
    assert _candidate_pairs(refined) == 486074
    report.write_text(json.dumps({"dedupe": {}}))
    assert _candidate_pairs(refined) is None
