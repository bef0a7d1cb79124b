"""``hotpass env``: write ``.env.<target>`` with the stack's endpoints (see hotpass.infra.env).

Contract: prints the plan (per-variable changes, masked) and what was written; with
``--dry-run`` prints the file as it would be, credentials masked, and writes nothing;
``--json`` prints one document (plan, masked text). Refusals are one-line errors.
"""

from __future__ import annotations

from pathlib import Path

import click

from hotpass.cli.kit import echo, echo_json, settings
from hotpass.cli.options import bundle, dry_run_option, json_option, target_option

URL_FLAGS = (  # flag, variable
    ("--prefect-url", "PREFECT_API_URL"),
    ("--openlineage-url", "OPENLINEAGE_URL"),
    ("--otlp-endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT"),
    ("--s3-endpoint", "HOTPASS_S3_ENDPOINT"),
    ("--localstack-endpoint", "LOCALSTACK_ENDPOINT"),
    ("--searx-url", "HOTPASS_SEARX_URL"),
    ("--llm-base-url", "HOTPASS_LLM_BASE_URL"),
)


env_options = bundle(
    target_option("Environment the file is for."),
    click.option("--output", type=click.Path(path_type=Path),
                 help="File to write (default .env.<target>)."),
    *[click.option(flag, variable.lower(), metavar="URL",
                   help=f"{variable} (default: live tunnel or the stack's localhost).")
      for flag, variable in URL_FLAGS],
    click.option("--allow-network", type=click.BOOL, default=False, show_default=True,
                 help="Write FEATURE_ENABLE_REMOTE_RESEARCH and ALLOW_NETWORK_RESEARCH "
                      "as this (--allow-network=true|false)."),
    click.option("--include-credentials", is_flag=True,
                 help="Add the credentials store's values; the file is then mode 0600."),
    click.option("--force", is_flag=True, help="Overwrite an existing file that differs."),
    dry_run_option("Print the file (credentials masked) and the plan; write nothing."),
    json_option("Print the plan as JSON."),
)
"""The flags of ``hotpass env`` (``invoke env.generate`` mirrors them)."""


def run_env(*, target: str, output: Path | None, urls: dict[str, str | None],
            allow_network: bool, include_credentials: bool, force: bool, dry_run: bool,
            as_json: bool) -> dict:
    from hotpass.infra.env import describe, generate

    result = generate(target, {k.upper(): v for k, v in urls.items() if v}, output=output,
                      allow_network=allow_network, include_credentials=include_credentials,
                      force=force, dry_run=dry_run, state_dir=settings().state_dir)
    if as_json:
        echo_json({**result, "dry_run": dry_run})
        return result
    for line in describe(result, dry_run=dry_run):
        echo(line)
    return result


@click.command("env")
@env_options
def env_command(target, output, as_json, allow_network, include_credentials, force, dry_run,
                **urls) -> None:
    """Write the environment file for a target: stack endpoints, tunnels, credentials."""
    run_env(target=target, output=output, urls=urls, allow_network=allow_network,
            include_credentials=include_credentials, force=force, dry_run=dry_run,
            as_json=as_json)
