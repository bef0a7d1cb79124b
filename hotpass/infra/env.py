"""``hotpass env``: render the runbook's environment file for a target (local/staging/prod).

Contract: ``resolve(target, overrides)`` gives every variable of the self-hosted stack's
quick-reference table (``VARIABLES``) with where its value came from: an explicit flag
wins, then a live ``hotpass net`` tunnel's local ports (Prefect, Marquez), then (target
local) what the running stack reports (``invoke stack.up`` may have moved a port), then
the stack's default localhost endpoint. Target local with a running stack also gets what
that stack needs: its S3 key pair from the credentials store when its S3 endpoint is
used (the file is then 0600), and, natively, empty lineage/telemetry endpoints (nothing
serves them) plus the file sinks' variables. ``WriteEnv`` is the procedure (evidence under
``HOTPASS_EVIDENCE_DIR``): its plan diffs against the file on disk (values of secrets
masked), apply writes atomically (mode 0600 whenever credentials are included) and
verify re-reads with python-dotenv and fails on any difference. ``render(...,
masked=True)`` is the only form that may be printed: stored credentials show as ``***``.

Pitfalls: an existing file with different values is never replaced without ``force``;
an identical one is left alone (no rewrite). Values are quoted so that both
python-dotenv and a POSIX shell (``set -a; . ./.env.local``) read them back unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hotpass import credential_store as credentials
from hotpass.errors import HotpassError
from hotpass.fileio import atomic_write_text
from hotpass.paths import TARGETS
from hotpass.procedure import Change, Evidence, Procedure
from hotpass.redact import redact, redact_data

# The runbook's quick-reference table: variable, what it is, the stack's default.
VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("PREFECT_API_URL", "Prefect server the CLI should target", "http://127.0.0.1:4200/api"),
    ("OPENLINEAGE_URL", "Marquez/OpenLineage endpoint", "http://127.0.0.1:5002/api/v1"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTLP collector endpoint (HTTP)", "http://127.0.0.1:4318"),
    ("HOTPASS_S3_ENDPOINT", "MinIO URL for artefact storage", "http://127.0.0.1:9000"),
    ("LOCALSTACK_ENDPOINT", "LocalStack URL for simulated AWS APIs", "http://127.0.0.1:4566"),
    ("HOTPASS_SEARX_URL", "SearXNG meta-search endpoint", "http://127.0.0.1:8080"),
    ("HOTPASS_LLM_BASE_URL", "Ollama or SaaS base URL", "http://127.0.0.1:11434"),
    ("FEATURE_ENABLE_REMOTE_RESEARCH", "Enables research workflows", "false"),
    ("ALLOW_NETWORK_RESEARCH", "Opt-in to network research calls", "false"),
)
NAMES = tuple(name for name, _, _ in VARIABLES)
DEFAULTS = {name: default for name, _, default in VARIABLES}
# Tunnel port -> the URL a forward stands for.
_TUNNEL_URLS = {"PREFECT_API_URL": ("prefect_port", "http://127.0.0.1:{port}/api"),
                "OPENLINEAGE_URL": ("marquez_port", "http://127.0.0.1:{port}/api/v1")}
_BARE = re.compile(r"^[A-Za-z0-9_./:@%+,=-]*$")


def default_output(target: str) -> Path:
    return Path(f".env.{target}")


S3_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
# When the running stack has file sinks, the endpoint variable stays empty (nothing
# serves it) and the sink's own variables (``invoke stack.status``'s env) are written.
_SINKS = {"OPENLINEAGE_URL": "OPENLINEAGE__TRANSPORT__TYPE",
          "OTEL_EXPORTER_OTLP_ENDPOINT": "HOTPASS_TELEMETRY_FILE"}


@dataclass
class Rendered:
    target: str
    values: dict[str, str]          # the table's variables
    sources: dict[str, str]         # variable -> flag | tunnel <label> | stack default
    secrets: dict[str, str] = field(default_factory=dict)  # from the credentials store
    sinks: dict[str, str] = field(default_factory=dict)  # the running stack's file sinks

    @property
    def everything(self) -> dict[str, str]:
        return {**self.values, **self.sinks, **self.secrets}

    @property
    def private(self) -> bool:
        """The file holds a credential: a store value, or a URL or pair carrying one."""
        return bool(self.secrets) or any(redact(v) != v for v in self.values.values())


def resolve(target: str, overrides: dict[str, str | None], *, allow_network: bool = False,
            include_credentials: bool = False, tunnel: dict | None = None,
            stack: dict[str, str] | None = None, state_dir: Path) -> Rendered:
    """The file's content for ``target``; ``overrides`` maps variable -> flag value,
    ``stack`` variable -> URL of a service the local stack runs (``stack_endpoints``)."""
    if target not in TARGETS:
        raise HotpassError(f"env: --target must be one of {', '.join(TARGETS)}, not {target!r}")
    unknown = set(overrides) - set(NAMES)
    if unknown:
        raise HotpassError(f"env: unknown variable(s) {', '.join(sorted(unknown))}")
    flag = "true" if allow_network else "false"
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, _, default in VARIABLES:
        if name in ("FEATURE_ENABLE_REMOTE_RESEARCH", "ALLOW_NETWORK_RESEARCH"):
            values[name], sources[name] = flag, "--allow-network"
        elif overrides.get(name):
            values[name], sources[name] = str(overrides[name]), "flag"
        elif tunnel and name in _TUNNEL_URLS and tunnel.get(_TUNNEL_URLS[name][0]):
            key, template = _TUNNEL_URLS[name]
            values[name] = template.format(port=tunnel[key])
            sources[name] = f"tunnel {tunnel['label']}"
        elif stack and stack.get(name):
            values[name], sources[name] = stack[name], "running stack"
        elif stack and stack.get(_SINKS.get(name, "")):
            values[name], sources[name] = "", "running stack: file sink below"
        else:
            values[name], sources[name] = default, "stack default"
    sinks = {k: v for k, v in (stack or {}).items() if k not in NAMES
             and any(values[name] == "" for name, key in _SINKS.items() if key in stack)}
    stored = credentials.load(state_dir) if include_credentials or (
        sources["HOTPASS_S3_ENDPOINT"] == "running stack") else {}
    secrets = stored if include_credentials else {  # the stack's S3 needs its pair
        name: stored[name] for name in S3_KEYS if stored.get(name)}
    clash = sorted(set(secrets) & set(values))
    if clash:
        raise HotpassError(f"env: stored credential(s) {', '.join(clash)} clash with "
                           "endpoint variables; clear them with `hotpass credentials clear`")
    return Rendered(target, values, sources, secrets, sinks)


def stack_endpoints(state_dir: Path) -> dict[str, str]:
    """The variables for the services the local stack (``invoke stack.up``) runs and
    reports healthy, and its file sinks' variables; empty when it is down."""
    folder = Path(state_dir) / "stack"
    if not folder.is_dir():
        return {}
    from hotpass.infra import stack

    return dict(stack.status(folder)["env"])


def quote(name: str, value: str) -> str:
    """``value`` as both python-dotenv and a POSIX shell read it back unchanged."""
    if _BARE.match(value):
        return value
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    if not any(char in value for char in '"$`\\\n'):
        return f'"{value}"'
    raise HotpassError(f"env: the value of {name} holds a single quote together with one "
                       "of \" $ ` \\ or a newline; no quoting keeps it for both "
                       "python-dotenv and a shell. Change the value or leave it out")


def render(rendered: Rendered, *, masked: bool) -> str:
    lines = [f"# Hotpass environment for target '{rendered.target}', written by `hotpass env`.",
             "# Load it with: set -a; . ./.env.<target>; set +a"]
    width = max(len(name) for name in NAMES)
    for name, description, _ in VARIABLES:
        lines.append(f"# {name:<{width}}  {description} ({rendered.sources[name]})")
    lines += [f"{name}={quote(name, redact(value) if masked else value)}"
              for name, value in rendered.values.items()]
    if rendered.sinks:
        lines.append("# The running stack's file sinks for lineage and telemetry.")
        lines += [f"{name}={quote(name, value)}" for name, value in rendered.sinks.items()]
    if rendered.secrets:
        lines.append("# Credentials from the credentials store (this file is mode 0600).")
        lines += [f"{name}={credentials.mask(value) if masked else quote(name, value)}"
                  for name, value in sorted(rendered.secrets.items())]
    return "\n".join(lines) + "\n"


def read_env_file(path: Path) -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v or "" for k, v in dotenv_values(path, interpolate=False).items()}


def diff(rendered: Rendered, output: Path, *, force: bool) -> dict:
    """What writing ``output`` would change: per variable add/change/remove (masked)."""
    wanted = rendered.everything
    current = read_env_file(output) if output.exists() else None
    changes = []
    for name in sorted(set(wanted) | set(current or {})):
        old, new = (current or {}).get(name), wanted.get(name)
        if old == new:
            continue
        secret = name in rendered.secrets or (current is not None and name not in NAMES
                                              and name not in rendered.sinks)
        show = (lambda v: credentials.mask(v)) if secret else redact
        action = "add" if old is None else "remove" if new is None else "change"
        changes.append({"variable": name, "action": action,
                        "old": None if old is None else show(old),
                        "new": None if new is None else show(new)})
    private = rendered.private
    exposed = private and current is not None and credentials.private_mode_problem(output)
    if current is None:
        action = "create"
    elif not changes:
        action = "chmod" if exposed else "unchanged"
    else:
        action = "overwrite" if force else "refuse"
    return {"output": str(output), "action": action, "changes": changes,
            "mode": "0600" if private else "default", "sources": rendered.sources}


class WriteEnv(Procedure):
    """prepare (resolve every value) -> plan (diff with the file) -> apply (atomic
    write, or chmod) -> verify (read back with python-dotenv, mode)."""

    name = "env"

    def __init__(self, target: str, overrides: dict[str, str | None], *, output: Path | None,
                 allow_network: bool, include_credentials: bool, force: bool,
                 state_dir: Path, tunnel: dict | None) -> None:
        self.target, self.overrides, self.force = target, overrides, force
        self.output = Path(output or default_output(target))
        self.options = dict(allow_network=allow_network,
                            include_credentials=include_credentials, state_dir=state_dir)
        self.tunnel = tunnel
        self.diffed: dict = {}

    def prepare(self, ev: Evidence) -> None:
        if self.tunnel is None:
            from hotpass.infra import net

            self.tunnel = net.live_tunnel(self.options["state_dir"])
        running = stack_endpoints(self.options["state_dir"]) if self.target == "local" else {}
        self.rendered = resolve(self.target, self.overrides, tunnel=self.tunnel,
                                stack=running, **self.options)

    def plan(self, ev: Evidence) -> list[Change]:
        self.diffed = diff(self.rendered, self.output, force=self.force)
        detail = {"mode": self.diffed["mode"], "changes": self.diffed["changes"],
                  "sources": self.diffed["sources"]}
        return [Change(str(self.output), self.diffed["action"], detail)]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        if self.diffed["action"] == "refuse":
            names = ", ".join(c["variable"] for c in self.diffed["changes"])
            raise HotpassError(f"env: {self.output} exists and differs ({names}); pass "
                               "--force to overwrite it, or --dry-run to see the new content")
        if self.diffed["action"] == "chmod":
            self.output.chmod(0o600)
            return
        text = render(self.rendered, masked=False)
        if self.rendered.private:
            credentials.write_private(self.output, text)
        else:
            atomic_write_text(self.output, text)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        back = read_env_file(self.output)
        wanted = self.rendered.everything
        wrong = [f"{self.output} reads back differently for {name}"
                 for name in sorted(set(back) | set(wanted)) if back.get(name) != wanted.get(name)]
        if self.rendered.private and credentials.private_mode_problem(self.output):
            wrong.append(credentials.private_mode_problem(self.output))
        return wrong

    def result(self, ev: Evidence) -> dict:
        """The diff (mode, action, changes, sources) and the file's masked ``text``."""
        return {**self.diffed, "text": render(self.rendered, masked=True)}


def generate(target: str, overrides: dict[str, str | None], *, output: Path | None = None,
             allow_network: bool = False, include_credentials: bool = False,
             force: bool = False, dry_run: bool = False, state_dir: Path,
             tunnel: dict | None = None) -> dict:
    """Run ``WriteEnv``; returns the plan with the masked ``text``, ``written`` and
    ``evidence``. A differing file without ``force`` raises (nothing written)."""
    from hotpass.procedure import run

    outcome = run(WriteEnv(target, overrides, output=output, allow_network=allow_network,
                           include_credentials=include_credentials, force=force,
                           state_dir=state_dir, tunnel=tunnel), dry_run=dry_run)
    return {**redact_data(outcome.result),
            "written": bool(outcome.pending) and not dry_run,
            "evidence": str(outcome.bundle) if outcome.bundle else None}


def describe(result: dict, *, dry_run: bool) -> list[str]:
    """What ``generate`` did, as lines for people (masked file text under dry run)."""
    lines = result["text"].splitlines() if dry_run else []
    if result["action"] != "create":
        lines += [f"  {c['action']:<6} {c['variable']}: {c['old']} -> {c['new']}"
                  for c in result["changes"]]
    verb = ("refused without --force" if result["action"] == "refuse" else
            "would" if dry_run else "done")
    lines.append(f"{result['output']}: {result['action']} ({verb}), "
                 f"{len(result['sources'])} variables, mode {result['mode']}")
    return lines
