"""Incident tasks: ``invoke incident.capture|replay|close`` (the incident-response runbook).

Thin wrappers over ``hotpass.infra.incident``: capture the evidence into
``dist/incidents/<ticket>/``, replay refine on the captured inputs, close the ticket
after a green replay. Invoke's global ``--dry`` counts as ``--dry-run``.
"""

from __future__ import annotations

from pathlib import Path

from invoke import Collection

from ops.adapter import is_dry, task

TICKET_HELP = "Incident ticket id, a plain name such as INC-42 (no '/', no '..')."
ROOT_HELP = "Folder of incident bundles (default dist/incidents)."


def _root(root: str) -> Path:
    from hotpass.infra.incident import DEFAULT_ROOT

    return Path(root) if root else DEFAULT_ROOT


@task(iterable=["logs", "profile_search_path"], help={
    "ticket": TICKET_HELP,
    "profile": "Profile the failing run used (default HOTPASS_PROFILE or generic).",
    "profile_search_path": "Extra folder to look for <profile>.yaml in (repeatable).",
    "inputs": "Folder holding a copy of the offending inputs; copied into the bundle's "
              "inputs/ and refined there to reproduce the failure.",
    "logs": "A log file or folder the operator sent (repeatable); copied redacted.",
    "deployment": "Prefect deployment to inspect, FLOW/NAME (default: the refinement "
                  "manifest's, hotpass-refinement/hotpass-refinement).",
    "owner": "Who handles the incident (default HOTPASS_OWNER or the login).",
    "root": ROOT_HELP,
    "dry_run": "Print the commands; copy, run and write nothing.",
})
def capture(c, ticket, profile="", profile_search_path=None, inputs="", logs=None,
            deployment="", owner="", root="", dry_run=False):
    """Capture net status, doctor, logs, inputs, a reproduce, Prefect and the environment."""
    from hotpass.infra.incident import CaptureOptions
    from hotpass.infra.incident import capture as capture_incident

    options = CaptureOptions(ticket=ticket, profile=profile,
                             profile_search_path=[Path(p) for p in profile_search_path or []],
                             inputs=Path(inputs) if inputs else None,
                             logs=[Path(p) for p in logs or []], deployment=deployment,
                             root=_root(root), owner=owner or None)
    result = capture_incident(options, dry_run=is_dry(c, dry_run))
    if result["bundle"] is None:
        return
    reproduce, prefect = result["summary"]["reproduce"], result["summary"]["prefect"]
    if reproduce.get("ran"):
        stage = reproduce["failing_stage"]
        print("reproduce: " + ("refine succeeded" if stage is None else
                               f"refine failed in {stage} (exit {reproduce['exit_code']}): "
                               f"{reproduce['error']}"))
    print("prefect: " + (f"{prefect['deployment']} inspected" if prefect["reachable"]
                         else f"unreachable ({prefect['why']})"))
    print(f"bundle: {result['bundle']}")


@task(help={
    "ticket": TICKET_HELP,
    "owner": "Who ran the replay (default HOTPASS_OWNER or the login).",
    "root": ROOT_HELP,
    "dry_run": "Print the refine command; run and write nothing.",
})
def replay(c, ticket, owner="", root="", dry_run=False):
    """Rerun refine on the captured inputs; non-zero unless it is green."""
    from hotpass.errors import HotpassError
    from hotpass.infra.incident import replay as replay_incident

    result = replay_incident(ticket, root=_root(root), owner=owner or None,
                             dry_run=is_dry(c, dry_run))
    if result["bundle"] is None:
        return
    print(f"bundle: {result['bundle']}")
    if not result["green"]:
        summary = result["summary"]
        raise HotpassError(f"incident.replay {ticket}: refine still fails in "
                           f"{summary['failing_stage']}: {summary['error']}", exit_code=1)
    print(f"incident.replay {ticket}: green")


@task(help={
    "ticket": TICKET_HELP,
    "owner": "Who owns the follow-up (named in Next_Steps_Log.md).",
    "root_cause": "What caused the incident (one line, into Next_Steps_Log.md).",
    "root": ROOT_HELP,
    "dry_run": "Check the replay is green; write nothing.",
})
def close(c, ticket, owner, root_cause, root="", dry_run=False):
    """Close the incident after a green replay; one row in Next_Steps_Log.md."""
    from hotpass.infra.incident import close as close_incident

    result = close_incident(ticket, owner, root_cause, root=_root(root),
                            dry_run=is_dry(c, dry_run))
    if result["bundle"] is not None:
        print(f"incident.close {ticket}: closed by {owner}; bundle: {result['bundle']}")


ns = Collection("incident")
ns.add_task(capture)
ns.add_task(replay)
ns.add_task(close)
