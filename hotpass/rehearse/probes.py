"""The rehearsal's reads and writes beside the Prefect CLI: sample bundles, child runs and
their summaries, a pool's workers, the UI screenshot.

Contract:
- ``archive_dir(deployment)``: the deployment's ``archive_dir`` parameter resolved
  against its working directory (the ``set_working_directory`` pull step);
  ``sample_bundles(deployment, since, until)`` the (day, bundle path) of every window;
  ``archive_samples(deployment, days)`` zips the bundled sample data (``data/`` of the
  checkout, as ``hotpass refine`` selects it) as each day's input bundle.
- ``child_runs(run_id)``: the flow runs whose parent is ``run_id``, as JSON-able dicts,
  each with ``rows`` read from its ``hotpass-refinement-summary`` artifact (or None).
- ``pool_workers(pool)``: the pool's workers (name, status, last heartbeat).
- ``screenshot(bundle, api_url, run_id)``: the run's UI page as
  ``hotpass-e2e-staging.png`` in the (``hotpass.evidence``) bundle; returns ``{"file", "url", "reason"}``.

Pitfalls: these import Prefect; call them only on the rehearsal's path.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hotpass.paths import SOURCE_ROOT
from hotpass.rehearse import observe
from hotpass.rehearse import screenshot as shot

SAMPLE_DIR = SOURCE_ROOT / "data"
SUMMARY_KEY = "hotpass-refinement-summary"
PNG = "hotpass-e2e-staging.png"


def archive_dir(deployment: dict[str, Any]) -> Path:
    folder = Path((deployment.get("parameters") or {}).get("archive_dir")
                  or "dist/input-archives")
    workdir = next((step[key].get("directory") for step in deployment.get("pull_steps") or []
                    for key in step if key.endswith("set_working_directory")), None)
    return folder if folder.is_absolute() or not workdir else Path(workdir) / folder


def sample_bundles(deployment: dict[str, Any], since: dt.date,
                   until: dt.date) -> list[tuple[dt.date, Path]]:
    from hotpass.refine.output.archive import input_bundle_path

    folder = archive_dir(deployment)
    return [(day, input_bundle_path(folder, day)) for day in observe.daily(since, until)]


def archive_samples(deployment: dict[str, Any], days: list[dt.date]) -> list[str]:
    from hotpass import __version__
    from hotpass.refine.ingest.files import discover_inputs
    from hotpass.refine.output.archive import build_input_bundle

    profile = (deployment.get("parameters") or {}).get("profile") or "generic"
    inputs = discover_inputs(SAMPLE_DIR)
    folder = archive_dir(deployment)
    return [str(build_input_bundle(bundle_dir=folder, inputs=inputs, input_root=SAMPLE_DIR,
                                   profile=profile, hotpass_version=__version__,
                                   day=day)) for day in days]


def child_runs(run_id: str) -> list[dict[str, Any]]:
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    from hotpass.orchestration.api import client

    with client("rehearse.backfill") as prefect:
        runs = prefect.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id])))
        ids = [run.id for run in runs]
        artifacts = prefect.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=ids))) if ids else []
    summaries = {str(a.flow_run_id): a.data for a in artifacts if a.key == SUMMARY_KEY}
    children = []
    for run in sorted(runs, key=lambda r: r.name):
        data = run.model_dump(mode="json", include={"id", "name", "start_time", "end_time",
                                                    "total_run_time", "parameters",
                                                    "work_pool_name"})
        data["state"] = {"type": run.state.type.value, "name": run.state.name,
                         "message": run.state.message} if run.state else None
        data["rows"] = observe.row_counts(str(summaries.get(str(run.id), "")))
        children.append(data)
    return children


def pool_workers(pool: str) -> list[dict[str, Any]]:
    from prefect.exceptions import ObjectNotFound

    from hotpass.orchestration.api import client

    with client("rehearse.backfill") as prefect:
        try:
            workers = prefect.read_workers_for_work_pool(pool)
        except ObjectNotFound:
            return []
    return [{"name": w.name, "status": getattr(w.status, "value", w.status),
             "last_heartbeat_time": str(w.last_heartbeat_time)} for w in workers]


def screenshot(bundle: Any, api_url: str, run_id: str) -> dict[str, Any]:
    base = shot.ui_url(api_url)
    url = f"{base}/runs/flow-run/{run_id}"
    binary = shot.chromium()
    why = "chromium is not installed (Debian: apt-get install chromium)" if not binary \
        else shot.ui_problem(base)
    if why:
        bundle.record(f"screenshot {url}", status="failed", output=why)
        return {"file": None, "url": url, "reason": why}
    with tempfile.TemporaryDirectory(prefix="hotpass-chromium-") as tmp:
        out = Path(tmp) / PNG
        result = bundle.run(shot.command(url, out, Path(tmp) / "profile", binary),
                            timeout=120, mutates=False)
        if result.exit_code != 0 or not out.is_file():
            why = f"chromium exited {result.exit_code} without a screenshot (see cli.log)"
            return {"file": None, "url": url, "reason": why}
        bundle.capture(out, PNG, verbatim=True)
    return {"file": PNG, "url": url, "reason": ""}
