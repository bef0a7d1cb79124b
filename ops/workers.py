"""Worker tasks: ``invoke workers.start|stop|status`` for background Prefect workers.

Thin wrappers: the procedures (plan, apply, verify, evidence) and the process handling
live in ``hotpass.orchestration.workers`` and ``hotpass.procs``.
"""

from __future__ import annotations

import json as jsonlib
from pathlib import Path

from invoke import Collection

from ops.adapter import is_dry, procedure, settings, task

STATE_HELP = "Folder for the pidfiles and logs (default HOTPASS_WORKERS_DIR or dist/workers)."


@task(help={
    "pool": "Work pool the worker polls (required; created by `hotpass deploy` when missing).",
    "limit": "Most flow runs this worker runs at once (0: no limit).",
    "worker_type": "Worker type (default process).",
    "state_dir": STATE_HELP,
    "dry_run": "Print the plan (start, or unchanged when running) without starting it.",
})
def start(c, pool="", limit=0, worker_type="process", state_dir="", dry_run=False):
    """Start `prefect worker start --pool POOL` in the background (pidfile + log)."""
    from hotpass.orchestration.workers import StartWorker

    proc = StartWorker(pool, limit=limit or None, worker_type=worker_type,
                       state_dir=Path(state_dir or settings().workers_dir))
    outcome = procedure(c, proc, dry_run=dry_run)
    if outcome.result is not None:
        print(f"worker for pool {pool} started: pid {outcome.result.pid}, "
              f"log {outcome.result.log}")
    elif not is_dry(c, dry_run):
        print(f"worker for pool {pool} already running: pid {outcome.changes[0].detail['pid']}")


@task(help={
    "pool": "Pool whose worker to stop (default: every worker with a pidfile).",
    "timeout": "Seconds to wait after the second SIGTERM before SIGKILL (default 10).",
    "state_dir": STATE_HELP,
    "dry_run": "Print which workers would be stopped without signalling them.",
})
def stop(c, pool="", timeout=10.0, state_dir="", dry_run=False):
    """Stop background workers for sure (SIGTERM, SIGTERM again, then SIGKILL)."""
    from hotpass.orchestration.workers import StopWorkers

    proc = StopWorkers([pool] if pool else [], timeout=float(timeout),
                       state_dir=Path(state_dir or settings().workers_dir))
    outcome = procedure(c, proc, dry_run=dry_run)
    if not outcome.changes:
        print("no worker pidfiles; nothing to stop")
    for result in outcome.result:
        state = f"stopped pid {result['pid']}" if result["stopped"] else "not running"
        print(f"worker for pool {result['name']}: {state} ({result['how']})")


@task(help={
    "pool": "Only this pool (default: every pool).",
    "state_dir": STATE_HELP,
    "json": "Print the status as JSON.",
})
def status(c, pool="", state_dir="", json=False):
    """Show local worker processes and each pool's workers with their last heartbeat."""
    from hotpass.orchestration.workers import worker_status

    report = worker_status(pool or None, Path(state_dir or settings().workers_dir))
    if json:
        print(jsonlib.dumps(report, indent=2, sort_keys=True))
        return
    for row in report["local"]:
        print(f"local  {row['pool']:<28} pid {row['pid']} "
              f"{'running' if row['alive'] else 'NOT running'}  log {row['log']}")
    for row in report["server"] or []:
        print(f"server {row['pool']:<28} {row['worker'] or '-':<36} {row['status']:<10} "
              f"last heartbeat {row['last_heartbeat'] or '-'}")
    if report.get("note"):
        print(f"note: {report['note']}")


ns = Collection("workers")
ns.add_task(start)
ns.add_task(stop)
ns.add_task(status)
