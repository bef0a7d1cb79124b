"""Stack tasks: ``invoke stack.up|down|status|logs`` for the self-hosted stack.

Thin wrappers: the logic (compose or native, plan/apply/verify, status, logs) lives in
``hotpass.infra.stack``. ``stack.up`` uses Docker Compose when an engine answers, else (or with
``--native``) starts what runs as local processes.
"""

from __future__ import annotations

import json as jsonlib
import sys
from pathlib import Path

from invoke import Collection

from ops.adapter import is_dry, procedure, settings, task

STATE_HELP = "Folder for the stack's state, pidfiles and logs (default $HOTPASS_STATE_DIR/stack)."


def _state_dir(state_dir: str) -> Path:
    if state_dir:
        return Path(state_dir)
    return settings().state_dir / "stack"


def _print_status(report: dict) -> None:
    print(f"stack: {report['mode']}" + (f" ({report['reason']})" if report["reason"] else ""))
    width = max(len(row["service"]) for row in report["services"])
    for row in report["services"]:
        note = row["why"] or row["runs"]
        print(f"  {row['service']:<{width}}  {row['health']:<11}  {row['url'] or '-':<32}  {note}")
    for kind, path in report["sinks"].items():
        print(f"{kind}: file sink {path}")
    if report["env"]:
        print("environment for Hotpass (S3 credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY):")
        for name, value in report["env"].items():
            print(f"  export {name}={value}")


@task(help={
    "native": "Start local processes (Prefect server, moto_server for S3) even when a Docker "
              "engine answers; the default when none does.",
    "llm": "Also start Ollama (compose profile llm; natively when ollama is on PATH).",
    "prefect_port": "Native Prefect server port (default 4200; 0 picks a free port).",
    "s3_port": "Native S3 API (moto_server) port (default 9000; 0 picks a free port).",
    "web_port": "Native Hotpass web UI (hotpass site serve) port (default 8765; 0 picks a "
                "free port).",
    "timeout": "Seconds to wait for each native service to answer its health check "
               "(compose waits at least 600).",
    "state_dir": STATE_HELP,
    "dry_run": "Show the plan; start nothing and write nothing.",
})
def up(c, native=False, llm=False, prefect_port=4200, s3_port=9000, web_port=8765,
       timeout=120, state_dir="", dry_run=False):
    """Bring the self-hosted stack up (idempotent: running services are left alone)."""
    from hotpass.infra.stack import choose_mode, status, up_procedure

    mode, reason = choose_mode(native)
    print(f"stack: {mode} ({reason})")
    state = _state_dir(state_dir)
    procedure(c, up_procedure(mode, reason, state_dir=state, store_dir=settings().state_dir,
                              llm=llm,
                              prefect_port=int(prefect_port), s3_port=int(s3_port),
                              web_port=int(web_port), timeout=float(timeout)),
              dry_run=dry_run)
    if not is_dry(c, dry_run):
        _print_status(status(state))


@task(help={
    "state_dir": STATE_HELP,
    "dry_run": "Show what would be stopped; stop nothing.",
})
def down(c, state_dir="", dry_run=False):
    """Stop what stack.up started (compose: `docker compose down`, volumes kept)."""
    from hotpass.infra.stack import down_procedure

    procedure(c, down_procedure(_state_dir(state_dir)), dry_run=dry_run)


@task(help={
    "json": "Print the status as JSON.",
    "state_dir": STATE_HELP,
})
def status(c, json=False, state_dir=""):
    """Every service of the compose file: URL, health and, when not started, why."""
    from hotpass.infra.stack import status as stack_status

    report = stack_status(_state_dir(state_dir))
    if json:
        print(jsonlib.dumps(report, indent=2, sort_keys=True))
    else:
        _print_status(report)


@task(help={
    "service": "Compose service name (e.g. prefect-server, minio).",
    "lines": "How many of the last lines to print (default 50).",
    "state_dir": STATE_HELP,
})
def logs(c, service, lines=50, state_dir=""):
    """Print the last lines of one service's log (kept after stack.down)."""
    from hotpass.infra.stack import logs as stack_logs

    text, note = stack_logs(service, _state_dir(state_dir), int(lines))
    if note:
        print(note, file=sys.stderr)
    if text:
        print(text)


ns = Collection("stack")
ns.add_task(up)
ns.add_task(down)
ns.add_task(status)
ns.add_task(logs)
