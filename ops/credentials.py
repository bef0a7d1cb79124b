"""Credential tasks: ``invoke credentials.show|set|clear`` are ``hotpass credentials``
(the 0600 store under HOTPASS_STATE_DIR; set and clear are procedures)."""

from __future__ import annotations

from invoke import Collection

from ops.adapter import hotpass, task


@task(help={"json": "Print the list as JSON (values masked)."})
def show(c, json=False):
    """List stored credentials with masked values."""
    hotpass(c, ["credentials", "show"] + (["--json"] if json else []))


@task(name="set", help={
    "name": "Credential name, an environment-variable name (e.g. AWS_SECRET_ACCESS_KEY).",
    "dry_run": "Print what would change; store nothing.",
})
def set_(c, name, dry_run=False):
    """Store one credential read from standard input (never from the command line)."""
    hotpass(c, ["credentials", "set", name, "--stdin"], dry_run=dry_run)


@task(iterable=["name"], help={
    "name": "Credential to remove (repeatable).",
    "all": "Remove every stored credential.",
    "dry_run": "Print what would be removed; change nothing.",
})
def clear(c, name=None, all=False, dry_run=False):
    """Remove the named credentials (or --all)."""
    hotpass(c, ["credentials", "clear", *(name or [])] + (["--all"] if all else []),
            dry_run=dry_run)


ns = Collection("credentials")
ns.add_task(show)
ns.add_task(set_)
ns.add_task(clear)
