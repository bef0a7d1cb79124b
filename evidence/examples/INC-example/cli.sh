#!/usr/bin/env bash
# Evidence bundle INC-example (incident.capture), started 2026-12-06T10:40:35.244+00:00.
# Every command in the order it ran, each followed by its exit status.
# Secrets were never recorded: export them before replaying.
hotpass net status --json
# exit 0
hotpass doctor --json
# exit 2
hotpass refine --input-dir evidence/examples/INC-example/inputs --output-path /tmp/hotpass-incident-evhnx90l/refined.xlsx --json
# exit 0
