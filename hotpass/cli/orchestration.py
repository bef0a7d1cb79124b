"""``hotpass deploy`` and ``hotpass orchestrate`` (shared with ``hotpass-enhanced``):
option handling and output, on top of ``orchestration.deploy`` and ``runtime``.

Contract: ``run_deploy`` runs the ``Deploy`` procedure (``orchestration.deployment``):
validate every manifest first, then exactly one of dry run (plan only), ``--no-upload``
(offline payloads, planned against the files there) or register-and-verify; it prints a
line per deployment and the evidence folder (or one JSON document with ``--json``) and
returns the plan steps.
``run_orchestrate`` prints the mode it used and the run summary. Errors are
``HotpassError`` (the CLI prints one line and exits non-zero).

Pitfalls: image build/push happen after validation and before registration, so a
missing Docker engine fails the command with nothing registered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hotpass.cli import kit
from hotpass.cli.kit import echo, echo_json
from hotpass.cli.options import bundle, dry_run_option, json_option, refine_options


def run_deploy(*, flow_ids: tuple[str, ...], manifest_dir: Path | None, dry_run: bool,
               no_upload: bool, build_image: bool, push_image: bool, as_json: bool,
               manifests: list[Any] | None = None) -> list[dict[str, Any]]:
    from hotpass.orchestration.deploy import Deploy
    from hotpass.orchestration.manifests import load_manifests, select
    from hotpass.procedure import run

    chosen = manifests if manifests is not None else select(load_manifests(manifest_dir),
                                                            list(flow_ids))
    proc = Deploy(chosen, offline=no_upload, build_image=build_image, push_image=push_image,
                  image=kit.settings().image)
    outcome = run(proc, dry_run=dry_run)
    mode = "dry-run" if dry_run else "offline" if no_upload else "register"
    steps, written, images = (outcome.result.steps, outcome.result.written,
                              outcome.result.images)
    evidence = str(outcome.bundle) if outcome.bundle else None
    result = [step.to_dict() for step in steps]
    if as_json:
        echo_json({"mode": mode, "deployments": result, "evidence": evidence,
                   "written": [str(p) for p in written], "images": images})
        return result
    verb = {"dry-run": "would", "offline": "offline", "register": "done"}[mode]
    for step in steps:
        echo(f"{step.deployment}: {step.action} ({verb})")
        for key, change in step.changes.items():
            echo(f"    {key}: {json.dumps(change['server'], default=str)} -> "
                       f"{json.dumps(change['manifest'], default=str)}")
        for note in step.notes:
            echo(f"    note: {note}")
    for path in written:
        echo(f"wrote {path}")
    for tag in images:
        echo(f"image {tag}")
    if evidence:
        echo(f"evidence: {evidence}")
    return result


def run_orchestrate(*, input_dir: Path | None, output_path: Path | None, profile: str | None,
                    archive: bool, incremental: bool, since: Any,
                    enable_observability: bool, as_json: bool, task_runner: str = "thread",
                    dask_address: str | None = None, dask_workers: int | None = None,
                    profile_search_path: tuple[Path, ...] = ()) -> dict[str, Any]:
    from hotpass.orchestration.runtime import orchestrate
    from hotpass.refine.run import refine_options as options_for

    options = options_for(input_dir=input_dir, output_path=output_path, profile=profile,
                          profile_search_path=profile_search_path, archive=archive,
                          since=since, settings=kit.settings())
    mode, summary = orchestrate(options, kit.settings(), incremental=incremental,
                                enable_observability=enable_observability,
                                task_runner=task_runner, dask_address=dask_address,
                                dask_workers=dask_workers)
    if as_json:
        echo_json({"mode": mode, **summary})
        return summary
    how = ("Prefect runtime (flow run on the Prefect API)" if mode == "prefect" else
           "local (set HOTPASS_ENABLE_PREFECT_RUNTIME=1 or PREFECT_API_URL for Prefect)")
    echo(f"mode: {mode}: {how}")
    reused = f", {len(summary['reused'])} reused" if summary["reused"] else ""
    echo(f"status: {summary['status']}; {len(summary['processed'])} file(s) processed"
         f"{reused}, {summary['records_out']} records, {summary['errors']} errors, "
         f"{summary['warnings']} warnings")
    if summary.get("ran_on"):
        workers = sorted({place.get("dask_worker") or f"pid {place['pid']}"
                          for place in summary["ran_on"].values()})
        echo(f"task runner: {summary['task_runner']}; per-file tasks ran on "
             f"{len(workers)} worker(s): {', '.join(workers)}")
    return summary


deploy_options = bundle(
    click.option("--flow", "flow_ids", multiple=True, required=True,
                 help="Manifest id to deploy (repeatable): refinement, backfill, ..."),
    click.option("--manifest-dir", type=click.Path(path_type=Path),
                 help="Manifest folder (default prefect/); an overlay such as "
                      "prefect/staging merges over its parent's manifests."),
    dry_run_option("Validate and print the plan (create/update/unchanged); change nothing."),
    click.option("--no-upload", is_flag=True,
                 help="Write RunnerDeployment JSON under dist/offline/prefect/ "
                      "instead of registering; no server needed."),
    click.option("--build-image", is_flag=True,
                 help="Build the flow image with the Docker engine first."),
    click.option("--push-image", is_flag=True,
                 help="Push the flow image with the Docker engine first."),
    json_option("Print the plan/result as JSON."),
)

orchestrate_options = bundle(
    refine_options(archive_help="Also write the output bundle and the dated input bundle.",
                   observability_help="Export OpenTelemetry metrics and spans, as hotpass "
                                      "refine does."),
    click.option("--incremental", is_flag=True,
                 help="Re-read only inputs changed since the last incremental run "
                      "(the others come from its cache); publish the full dataset."),
    click.option("--task-runner", type=click.Choice(["thread", "dask"]),
                 default="thread", show_default=True,
                 help="Where the per-workbook tasks run: threads of this process, or "
                      "a Dask cluster (extra 'distributed'; Prefect runtime only)."),
    click.option("--dask-address",
                 help="Scheduler of a running Dask cluster (tcp://host:8786) for "
                      "--task-runner dask; default: a temporary local cluster."),
    click.option("--dask-workers", type=click.IntRange(min=1),
                 help="Worker processes (one thread each) of the temporary local Dask "
                      "cluster for --task-runner dask; default: Dask's choice for this "
                      "machine."),
    json_option("Print the mode and run summary as JSON."),
)


@click.command("orchestrate")
@orchestrate_options
def orchestrate_command(input_dir, output_path, profile, profile_search_path, archive, since,
                        enable_observability, incremental, task_runner, dask_address,
                        dask_workers, as_json) -> None:
    """Run the refinement flow: on Prefect when enabled, else the same steps locally."""
    run_orchestrate(input_dir=input_dir, output_path=output_path, profile=profile,
                    archive=archive, incremental=incremental, since=since,
                    enable_observability=enable_observability, as_json=as_json,
                    task_runner=task_runner, dask_address=dask_address,
                    dask_workers=dask_workers, profile_search_path=profile_search_path)


@click.command("deploy")
@deploy_options
def deploy_command(flow_ids, manifest_dir, dry_run, no_upload, build_image, push_image,
                   as_json) -> None:
    """Validate Prefect deployment manifests, then plan, write offline or register them."""
    run_deploy(flow_ids=flow_ids, manifest_dir=manifest_dir, dry_run=dry_run,
               no_upload=no_upload, build_image=build_image, push_image=push_image,
               as_json=as_json)
