"""Incident response as procedures: capture the evidence, replay the run, close the ticket.

Contract: ``capture(CaptureOptions)`` writes the bundle ``<root>/<ticket>/`` (default
``dist/incidents``; inputs go to ``inputs/`` in it, never under ``data/``): ``hotpass net
status --json`` -> ``net-status.json``, ``hotpass doctor --json`` -> ``doctor.json``,
redacted copies of the logs under ``logs/``, the inputs byte for byte under ``inputs/``,
a reproduce of ``hotpass refine`` on those inputs (summary ``reproduce.json``, outputs
``reproduce/``; exit status and failing stage recorded; a failure does not stop the
capture), ``prefect deployment inspect FLOW/NAME -o json`` -> ``prefect-deployment.json``
when the Prefect API answers (else recorded as unreachable, with why) and a redacted
environment snapshot ``environment.json``. ``replay(ticket)`` reruns refine on the
captured inputs into the bundle ``<ticket>/replays/<ticket>-replay-<UTC stamp>/``
(outputs ``outputs/``; verdict pass only on exit 0). ``close(ticket, owner,
root_cause)`` refuses unless the latest replay is green and verifies, then writes
``<ticket>/<ticket>-close/`` whose row in ``Next_Steps_Log.md`` carries
owner and root cause. A ticket id that is not a plain name is refused before anything.

Pitfalls: the failing stage is read from refine's one-line error, which names the flag,
file or gate at fault (``STAGES``); a line none of them matches is ``unknown``. The
environment snapshot keeps values only for the variables Hotpass, Prefect, OpenLineage,
OpenTelemetry, AWS and Python read (redacted); every other value is withheld.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.evidence import Bundle, check_name, verify
from hotpass.evidence.bundle import Result
from hotpass.evidence.record import stamp
from hotpass.redact import redact_data, redact_url

DEFAULT_ROOT = Path("dist/incidents")
# refine's one-line errors name what failed; the first prefix that matches names the stage.
STAGES = (("--strict", "validate"), ("profile", "profile"),
          ("--output-path", "publish"), ("another refine run", "publish"),
          ("--input-dir", "ingest"), ("--since", "ingest"), ("no usable input", "ingest"))
SHOWN_PREFIXES = ("HOTPASS_", "PREFECT_", "OPENLINEAGE_", "OTEL_", "AWS_", "PYTHON",
                  "VIRTUAL_ENV", "UV_", "LOCALSTACK_", "FEATURE_", "ALLOW_NETWORK")
SHOWN_NAMES = {"PATH", "HOME", "USER", "LANG", "TZ", "CI"}


@dataclass
class CaptureOptions:
    ticket: str
    profile: str = ""
    profile_search_path: list[Path] = field(default_factory=list)
    inputs: Path | None = None
    logs: list[Path] = field(default_factory=list)
    deployment: str = ""  # FLOW/NAME; default: the refinement manifest's
    root: Path = DEFAULT_ROOT
    owner: str | None = None


def hotpass_command() -> list[str]:
    """``hotpass`` as this install runs it (the entry point, else ``python -m hotpass``)."""
    return ["hotpass"] if shutil.which("hotpass") else [sys.executable, "-m", "hotpass"]


def failing_stage(result: Result) -> str | None:
    if result.exit_code == 0:
        return None
    if result.exit_code == 3:
        return "publish"  # the output folder is locked by another run
    line = error_line(result)
    for marker, stage in STAGES:
        if marker in line:
            return stage
    return "unknown"


def error_line(result: Result) -> str:
    lines = [line for line in (result.stderr or "").splitlines() if line.strip()]
    return lines[-1].removeprefix("hotpass: error: ").strip() if lines else ""


def refine_command(inputs: Path, output: Path, profile: str, search_paths: list[Path],
                   extra: tuple[str, ...] = ()) -> list[str]:
    command = [*hotpass_command(), "refine", "--input-dir", str(inputs), "--output-path",
               str(output), "--json", *extra]
    if profile:
        command += ["--profile", profile]
    for folder in search_paths:
        command += ["--profile-search-path", str(folder)]
    return command


def refine_into(bundle: Bundle, inputs: Path, name: str, profile: str,
                search_paths: list[Path], *, extra: tuple[str, ...] = (),
                env: dict[str, str] | None = None) -> Result:
    """Run ``hotpass refine`` on ``inputs`` (its JSON summary -> ``<name>.json``) and
    capture the outputs it published into the bundle's ``<name>/`` (files, not refine's
    links into its hidden runs folder)."""
    with tempfile.TemporaryDirectory(prefix="hotpass-refine-") as scratch:
        result = bundle.run(refine_command(inputs, Path(scratch) / "refined.xlsx", profile,
                                           search_paths, extra), env=env,
                            stdout_to=f"{name}.json")
        if any(Path(scratch).iterdir()):
            bundle.capture(scratch, name, verbatim=True)
    return result


def environment_snapshot() -> dict[str, Any]:
    shown = {name: value for name, value in os.environ.items()
             if name.startswith(SHOWN_PREFIXES) or name in SHOWN_NAMES}
    withheld = sorted(name for name in os.environ if name not in shown)
    from hotpass import __version__

    return {"variables": redact_data(dict(sorted(shown.items()))),
            "withheld": withheld, "python": sys.version.split()[0],
            "platform": platform.platform(), "hotpass_version": __version__}


def default_deployment() -> str:
    """The refinement manifest's deployment as FLOW/NAME (``hotpass-refinement/...``)."""
    from hotpass.orchestration.manifests import load_manifests, resolve_flow

    manifest = load_manifests()["refinement"]
    return f"{resolve_flow(manifest).name}/{manifest.name}"


def _inspect_deployment(bundle: Bundle, deployment: str) -> dict[str, Any]:
    try:
        from hotpass.orchestration.api import api_url, unreachable
    except ImportError:
        return {"reachable": False, "why": "the orchestration extra is not installed"}
    try:
        deployment = deployment or default_deployment()
        url = api_url()
    except (ImportError, HotpassError) as exc:
        return {"reachable": False, "why": str(exc)}
    why = "PREFECT_API_URL is not set" if not url else unreachable(url)
    if why is not None and url:
        why = f"{redact_url(url)}: {why}"
    if why is not None:
        bundle.record(f"prefect deployment inspect {deployment} -o json", status="not run",
                      output=f"unreachable: {why}")
        return {"reachable": False, "deployment": deployment, "why": why}
    result = bundle.run(["prefect", "deployment", "inspect", deployment, "-o", "json"],
                        stdout_to="prefect-deployment.json", mutates=False)
    return {"reachable": True, "deployment": deployment, "exit_code": result.exit_code,
            "error": error_line(result) or None}


def capture(options: CaptureOptions, *, dry_run: bool = False,
            echo: Any = None) -> dict[str, Any]:
    """Write the incident bundle; see the module contract."""
    check_name(options.ticket, "--ticket")
    if options.inputs is not None and not options.inputs.is_dir():
        raise HotpassError(f"--inputs {options.inputs}: no such folder")
    for log in options.logs:
        if not log.exists():
            raise HotpassError(f"--logs {log}: no such file or folder")
    with Bundle.create(options.root, "incident.capture", options.ticket,
                       owner=options.owner, dry_run=dry_run, echo=echo) as bundle:
        hotpass = hotpass_command()
        net = bundle.run([*hotpass, "net", "status", "--json"], stdout_to="net-status.json",
                         mutates=False)
        doctor_command = [*hotpass, "doctor", "--json"]
        if options.profile:
            doctor_command += ["--profile", options.profile]
        for folder in options.profile_search_path:
            doctor_command += ["--profile-search-path", str(folder)]
        doctor = bundle.run(doctor_command, stdout_to="doctor.json", mutates=False)
        for log in options.logs:
            bundle.capture(log, f"logs/{log.name}")
        reproduce: dict[str, Any] = {"ran": False, "why": "no --inputs given"}
        if options.inputs is not None:
            bundle.capture(options.inputs, "inputs", verbatim=True)
            result = refine_into(bundle, bundle.directory / "inputs", "reproduce",
                                 options.profile, options.profile_search_path)
            reproduce = {"ran": result.exit_code is not None, "exit_code": result.exit_code,
                         "failing_stage": failing_stage(result),
                         "error": error_line(result) or None}
        prefect = _inspect_deployment(bundle, options.deployment)
        bundle.write_json("environment.json", environment_snapshot())
        summary = {"ticket": options.ticket, "profile": options.profile or None,
                   "profile_search_path": [str(p) for p in options.profile_search_path],
                   "net_status_exit": net.exit_code, "doctor_exit": doctor.exit_code,
                   "logs": [str(log) for log in options.logs],
                   "inputs": str(options.inputs) if options.inputs else None,
                   "reproduce": reproduce, "prefect": prefect}
        path = bundle.finish(summary, "pass")
    return {"bundle": path, "summary": summary, "directory": bundle.directory}


def _capture_summary(root: Path, ticket: str) -> dict[str, Any]:
    check_name(ticket, "--ticket")
    folder = root / ticket
    if not (folder / "summary.json").is_file():
        raise HotpassError(f"--ticket {ticket}: no incident captured at {folder}; run "
                           f"`invoke incident.capture --ticket {ticket}` first")
    verify(folder)
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def replay(ticket: str, *, root: Path = DEFAULT_ROOT, owner: str | None = None,
           dry_run: bool = False, echo: Any = None) -> dict[str, Any]:
    """Rerun refine on the captured inputs; the replay bundle's verdict is its exit."""
    captured = _capture_summary(root, ticket)
    inputs = root / ticket / "inputs"
    if not inputs.is_dir():
        raise HotpassError(f"--ticket {ticket}: the capture holds no inputs to replay; "
                           "capture again with --inputs DIR")
    search = [Path(p) for p in captured.get("profile_search_path", [])]
    bundle = Bundle.create(root / ticket / "replays", "incident.replay",
                           f"{ticket}-replay-{stamp()}",
                           owner=owner, dry_run=dry_run, echo=echo)
    with bundle:
        result = refine_into(bundle, inputs, "outputs", captured.get("profile") or "", search)
        stage = failing_stage(result)
        summary = {"ticket": ticket, "exit_code": result.exit_code, "failing_stage": stage,
                   "error": error_line(result) or None}
        green = result.exit_code == 0
        reason = None if green else f"refine failed in {stage}: {summary['error']}"
        path = bundle.finish(summary, "pass" if green else "fail", reason=reason)
    return {"bundle": path, "summary": summary, "green": green or dry_run}


def latest_replay(root: Path, ticket: str) -> Path | None:
    folder = root / ticket / "replays"
    found = sorted(p for p in folder.iterdir() if (p / "manifest.json").is_file()) \
        if folder.is_dir() else []
    return found[-1] if found else None


def close(ticket: str, owner: str, root_cause: str, *, root: Path = DEFAULT_ROOT,
          dry_run: bool = False, echo: Any = None) -> dict[str, Any]:
    """Close the incident: only after a green, verified replay."""
    _capture_summary(root, ticket)
    if not owner.strip():
        raise HotpassError("--owner: say who owns the follow-up")
    if not root_cause.strip():
        raise HotpassError("--root-cause: say what caused the incident")
    closed = root / ticket / f"{ticket}-close"
    if (closed / "manifest.json").is_file():
        raise HotpassError(f"--ticket {ticket}: already closed ({closed})")
    replayed = latest_replay(root, ticket)
    if replayed is None:
        raise HotpassError(f"incident.close {ticket}: no replay yet; fix the cause, then run "
                           f"`invoke incident.replay --ticket {ticket}`")
    verify(replayed)
    last = json.loads((replayed / "summary.json").read_text(encoding="utf-8"))
    if last["verdict"] != "pass":
        raise HotpassError(f"incident.close {ticket}: the latest replay is not green "
                           f"({replayed}: {last.get('reason')}); fix the cause and replay "
                           "again")
    bundle = Bundle.create(root / ticket, "incident.close", closed.name, owner=owner,
                           dry_run=dry_run, echo=echo)
    with bundle:
        summary = {"ticket": ticket, "root_cause": root_cause,
                   "replay": str(replayed.relative_to(root / ticket))}
        bundle.write_text("ROOT_CAUSE.md", f"# {ticket}\n\nOwner: {owner}\n\n{root_cause}\n")
        path = bundle.finish(summary, "pass", note=f"root cause: {root_cause}")
    return {"bundle": path, "summary": summary}
