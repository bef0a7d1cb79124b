#!/usr/bin/env bash
# Sync the project environment with uv, for the extras named in HOTPASS_UV_EXTRAS
# (space- or comma-separated, default "dev"). HOTPASS_DRY_RUN=1 prints the command only.
set -euo pipefail
extras="${HOTPASS_UV_EXTRAS:-dev}"
args=(sync)
for extra in ${extras//,/ }; do
  case "$extra" in
    orchestration|observability|enrichment|distributed|dev|all) args+=(--extra "$extra") ;;
    *) echo "uv_sync_extras: unknown extra '$extra' (known: orchestration observability enrichment distributed dev all)" >&2; exit 2 ;;
  esac
done
echo "+ uv ${args[*]}"
if [[ "${HOTPASS_DRY_RUN:-0}" == "1" ]]; then
  exit 0
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "uv_sync_extras: uv is not installed (pip install uv)" >&2
  exit 127
fi
cd "$(dirname "$0")/.."
exec uv "${args[@]}"
