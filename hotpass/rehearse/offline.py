"""The offline-fallback rehearsal (``invoke rehearse.offline``): the runbook in one bundle.

Contract: ``rehearse(Options)`` writes the bundle ``<root>/<UTC stamp>/`` (default
``dist/offline``) and runs, each as a recorded command: ``hotpass env --target local ...
--dry-run`` then for real (into the bundle's ``env.local``, not the working folder's
``.env.local``); ``hotpass refine --archive`` on the inputs (no upload: offline means
``HOTPASS_S3_ENDPOINT`` is cleared for it; summary ``refined.json``, outputs and the
input archive in ``refined/``); ``hotpass qa all --output qa-report.json`` (the QA gates); ``hotpass deploy --flow
refinement --flow backfill --no-upload`` (``--dry-run`` first, then for real; the payloads
are copied to ``prefect/``). The procedures these commands run write their own bundles
into the rehearsal's ``children/`` and are linked. The verdict is ``pass`` only when
every step that ran exited 0; ``summary.json`` names each step's exit code. No server is
needed.

Pitfalls: the deploy step writes ``dist/offline/prefect/`` (where ``--no-upload``
always writes) as the runbook says, then the bundle keeps a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.evidence import Bundle
from hotpass.evidence.bundle import Result
from hotpass.evidence.record import stamp
from hotpass.infra.incident import hotpass_command, refine_into

DEFAULT_ROOT = Path("dist/offline")
PAYLOADS = Path("dist/offline/prefect")


@dataclass
class Options:
    input_dir: Path = Path("data")
    profile: str = "generic"
    prefect_url: str = "http://127.0.0.1:4200/api"
    flows: list[str] = field(default_factory=lambda: ["refinement", "backfill"])
    root: Path = DEFAULT_ROOT
    owner: str | None = None


def rehearse(options: Options, *, dry_run: bool = False, echo: Any = None) -> dict[str, Any]:
    """Run the offline rehearsal into its bundle; see the module contract."""
    if not options.input_dir.is_dir():
        raise HotpassError(f"--input-dir {options.input_dir}: no such folder")
    hotpass = hotpass_command()
    steps: dict[str, int | str | None] = {}
    with Bundle.create(options.root, "rehearse.offline", stamp(), owner=options.owner,
                       dry_run=dry_run, echo=echo) as bundle:
        children = {"HOTPASS_EVIDENCE_DIR": str(bundle.directory / "children")}

        def step(name: str, words: list[str], *, mutates: bool = True,
                 env: dict[str, str] | None = None, stdout_to: str | None = None) -> Result:
            result = bundle.run([*hotpass, *words], env={**children, **(env or {})},
                                mutates=mutates, stdout_to=stdout_to)
            steps[name] = result.exit_code if result.exit_code is not None else "not run"
            return result

        env_words = ["env", "--target", "local", "--prefect-url", options.prefect_url,
                     "--allow-network", "false", "--output",
                     str(bundle.directory / "env.local")]
        step("env --dry-run", [*env_words, "--dry-run"], mutates=False)
        step("env", env_words)
        refined = refine_into(bundle, options.input_dir, "refined", options.profile, [],
                              extra=("--archive",), env={**children, "HOTPASS_S3_ENDPOINT": ""})
        steps["refine --archive"] = refined.exit_code if refined.exit_code is not None \
            else "not run"
        step("qa all", ["qa", "all", "--profile", options.profile, "--output",
                        str(bundle.directory / "qa-report.json")])
        flows = [w for flow in options.flows for w in ("--flow", flow)]
        step("deploy --no-upload --dry-run", ["deploy", *flows, "--no-upload", "--dry-run"],
             mutates=False)
        step("deploy --no-upload", ["deploy", *flows, "--no-upload"])
        if not dry_run and PAYLOADS.is_dir():
            bundle.capture(PAYLOADS, "prefect")
        failed = [name for name, code in steps.items() if isinstance(code, int) and code]
        summary = {"input_dir": str(options.input_dir), "profile": options.profile,
                   "flows": options.flows, "steps": steps,
                   "qa": "ran" if steps["qa all"] != "not run" else "not run"}
        verdict = "fail" if failed else "pass"
        reason = f"failed: {', '.join(failed)}" if failed else None
        path = bundle.finish(summary, verdict, reason=reason)
    return {"bundle": path, "summary": summary, "verdict": verdict, "reason": reason,
            "steps": steps}
