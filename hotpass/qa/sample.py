"""Refine the sample data into a fresh run directory (the data and enrichment gates).

Contract: ``refine_sample(context, run_dir)`` refines ``context.data`` with the
context's profile into ``run_dir/refined.xlsx`` (a new folder each call) and returns the
path. Telemetry is off; a refine failure is the ``HotpassError`` refine raised.
"""

from __future__ import annotations

from pathlib import Path


def fresh_run_dir(context, gate: str) -> Path:
    import datetime as dt

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = Path(context.work_dir).absolute() / f"{gate}-{stamp}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def refine_sample(context, run_dir: Path) -> Path:
    from hotpass.refine.run import refine_options, run

    output = run_dir / "refined.xlsx"
    options = refine_options(input_dir=context.data, output_path=output,
                             profile=context.profile,
                             profile_search_path=context.profile_search_path,
                             settings=context.settings)
    run(options, context.settings, telemetry=False)
    return output
