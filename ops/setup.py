"""Setup task: ``invoke setup`` is ``hotpass setup`` (the resumable bootstrap: deps ->
credentials -> tunnel or stack -> ctx -> env)."""

from __future__ import annotations

from ops.adapter import hotpass, task


@task(iterable=["extras"], help={
    "target": "local (the stack on this machine), staging or prod (through a tunnel).",
    "extras": "Extra the deps step makes sure of (repeatable; default orchestration).",
    "host": "Bastion for the tunnel step (default HOTPASS_BASTION_HOST).",
    "user": "SSH user for the tunnel step.",
    "ssh_port": "SSH port of the bastion.",
    "identity_file": "Private key for the tunnel step.",
    "force_env": "Let the env step overwrite a .env.<target> that differs.",
    "dry_run": "Print the plan only.",
})
def setup(c, target="local", extras=None, host="", user="", ssh_port=0, identity_file="",
          force_env=False, dry_run=False):
    """Bootstrap an environment; re-run to resume after a failed step."""
    words = ["setup", "--target", target]
    words += [w for e in extras or [] for w in ("--extras", e)]
    words += ["--host", host] if host else []
    words += ["--user", user] if user else []
    words += ["--ssh-port", str(ssh_port)] if ssh_port else []
    words += ["--identity-file", identity_file] if identity_file else []
    words += ["--force-env"] if force_env else []
    hotpass(c, words, dry_run=dry_run)
