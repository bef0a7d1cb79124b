"""``hotpass-enhanced``: the entry point the orchestration runbooks use.

Contract: ``hotpass-enhanced deploy --name N --profile P --schedule CRON
--concurrency-limit K [--tag T]...`` registers a one-off deployment of the refinement
flow: ``prefect/refinement.yaml`` with those values put over it, validated and applied
exactly like ``hotpass deploy`` (``--dry-run``/``--no-upload``/``--json`` too).
``hotpass-enhanced orchestrate`` is ``hotpass orchestrate``.

Pitfalls: ``--name`` becomes the deployment name, so ``prefect deployment run
hotpass-refinement/N`` runs it; the manifest id becomes ``N`` (offline payload file name).
"""

from __future__ import annotations

import click

from hotpass.cli.kit import ReportingGroup
from hotpass.cli.options import dry_run_option, json_option, profile_option
from hotpass.cli.orchestration import orchestrate_command


@click.group(cls=ReportingGroup, error_prefix="hotpass-enhanced",
             context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Hotpass orchestration runbook commands (Prefect deployments and runs)."""


@main.command()
@click.option("--name", required=True, help="Deployment name (e.g. hotpass-prod).")
@profile_option()
@click.option("--schedule", "cron", help="Cron schedule, e.g. '0 2 * * *' (UTC).")
@click.option("--concurrency-limit", type=click.IntRange(min=1),
              help="Most runs of this deployment at once.")
@click.option("--tag", "tags", multiple=True, help="Tag to add (repeatable).")
@click.option("--work-pool", help="Work pool (default: the refinement manifest's).")
@dry_run_option("Validate and print the plan only.")
@click.option("--no-upload", is_flag=True, help="Write the offline payload instead.")
@json_option()
def deploy(name, profile, cron, concurrency_limit, tags, work_pool, dry_run, no_upload,
           as_json) -> None:
    """Register a one-off deployment of the refinement flow."""
    from hotpass.cli.orchestration import run_deploy
    from hotpass.orchestration.manifests import load_manifests, validate

    base = load_manifests()["refinement"]
    data = base.model_dump()
    data.update(id=name.lower().replace("_", "-"), name=name,
                tags=[*base.tags, *tags],
                parameters={**base.parameters,
                            "options": {**base.parameters["options"], "profile": profile}})
    if cron:
        data["schedule"] = {"kind": "cron", "value": cron, "timezone": "UTC", "active": True}
    if concurrency_limit:
        data["concurrency_limit"] = concurrency_limit
        data["concurrency_key"] = f"{name}-runs"
    if work_pool:
        data["work_pool"] = work_pool
    manifest = validate(data, f"hotpass-enhanced deploy --name {name}")
    run_deploy(flow_ids=(), manifest_dir=None, dry_run=dry_run, no_upload=no_upload,
               build_image=False, push_image=False, as_json=as_json, manifests=[manifest])


main.add_command(orchestrate_command)


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="hotpass-enhanced")
