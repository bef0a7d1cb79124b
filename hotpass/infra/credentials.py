"""Changing the credentials store (``hotpass.credential_store``): the procedure and the
wizard's questions.

Contract: ``ChangeCredentials`` sets (value) or removes (``None``) names: plan
add/update/remove/unchanged per name, never a value; apply: write the store; verify:
re-read, fail on any difference or a mode that is not 0600. ``ask(prompt)`` asks for each
``WIZARD_FIELDS`` name (a blank answer keeps the stored value) and returns what was
entered.

Pitfalls: values never go into a plan, a log line or evidence; hidden input is the
caller's job (``click.prompt(hide_input=True)``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hotpass import credential_store as store
from hotpass.procedure import Change, Evidence, Procedure

# What `hotpass credentials wizard` asks for, in order (name, what it is for).
WIZARD_FIELDS: tuple[tuple[str, str], ...] = (
    ("PREFECT_API_KEY", "Prefect Cloud API key; leave blank for a self-hosted server"),
    ("AWS_ACCESS_KEY_ID", "S3/MinIO access key for the artefact bucket"),
    ("AWS_SECRET_ACCESS_KEY", "S3/MinIO secret key for the artefact bucket"),
    ("OPENLINEAGE_API_KEY", "OpenLineage/Marquez API key, if the backend wants one"),
    ("OTEL_EXPORTER_OTLP_HEADERS", "OTLP exporter headers, e.g. Authorization=Bearer <token>"),
    ("HOTPASS_LLM_API_KEY", "API key of a hosted LLM provider (Groq, OpenRouter)"),
)

class ChangeCredentials(Procedure):
    """Set (value) or remove (None) credentials: plan per name, write, re-read."""

    name = "credentials"

    def __init__(self, wanted: dict[str, str | None], state_dir: Path) -> None:
        self.wanted = wanted
        self.state_dir = state_dir

    def prepare(self, ev: Evidence) -> None:
        for name in self.wanted:
            store.check_name(name)

    def plan(self, ev: Evidence) -> list[Change]:
        current = store.load(self.state_dir)
        changes = []
        for name, value in sorted(self.wanted.items()):
            if value is None:
                action = "remove" if name in current else "unchanged"
            elif name not in current:
                action = "add"
            else:
                action = "unchanged" if current[name] == value else "update"
            changes.append(Change(name, action))  # never the value
        return changes

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        path = store.store_path(self.state_dir)
        stored = store.read_entries(path)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for change in changes:
            if change.action == "remove":
                stored.pop(change.target, None)
            else:
                stored[change.target] = {"value": self.wanted[change.target], "updated": now}
        store.write(path, stored)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        path = store.store_path(self.state_dir)
        current = store.load(self.state_dir)
        wrong = [f"{path} does not hold what was written for {name}"
                 for name, value in sorted(self.wanted.items()) if current.get(name) != value]
        problem = store.private_mode_problem(path) if path.exists() else None
        return wrong + ([problem] if problem else [])


def ask(prompt: Callable[[str], str], state_dir: Path) -> dict[str, str]:
    """Ask for each ``WIZARD_FIELDS`` name through ``prompt`` (hidden input is the
    caller's job); a blank answer keeps the stored value. Returns what was entered."""
    stored = store.load(state_dir)
    wanted = {}
    for name, purpose in WIZARD_FIELDS:
        hint = "stored; Enter keeps it" if name in stored else "Enter skips"
        value = prompt(f"{name} ({purpose}) [{hint}]")
        if value:
            wanted[name] = value
    return wanted
