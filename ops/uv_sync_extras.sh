#!/usr/bin/env bash
# Sync the project environment with uv (`uv sync --locked`), adding the extras named in
# HOTPASS_UV_EXTRAS (space- or comma-separated, default "dev") to the default group
# `runbooks`. The known extras are read from pyproject.toml, where they are declared.
# HOTPASS_DRY_RUN=1 prints the command only. Kept for the runbooks that bootstrap with it
# before anything is installed; `invoke deps.sync` does the same as a recorded procedure.
set -euo pipefail
cd "$(dirname "$0")/.."
known="$(python3 -c 'import tomllib; print(" ".join(sorted(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"])))')"
extras="${HOTPASS_UV_EXTRAS:-dev}"
args=(sync --locked)
for extra in ${extras//,/ }; do
  if [[ " $known " == *" $extra "* ]]; then
    args+=(--extra "$extra")
  else
    echo "uv_sync_extras: unknown extra '$extra' (known: $known)" >&2
    exit 2
  fi
done
echo "+ uv ${args[*]}"
if [[ "${HOTPASS_DRY_RUN:-0}" == "1" ]]; then
  exit 0
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "uv_sync_extras: uv is not installed (pip install uv)" >&2
  exit 127
fi
exec uv "${args[@]}"
