"""Environment tasks: ``invoke env.generate`` (the same as ``hotpass env``).

Thin wrapper: the logic (sources, plan, atomic write, verify) is ``hotpass.infra.env.generate``.
Invoke's global ``--dry`` counts as ``--dry-run`` (through ``ops.adapter``).
"""

from __future__ import annotations

from invoke import Collection

from ops.adapter import is_dry, settings, task

URL_HELP = "{} (default: the stack's localhost endpoint)."
TUNNEL_HELP = "{} (default: a live `hotpass net` tunnel, else the stack's localhost)."


@task(help={
    "target": "Environment the file is for: local, staging or prod (default local).",
    "output": "File to write (default .env.<target>).",
    "prefect_url": TUNNEL_HELP.format("PREFECT_API_URL"),
    "openlineage_url": TUNNEL_HELP.format("OPENLINEAGE_URL"),
    "otlp_endpoint": URL_HELP.format("OTEL_EXPORTER_OTLP_ENDPOINT"),
    "s3_endpoint": URL_HELP.format("HOTPASS_S3_ENDPOINT"),
    "localstack_endpoint": URL_HELP.format("LOCALSTACK_ENDPOINT"),
    "searx_url": URL_HELP.format("HOTPASS_SEARX_URL"),
    "llm_base_url": URL_HELP.format("HOTPASS_LLM_BASE_URL"),
    "allow_network": "Write FEATURE_ENABLE_REMOTE_RESEARCH/ALLOW_NETWORK_RESEARCH as true.",
    "include_credentials": "Add the credentials store's values (the file is then 0600).",
    "force": "Overwrite an existing file that differs.",
    "dry_run": "Print the file (credentials masked) and the plan; write nothing.",
})
def generate(c, target="local", output="", prefect_url="", openlineage_url="",
             otlp_endpoint="", s3_endpoint="", localstack_endpoint="", searx_url="",
             llm_base_url="", allow_network=False, include_credentials=False, force=False,
             dry_run=False):
    """Write .env.<target> with every endpoint of the stack (see `hotpass env`)."""
    from pathlib import Path

    from hotpass.infra import env

    dry_run = is_dry(c, dry_run)
    urls = {"PREFECT_API_URL": prefect_url, "OPENLINEAGE_URL": openlineage_url,
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint, "HOTPASS_S3_ENDPOINT": s3_endpoint,
            "LOCALSTACK_ENDPOINT": localstack_endpoint, "HOTPASS_SEARX_URL": searx_url,
            "HOTPASS_LLM_BASE_URL": llm_base_url}
    result = env.generate(target, {k: v for k, v in urls.items() if v},
                          output=Path(output) if output else None,
                          allow_network=allow_network,
                          include_credentials=include_credentials, force=force,
                          dry_run=dry_run, state_dir=settings().state_dir)
    for line in env.describe(result, dry_run=dry_run):
        print(line)


ns = Collection("env")
ns.add_task(generate)
