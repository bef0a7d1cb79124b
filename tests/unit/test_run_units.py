"""The run's small guarantees, in-process: parallel ingest keeps input order, merge ties
fall back to file/sheet/row order, the Markdown report escapes what came from inputs,
profile names are names, the preflight refuses bad output paths, a run never reads its
own outputs, and the folder lock refuses a second holder."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from hotpass.errors import HotpassError, ProfileError
from hotpass.profiles import load_profile
from hotpass.refine import pipeline
from hotpass.refine.merge import merge_clusters
from hotpass.refine.model import SOURCE_FILE, SOURCE_ROW, SOURCE_SHEET, SheetReport
from hotpass.refine.output.report import build_quality_report
from hotpass.refine.output.report_markdown import render_markdown
from hotpass.refine.output.staging import RunLocked, open_run, run_lock
from hotpass.refine.preflight import check_output, own_outputs_excluded

PROFILE = load_profile("generic")


def test_parallel_ingest_returns_results_in_input_order(tmp_path, monkeypatch):
    # The first file by name is by far the largest: it starts first and finishes last.
    rows = "\n".join(f"Org {n:05d},org{n}@example.com" for n in range(30_000))
    (tmp_path / "a_big.csv").write_text(f"Company,Email\n{rows}\n")
    for name in ("b_small.csv", "c_small.csv", "d_small.csv"):
        (tmp_path / name).write_text("Company,Email\nSolo Ltd,solo@example.com\n")
    inputs = sorted(tmp_path.iterdir())
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    assert pipeline.worker_count(inputs) == 2
    prepared = pipeline.prepare_all(inputs, tmp_path, PROFILE)
    assert [p.relative for p in prepared] == ["a_big.csv", "b_small.csv", "c_small.csv",
                                              "d_small.csv"]
    assert len(prepared[0].frames[0].frame) == 30_000


def test_merge_ties_fall_back_to_file_then_sheet_then_row_order():
    # Same priority, completeness and recency: only file/sheet/row order decides, and the
    # frame lists the rows in the opposite order.
    rows = [("b.xlsx", "A", 2, "Trading"), ("a.xlsx", "B", 2, "Holding"),
            ("a.xlsx", "A", 9, "Retail"), ("a.xlsx", "A", 4, "Aviation")]
    frame = pd.DataFrame([{"organization_name": "Acme Flight", "category": category,
                           SOURCE_FILE: file, SOURCE_SHEET: sheet, SOURCE_ROW: row}
                          for file, sheet, row, category in rows], dtype=object)
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    merged = merge_clusters(frame, [0, 0, 0, 0], PROFILE)
    assert merged.refined["category"].tolist() == ["Aviation"]
    provenance = merged.provenance.iloc[0]
    assert provenance["primary_source"] == "a.xlsx|A|4"
    assert json.loads(provenance["source_rows"]) == [
        ["a.xlsx", "A", 4], ["a.xlsx", "A", 9], ["a.xlsx", "B", 2], ["b.xlsx", "A", 2]]


def test_markdown_report_renders_input_text_as_text():
    evil = "<img src=x onerror=alert(1)>"
    sheets = [SheetReport("in/<b>x</b>.xlsx", "S|1", "skipped",
                          reason=f"[click](javascript:alert(1)) {evil}"),
              SheetReport("crm.xlsx", "Orgs", "used", header_row=1, rows_in=1, rows_out=1,
                          mapped_columns={evil: "organization_name"},
                          unmapped_columns=["`code` | pipe"])]
    refined = pd.DataFrame({"organization_name": ["Acme"], evil: ["x"]})
    report = build_quality_report(
        profile=PROFILE, sheets=sheets, refined=refined, issues=[], rows_in=1,
        duplicates_merged=0, inputs=["crm.xlsx"], stage_seconds={}, hotpass_version="t")
    markdown = render_markdown(report)
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<img" not in html and "<b>" not in html and "javascript:" not in html.replace(
        "[click](javascript:", "")
    assert "href=" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    fill_rows = [line for line in markdown.splitlines() if "onerror" in line and "%" in line]
    assert fill_rows and all(line.count(" | ") == 1 for line in fill_rows)  # one row, 2 cells


@pytest.mark.parametrize("name", ["../profiles/generic", "/etc/passwd", "sub/generic",
                                  "generic.yaml", ""])
def test_a_profile_is_a_name_not_a_path(name):
    with pytest.raises(ProfileError, match="not a path; put the folder"):
        load_profile(name)


def test_a_missing_profile_search_path_is_an_error(tmp_path):
    with pytest.raises(ProfileError, match=r"--profile-search-path .*nope: no such folder"):
        load_profile("generic", [tmp_path / "nope"])
    (tmp_path / "mine.yaml").write_text((load_profile.__globals__["BUNDLED_PROFILE_DIR"]
                                         / "generic.yaml").read_text().replace(
        "name: generic", "name: mine"))
    assert load_profile("mine", [tmp_path]).name == "mine"


def test_preflight_refuses_bad_output_paths(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(HotpassError, match="must end in .xlsx"):
        check_output(tmp_path / "out.csv")
    with pytest.raises(HotpassError, match="is a directory"):
        check_output(tmp_path / "dir.xlsx")
    with pytest.raises(HotpassError, match=r"out.xlsx: .*/file is a file, not a folder"):
        check_output(tmp_path / "file" / "sub" / "out.xlsx")
    check_output(tmp_path / "new" / "deeper" / "out.xlsx")
    assert not (tmp_path / "new").exists()  # the check creates nothing


def test_a_run_never_reads_its_own_outputs(tmp_path):
    output = tmp_path / "dist" / "refined.xlsx"
    store = tmp_path / "dist" / ".refined.runs" / "run1"
    store.mkdir(parents=True)
    inputs = []
    for path in (store / "refined.csv", tmp_path / "dist" / "refined.csv",
                 tmp_path / "dist" / "issues.csv", tmp_path / "dist" / "contacts.csv",
                 tmp_path / "crm.xlsx"):
        path.write_text("x")
        inputs.append(path)
    assert own_outputs_excluded(inputs, output) == [tmp_path / "dist" / "contacts.csv",
                                                     tmp_path / "crm.xlsx"]


def test_the_folder_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    output = tmp_path / "dist" / "refined.xlsx"
    with open_run(output) as run:
        assert run.dir.is_dir()
        record = json.loads((tmp_path / "dist" / ".hotpass.lock").read_text())
        assert record["pid"] == os.getpid()
        expected = rf"another refine run \(pid {os.getpid()}, started {record['started']}\)"
        with pytest.raises(RunLocked, match=expected) as raised, run_lock(output):
            pass
        assert raised.value.exit_code == 3
    assert not (tmp_path / "dist").exists()  # nothing published: no trace left


def test_parallel_ingest_in_row_chunks_equals_one_process(tmp_path, monkeypatch):
    # Chunked normalisation on a pool must give exactly what one process gives: the same
    # frames (rows, order, extra e-mail/phone columns) and the same issues in the same order.
    from hotpass.bench.samples import generate_workbooks

    generate_workbooks(tmp_path, rows=2_400, seed=11, files=3, profile="generic")
    bad = [f"Org {n},{'not-mail' if n % 7 == 0 else f'o{n}@ex.co.za'},"
           f"{'12' if n % 5 == 0 else f'082 555 {n:04d}'}" for n in range(600)]
    (tmp_path / "z_bad.csv").write_text("Company,Email,Phone\n" + "\n".join(bad) + "\n")
    inputs = sorted(tmp_path.iterdir())
    alone = [pipeline.prepare_source(path, tmp_path, PROFILE) for path in inputs]
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "NORMALISE_CHUNK_ROWS", 250)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    pooled = pipeline.prepare_all(inputs, tmp_path, PROFILE)
    assert [p.relative for p in pooled] == [p.relative for p in alone]
    for one, other in zip(alone, pooled, strict=True):
        assert sum(len(s.frame) > 250 for s in one.frames) >= 1  # chunks were really cut
        assert [s.sheet for s in other.frames] == [s.sheet for s in one.frames]
        for a, b in zip(one.frames, other.frames, strict=True):
            pd.testing.assert_frame_equal(a.frame, b.frame)
        assert other.issues == one.issues
    rules = [i.rule for i in alone[-1].issues]
    assert "email.invalid" in rules and "phone.invalid" in rules


def test_a_pool_read_child_killed_skips_that_file_and_the_worker_goes_on(tmp_path,
                                                                       monkeypatch):
    # The pool worker reads each file in a forked child (``read_detached``); the OOM
    # killer there (SIGKILL, here while the doomed file is mapped) must cost that file
    # only, as a dead native reader does, never the worker or the run.
    import signal

    for name in ("a.csv", "doomed.csv", "c.csv"):
        rows = "\n".join(f"{name} Org {n},o{n}@example.com" for n in range(50))
        (tmp_path / name).write_text(f"Company,Email\n{rows}\n")
    real = pipeline.read_isolated

    def read_or_die(path, input_root, profile):
        if path.name == "doomed.csv":
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, input_root, profile)

    monkeypatch.setattr(pipeline, "read_isolated", read_or_die)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    prepared = pipeline.prepare_all(sorted(tmp_path.iterdir()), tmp_path, PROFILE)
    assert [p.relative for p in prepared] == ["a.csv", "c.csv", "doomed.csv"]
    assert [len(p.frames[0].frame) for p in prepared[:2]] == [50, 50]
    assert prepared[2].frames == []
    assert [i.rule for i in prepared[2].issues] == ["file.unreadable"]
    assert "doomed.csv: the reader was killed by SIGKILL" in prepared[2].issues[0].message


def test_release_free_memory_returns_a_fragmented_heap_to_the_system():
    # Freed blocks between live ones stay mapped until the heap is trimmed: the merge and
    # the export would add their own peaks on top of them.
    import psutil

    from hotpass.refine.heap import release_free_memory

    def rss_mb() -> float:
        return psutil.Process().memory_info().rss / 2**20

    release_free_memory()
    blocks = [np.ones(512) for _ in range(100_000)]  # 4 KB each, from the C heap
    kept = blocks[::16]
    del blocks
    before = rss_mb()
    release_free_memory()
    assert before - rss_mb() > 200, "the freed 370 MB stayed mapped"
    assert len(kept) == 6_250


def test_options_are_built_once_and_round_trip_through_json(tmp_path):
    """The door merges the search path (flags, then settings, once each) and parses
    --since; the flow receives the same object back from JSON, equal field for field."""
    import datetime as dt

    from hotpass.refine.model import RefineOptions
    from hotpass.refine.run import parse_since, refine_options
    from hotpass.settings import HotpassSettings

    own, shared = tmp_path / "own", tmp_path / "shared"
    settings = HotpassSettings(profile_search_path=[shared, own])
    options = refine_options(profile_search_path=(own,), since=parse_since("2024-11-01"),
                             archive=True, settings=settings)
    assert options.profile_search_path == (own, shared)
    assert options.since == dt.date(2024, 11, 1) and options.profile == settings.profile
    wire = options.model_dump_json()
    assert RefineOptions.model_validate_json(wire) == options
    assert '"since":"2024-11-01"' in wire and '"profile_search_path":[' in wire
