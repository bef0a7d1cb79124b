#!/usr/bin/env bash
# Evidence bundle INC-example-replay-20261206T104049960417Z (incident.replay), started 2026-12-06T10:40:49.960+00:00.
# Every command in the order it ran, each followed by its exit status.
# Secrets were never recorded: export them before replaying.
hotpass refine --input-dir evidence/examples/INC-example/inputs --output-path /tmp/hotpass-incident-6w96ncob/refined.xlsx --json
# exit 0
