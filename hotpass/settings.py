"""Application settings: the one owner of ``HOTPASS_*`` configuration.

Contract: ``load()`` returns ``HotpassSettings`` read from environment variables and a
``.env`` file in the working directory; a bad value raises ``HotpassError`` naming the
variable (never a pydantic traceback). No other module reads ``HOTPASS_*`` from the
environment. The variables:

- ``HOTPASS_INPUT_DIR``, ``HOTPASS_OUTPUT_PATH``, ``HOTPASS_PROFILE``: refine defaults;
- ``HOTPASS_PROFILE_SEARCH_PATH``: extra profile folders, ``:``-separated;
- ``HOTPASS_TELEMETRY_ENABLED``, ``HOTPASS_LINEAGE_NAMESPACE``: observability;
  ``HOTPASS_TELEMETRY_FILE``: console telemetry appended there (the native stack's sink);
- ``HOTPASS_ENABLE_PREFECT_RUNTIME``: ``1``/``0`` forces the Prefect runtime on/off for
  ``orchestrate``; unset or empty lets ``PREFECT_API_URL`` decide;
- ``HOTPASS_IMAGE``: the flow image tag (default ``hotpass:<version>``);
- ``HOTPASS_EVIDENCE_DIR``: where procedures write evidence bundles (``dist/evidence``);
  ``HOTPASS_NEXT_STEPS_LOG``: the programme log every bundle appends a line to
  (``Next_Steps_Log.md``); ``HOTPASS_OWNER``: the owner named there (default: the login);
- ``HOTPASS_WORKERS_DIR``: pidfiles and logs of background workers (``dist/workers``);
- ``HOTPASS_S3_ENDPOINT``, ``HOTPASS_S3_BUCKET``, ``HOTPASS_S3_PREFIX``: where
  ``refine --archive`` uploads the bundle (unset endpoint: no upload);
- ``HOTPASS_STATE_DIR``: what local services, credentials (0600) and tunnels keep between
  commands (``dist/state``);
- ``HOTPASS_SEARX_URL``, ``HOTPASS_LLM_PROVIDER``, ``HOTPASS_LLM_BASE_URL``,
  ``HOTPASS_LLM_API_KEY``: enrichment; ``HOTPASS_BASTION_HOST``, ``HOTPASS_PREFECT_HOST``,
  ``HOTPASS_MARQUEZ_HOST``: ``hotpass net``; and, unprefixed as the runbooks name them,
  ``LOCALSTACK_ENDPOINT``, ``FEATURE_ENABLE_REMOTE_RESEARCH``, ``ALLOW_NETWORK_RESEARCH``.

CLI flags override settings; settings override the defaults below. The exporters' own
``OTEL_*`` and ``OPENLINEAGE_*`` variables are read by the OpenTelemetry and OpenLineage
libraries (see ``hotpass.observability``), Prefect's by Prefect.

Each front door (the CLI's ``hotpass.cli.kit.settings``, the tasks'
``ops/adapter.settings``, the Prefect flow's entry, the ``run_qg3`` script) calls
``load()`` once and passes the settings (or the values) down; library modules take them
as parameters (``tests/docs/test_architecture.py`` fails on any other ``load()``). The
one exception is where evidence goes (``HOTPASS_EVIDENCE_DIR``, ``HOTPASS_NEXT_STEPS_LOG``,
``HOTPASS_OWNER``), which every procedure run needs: the front door hands its loader
to ``hotpass.front_door.install`` and ``hotpass.evidence`` alone reads it.

Pitfalls: importing pydantic-settings costs ~0.1 s, so the CLI and tasks import this
module only inside commands, never at ``--help``/``--list``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hotpass.errors import HotpassError

PREFIX = "HOTPASS_"


class HotpassSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", extra="ignore")

    input_dir: Path = Path("data")
    output_path: Path = Path("dist/refined.xlsx")
    profile: str = "generic"
    profile_search_path: Annotated[list[Path], NoDecode] = []
    telemetry_enabled: bool = False
    telemetry_file: Path | None = None  # console exporters append here instead of stderr
    lineage_namespace: str = "hotpass"
    enable_prefect_runtime: bool | None = None  # unset: on when PREFECT_API_URL is
    image: str | None = None
    evidence_dir: Path = Path("dist/evidence")
    next_steps_log: Path = Path("Next_Steps_Log.md")
    owner: str | None = None
    workers_dir: Path = Path("dist/workers")
    s3_endpoint: str | None = None  # set: --archive uploads the bundle there
    s3_bucket: str = "hotpass-artifacts"
    s3_prefix: str = "refine"
    state_dir: Path = Path("dist/state")  # local services, credentials (0600), tunnels
    # The web UI links runs to these when set (hotpass site build).
    prefect_ui_url: str | None = Field(None, validation_alias="PREFECT_UI_URL")
    marquez_web_url: str | None = None
    # Enrichment and research (see docs/reference/cli-operations.md).
    searx_url: str | None = None
    llm_provider: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    localstack_endpoint: str | None = Field(None, validation_alias="LOCALSTACK_ENDPOINT")
    feature_enable_remote_research: bool = Field(
        False, validation_alias="FEATURE_ENABLE_REMOTE_RESEARCH")
    allow_network_research: bool = Field(False, validation_alias="ALLOW_NETWORK_RESEARCH")
    # hotpass net: the bastion and the service hosts as the bastion sees them.
    bastion_host: str | None = None
    prefect_host: str = "localhost"
    marquez_host: str = "localhost"

    @field_validator("profile_search_path", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p) for p in value.split(os.pathsep) if p.strip()]
        return value

    @field_validator("enable_prefect_runtime", "image", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def load() -> HotpassSettings:
    """The settings, or ``HotpassError`` naming the first bad variable and its value."""
    try:
        return HotpassSettings()
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else "*"
        name = key if key.isupper() else PREFIX + key.upper()  # aliases are spelled out
        raise HotpassError(f"{name}={error.get('input')!r}: {error['msg']}") from None

