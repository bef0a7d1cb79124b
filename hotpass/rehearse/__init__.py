"""Rehearsals: release procedures proven against real servers, each leaving a bundle.

Modules: ``backfill`` (``invoke rehearse.backfill``: the backfill guardrail rehearsal as a
procedure), ``offline`` (``invoke rehearse.offline``: the offline-fallback runbook with no
server), ``observe`` (pure conclusions from what the Prefect server reports),
``options`` (the backfill rehearsal's arguments and checks), ``probes`` (sample bundles,
child runs, workers, screenshot), ``screenshot`` (headless Chromium). Bundles are
``hotpass.evidence`` bundles.

Pitfall: importing this package imports nothing heavy; ``backfill``'s plan imports
Prefect.
"""
