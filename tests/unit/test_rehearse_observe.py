"""The rehearsal's conclusions from server data: peak overlap, windows, guardrails."""

from __future__ import annotations

import datetime as dt

from hotpass.rehearse import observe


def run(name, start, end, state="Completed"):
    return {"name": name, "id": name, "start_time": start, "end_time": end,
            "state": {"name": state, "type": state.upper()}}


def test_peak_overlap_counts_runs_running_at_once_and_not_touching_ends():
    runs = [run("a", "2024-01-01T00:00:00Z", "2024-01-01T00:00:10Z"),
            run("b", "2024-01-01T00:00:05+00:00", "2024-01-01T00:00:12Z"),
            run("c", "2024-01-01T00:00:10Z", "2024-01-01T00:00:20Z"),  # starts as a ends
            run("d", None, None, "Scheduled")]  # never started: not running
    assert observe.peak_overlap(runs) == 2
    runs.append(run("e", "2024-01-01T00:00:11Z", None, "Running"))  # still running
    assert observe.peak_overlap(runs, now=dt.datetime(2024, 1, 2, tzinfo=dt.UTC)) == 3


def test_windows_name_every_day_and_skip_days_without_a_run():
    rows = observe.windows(dt.date(2024, 1, 1), dt.date(2024, 1, 3),
                           [run("backfill-20240103", "2024-01-01T00:00:00Z",
                                "2024-01-01T00:00:01Z", "Failed")])
    assert [(r["day"], r["state"]) for r in rows] == [
        ("2024-01-01", "skipped"), ("2024-01-02", "skipped"), ("2024-01-03", "Failed")]


def test_guardrail_differences_name_the_guardrail_and_both_values():
    manifest = {"concurrency_limit": 2, "work_pool": "p",
                "parameters": {"concurrency_key": "k", "concurrency_limit": 2,
                               "backfill": True}}
    server = {"global_concurrency_limit": {"limit": 2}, "work_pool_name": "p",
              "parameters": dict(manifest["parameters"])}
    assert observe.guardrail_differences(manifest, server) == []
    server["global_concurrency_limit"]["limit"] = 3
    server["parameters"]["backfill"] = False
    assert observe.guardrail_differences(manifest, server) == [
        "concurrency_limit: server 3, manifest 2",
        "parameters.backfill: server False, manifest True"]


def test_row_counts_and_run_id_are_read_from_prefect_output():
    assert observe.row_counts("- rows in: 400, records out: 234\n") == {
        "rows_in": 400, "records_out": 234}
    assert observe.row_counts("no counts") is None
    log = "Created flow run 'x'.\n└── UUID: 1e28d891-40be-48c1-9a21-25052cf3a479\n"
    assert observe.flow_run_id(log) == "1e28d891-40be-48c1-9a21-25052cf3a479"


def test_the_rehearsal_fails_when_more_windows_ran_at_once_than_the_limit(tmp_path):
    from hotpass.rehearse.backfill import Options, Rehearsal

    rehearsal = Rehearsal(Options(since="2024-01-01", until="2024-01-03", out_dir=tmp_path),
                          bundle=None)
    rehearsal.desired = {"concurrency_limit": 2}
    rehearsal.run_id, rehearsal.run = "r", {"state": {"name": "Completed"}}
    rehearsal.children = [run(f"backfill-2024010{n}", "2024-01-01T00:00:00Z",
                              "2024-01-01T00:00:10Z") for n in (1, 2, 3)]
    assert rehearsal.verify([], None) == ["observed concurrency 3 exceeds the limit 2"]
    rehearsal.children[2] = run("backfill-20240103", "2024-01-01T00:00:10Z",
                                "2024-01-01T00:00:20Z")
    assert rehearsal.verify([], None) == []
    rehearsal.children = [run("backfill-20240101", None, None, "Scheduled")]
    assert [p.split(" (")[0] for p in rehearsal.verify([], None)] == [
        "no window actually ran between 2024-01-01 and 2024-01-03"]
