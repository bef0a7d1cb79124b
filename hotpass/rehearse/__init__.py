"""Rehearsals: release procedures proven against real servers, each leaving a bundle.

Modules: ``backfill`` (``invoke rehearse.backfill``: the backfill guardrail rehearsal as a
procedure), ``offline`` (``invoke rehearse.offline``: the offline-fallback runbook with no
server), ``observe`` (pure conclusions from what the Prefect server reports),
``probes`` (sample bundles, child runs, workers, screenshot), ``screenshot`` (headless
Chromium), ``bundle`` (the evidence bundle: cli.sh, cli.log, summary.json, manifest.json).

Pitfall: importing this package imports nothing heavy; ``backfill``'s plan imports
Prefect.
"""
