"""The refinement run cut into steps a flow can wrap as Prefect tasks (no Prefect here).

Contract: ``select_inputs`` decides which files a run reads: all of them, those modified
after ``since`` (a date or ISO datetime), or, for ``incremental`` runs without ``since``,
those modified after the last successful run's checkpoint. ``resolve_input_dir``
unpacks a backfill's input bundle (``input_dir`` may be a ``hotpass-inputs-*.zip``).
``finish`` consolidates prepared files and publishes the outputs exactly like
``hotpass refine``; ``write_checkpoint`` then records the run's start time beside the
output (``<output stem>.checkpoint.json``). ``summary_markdown`` renders the run summary
the flow publishes as an artifact. ``run_local`` does all of it in-process, which is
what ``hotpass orchestrate`` runs when the Prefect runtime is off.

Pitfalls: the checkpoint is the run's *start* time, so a file saved while the run read
the others is picked up next time. An incremental run with nothing changed is not an
error: it writes nothing and reports ``status: unchanged``. Outputs of an incremental run
cover the changed files only (like ``refine --since``).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.fileio import atomic_write_text


@dataclass
class Selection:
    inputs: list[Path]
    all_inputs: list[Path]
    cutoff: dt.datetime | None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def checkpoint_path(output_path: Path) -> Path:
    output_path = Path(output_path)
    return output_path.with_name(output_path.stem + ".checkpoint.json")


def read_checkpoint(output_path: Path) -> dt.datetime | None:
    path = checkpoint_path(output_path)
    if not path.exists():
        return None
    try:
        return dt.datetime.fromisoformat(json.loads(path.read_text())["last_success"])
    except (ValueError, KeyError, TypeError) as exc:
        raise HotpassError(f"{path}: unreadable checkpoint ({exc}); delete it to start over")\
            from exc


def write_checkpoint(output_path: Path, started_at: dt.datetime, inputs: list[Path]) -> Path:
    payload = {"last_success": started_at.isoformat(), "inputs": [str(p) for p in inputs]}
    return atomic_write_text(checkpoint_path(output_path), json.dumps(payload, indent=2) + "\n")


def parse_since(since: Any) -> dt.datetime | None:
    """``since`` as an aware datetime: a date means midnight UTC of that day."""
    if since in (None, ""):
        return None
    if isinstance(since, dt.datetime):
        value = since
    elif isinstance(since, dt.date):
        value = dt.datetime.combine(since, dt.time.min)
    else:
        try:
            value = dt.datetime.fromisoformat(str(since))
        except ValueError:
            raise HotpassError(f"since: '{since}' is not a date like 2024-11-01") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def select_inputs(input_dir: Path, output_path: Path, *, incremental: bool,
                  since: Any = None) -> Selection:
    from hotpass.refine.ingest import discover_inputs

    started_at = dt.datetime.now(dt.UTC)
    everything = discover_inputs(Path(input_dir))
    cutoff = parse_since(since)
    if cutoff is None and incremental:
        cutoff = read_checkpoint(output_path)
    if cutoff is None:
        return Selection(everything, everything, None, started_at)
    chosen = [p for p in everything if p.stat().st_mtime > cutoff.timestamp()]
    return Selection(chosen, everything, cutoff, started_at)


def resolve_input_dir(input_dir: Path, scratch: Path | None = None) -> Path:
    """A folder as is; a ``.zip`` input bundle unpacked (checksums verified) to scratch."""
    input_dir = Path(input_dir)
    if input_dir.suffix.lower() != ".zip":
        return input_dir
    from hotpass.refine.archive import extract_input_bundle

    if not input_dir.is_file():
        raise HotpassError(f"input_dir {input_dir}: no such input bundle")
    target = Path(scratch or tempfile.mkdtemp(prefix="hotpass-replay-")) / input_dir.stem
    return extract_input_bundle(input_dir, target)


def finish(options, profile, inputs: list[Path], prepared: list, timings: dict) -> Any:
    """Consolidate and publish (strict gate, outputs, report, archive): a RefineResult."""
    from hotpass.refine.pipeline import consolidate
    from hotpass.refine.run import publish, stage

    with stage(timings, "consolidate"):
        result = consolidate(prepared, profile)
    return publish(options, profile, inputs, prepared, result, timings)


def run_summary(result: Any, selection: Selection, mode: str) -> dict[str, Any]:
    """The JSON-able summary every mode returns (and the artifact renders)."""
    if result is None:
        return {"status": "unchanged", "mode": mode, "processed": [], "records_out": 0,
                "rows_in": 0, "errors": 0, "warnings": 0, "outputs": {},
                "since": selection.cutoff.isoformat() if selection.cutoff else None}
    counts = {"error": 0, "warning": 0}
    for issue in result.issues:
        counts[issue.severity] = counts.get(issue.severity, 0) + 1
    root = result.options.input_dir
    return {
        "status": "refined", "mode": mode,
        "processed": [p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p)
                      for p in result.inputs],
        "rows_in": result.rows_in, "records_out": len(result.refined),
        "duplicates_merged": result.duplicates_merged, "errors": counts["error"],
        "warnings": counts["warning"],
        "outputs": {k: str(v) for k, v in result.outputs.items()},
        "since": selection.cutoff.isoformat() if selection.cutoff else None,
        "stage_seconds": result.stage_seconds,
    }


def summary_markdown(summary: dict[str, Any]) -> str:
    lines = ["# Hotpass refinement run", "",
             f"- status: **{summary['status']}** ({summary['mode']})",
             f"- changed since: {summary.get('since') or 'all inputs'}",
             f"- files processed: {len(summary['processed'])}",
             f"- rows in: {summary['rows_in']}, records out: {summary['records_out']}",
             f"- errors: {summary['errors']}, warnings: {summary['warnings']}", ""]
    if summary["processed"]:
        lines += ["| file |", "|---|", *[f"| {name} |" for name in summary["processed"]], ""]
    if summary["outputs"]:
        lines += ["| output | path |", "|---|---|",
                  *[f"| {k} | {v} |" for k, v in summary["outputs"].items()]]
    return "\n".join(lines) + "\n"


def run_local(*, input_dir: Path, output_path: Path, profile: str, archive: bool = False,
              incremental: bool = False, since: Any = None, backfill: bool = False,
              strict: bool = False) -> dict[str, Any]:
    """The refinement flow's steps without Prefect (``orchestrate`` with the runtime off)."""
    from hotpass.profiles import load_profile
    from hotpass.refine.model import RefineOptions
    from hotpass.refine.pipeline import prepare_all

    root = resolve_input_dir(Path(input_dir))
    selection = select_inputs(root, output_path, incremental=incremental and not backfill,
                              since=since)
    if not selection.inputs:
        return run_summary(None, selection, "local")
    loaded = load_profile(profile)
    options = RefineOptions(input_dir=root, output_path=Path(output_path),
                            profile_name=profile, archive=archive, strict=strict)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    prepared = prepare_all(selection.inputs, root, loaded)
    timings["ingest"] = round(time.perf_counter() - start, 3)
    result = finish(options, loaded, selection.inputs, prepared, timings)
    if incremental and not backfill:
        write_checkpoint(output_path, selection.started_at, selection.inputs)
    return run_summary(result, selection, "local")
