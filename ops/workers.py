"""Worker tasks: ``invoke workers.start|stop|status`` for background Prefect workers.

Thin wrappers: the logic (pidfile, log, signal escalation, heartbeats) lives in
``hotpass.orchestration.workers``.
"""

from __future__ import annotations

import json as jsonlib
from pathlib import Path

from invoke import Collection, Exit, task

STATE_HELP = "Folder for the pidfile and log (default dist/workers)."


@task(help={
    "pool": "Work pool the worker polls (created by `hotpass deploy` when missing).",
    "limit": "Most flow runs this worker runs at once (0: no limit).",
    "worker_type": "Worker type (default process).",
    "state_dir": STATE_HELP,
    "dry_run": "Print the worker command without starting it.",
})
def start(c, pool, limit=0, worker_type="process", state_dir="dist/workers", dry_run=False):
    """Start `prefect worker start --pool POOL` in the background (pidfile + log)."""
    from hotpass.errors import HotpassError
    from hotpass.orchestration.workers import start_worker, worker_command

    if dry_run:
        print("[dry-run] $ " + " ".join(worker_command(pool, limit or None, worker_type)))
        print(f"[dry-run] would write {Path(state_dir) / (pool + '.pid')} and .log")
        return
    try:
        info = start_worker(pool, limit=limit or None, worker_type=worker_type,
                            state_dir=Path(state_dir))
    except HotpassError as exc:
        raise Exit(exc.message, code=exc.exit_code) from None
    print(f"worker for pool {pool} started: pid {info['pid']}, log {info['log']}")


@task(help={
    "pool": "Pool whose worker to stop (default: every worker with a pidfile).",
    "timeout": "Seconds to wait after the second SIGTERM before SIGKILL (default 10).",
    "state_dir": STATE_HELP,
    "dry_run": "Print which workers would be stopped without signalling them.",
})
def stop(c, pool="", timeout=10.0, state_dir="dist/workers", dry_run=False):
    """Stop background workers for sure (SIGTERM, SIGTERM again, then SIGKILL)."""
    from hotpass.orchestration.workers import local_workers, stop_worker

    pools = [pool] if pool else [row["pool"] for row in local_workers(Path(state_dir))]
    if not pools:
        print("no worker pidfiles; nothing to stop")
    for name in pools:
        if dry_run:
            print(f"[dry-run] would stop the worker for pool {name}")
            continue
        result = stop_worker(name, state_dir=Path(state_dir), timeout=float(timeout))
        state = f"stopped pid {result['pid']}" if result["stopped"] else "not running"
        print(f"worker for pool {name}: {state} ({result['how']})")


@task(help={
    "pool": "Only this pool (default: every pool).",
    "state_dir": STATE_HELP,
    "json": "Print the status as JSON.",
})
def status(c, pool="", state_dir="dist/workers", json=False):
    """Show local worker processes and each pool's workers with their last heartbeat."""
    from hotpass.orchestration.workers import worker_status

    report = worker_status(pool or None, Path(state_dir))
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
