#!/usr/bin/env bash
# Evidence bundle example (evidence.example), started 2026-12-06T10:17:05.294+00:00.
# Every command in the order it ran, each followed by its exit status.
# Secrets were never recorded: export them before replaying.
hotpass --version
# exit 0
