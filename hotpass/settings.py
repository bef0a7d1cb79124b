"""Application settings: the one owner of ``HOTPASS_*`` configuration.

Contract: ``HotpassSettings()`` reads environment variables (``HOTPASS_INPUT_DIR``,
``HOTPASS_OUTPUT_PATH``, ``HOTPASS_PROFILE``, ``HOTPASS_PROFILE_SEARCH_PATH`` as a
JSON list or ``:``-separated paths, ``HOTPASS_TELEMETRY_ENABLED``,
``HOTPASS_LINEAGE_NAMESPACE``, ``HOTPASS_ENABLE_PREFECT_RUNTIME`` (blank: unset);
``HOTPASS_S3_ENDPOINT``, ``HOTPASS_S3_BUCKET`` and
``HOTPASS_S3_PREFIX`` for the ``--archive`` upload; ``HOTPASS_STATE_DIR`` for what local
services, credentials (0600) and tunnels keep between commands; ``HOTPASS_SEARX_URL``,
``HOTPASS_LLM_PROVIDER``, ``HOTPASS_LLM_BASE_URL``, ``HOTPASS_LLM_API_KEY`` for
enrichment; ``HOTPASS_BASTION_HOST``, ``HOTPASS_PREFECT_HOST``, ``HOTPASS_MARQUEZ_HOST``
for ``hotpass net``; and, unprefixed as the runbooks name them, ``LOCALSTACK_ENDPOINT``,
``FEATURE_ENABLE_REMOTE_RESEARCH`` and ``ALLOW_NETWORK_RESEARCH``) and a ``.env`` file in
the working directory. CLI flags override settings; settings override the defaults
below. The exporters' own
``OTEL_*`` and ``OPENLINEAGE_*`` variables are read by the OpenTelemetry and OpenLineage
libraries (see ``hotpass.observability``), not here.

Pitfalls: importing pydantic-settings costs ~0.1 s, so the CLI imports this module only
inside commands, never at ``--help``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class HotpassSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTPASS_", env_file=".env", extra="ignore")

    input_dir: Path = Path("data")
    output_path: Path = Path("dist/refined.xlsx")
    profile: str = "generic"
    profile_search_path: Annotated[list[Path], NoDecode] = []
    telemetry_enabled: bool = False
    lineage_namespace: str = "hotpass"
    s3_endpoint: str | None = None  # set: --archive uploads the bundle there
    s3_bucket: str = "hotpass-artifacts"
    s3_prefix: str = "refine"
    state_dir: Path = Path("dist/state")  # local services, credentials (0600), tunnels
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
    enable_prefect_runtime: bool | None = None  # unset: on when PREFECT_API_URL is

    @field_validator("enable_prefect_runtime", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("profile_search_path", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return [Path(p) for p in value.split(os.pathsep) if p.strip()]
        return value
