"""``invoke rehearse.backfill``: the backfill guardrail rehearsal as one procedure.

Contract: ``rehearse(Options(...), dry_run=...)`` opens an evidence bundle
(``hotpass.evidence.Bundle``) at ``<out_dir>/<UTC timestamp>/``, runs ``Rehearsal``
through ``hotpass.procedure.run`` inside it (its record lands in ``children/``) and seals
the bundle whatever happens once the arguments are valid; every command goes into the
bundle's ``cli.sh`` and ``cli.log``:

- prepare: arguments only (dates, timeout, ``FLOW/NAME``);
- plan: render the manifests (``hotpass deploy --manifest-dir D --flow backfill --no-upload
  --dry-run --json``), ``prefect deployment inspect FLOW/NAME -o json`` (deployment.json)
  and ``prefect global-concurrency-limit inspect KEY -o json`` (concurrency-limit.json),
  compared with the manifest: concurrency limit and key, parameters, work pool. Any
  difference fails here, before a run is started. The plan lists the windows' sample
  bundles (``--with-sample-inputs``) and the run to trigger;
- apply: archive the sample data as each window's daily bundle (only days without one),
  then ``prefect deployment run FLOW/NAME --params ... --watch --watch-timeout S``
  (hotpass-e2e-staging.log); then, whatever the outcome, ``prefect flow-run inspect ID -o
  json`` (metadata.json), the child runs and their summaries (children.json),
  ``prefect work-pool inspect POOL -o json`` (work-pool.json) and the pool's workers
  (workers.json), and a Chromium screenshot of the run's UI page
  (hotpass-e2e-staging.png). A run still not started after the timeout is cancelled and
  fails naming the pool and whether any worker is online; one still running is cancelled
  and fails too;
- verify: the most windows observed running at once (from the children's state
  timestamps) must not exceed the limit, at least one window must have run, the run must
  be ``Completed``.

``summary.json`` (schema ``evidence/summaries/rehearse.backfill.schema.json``) holds the
guardrail values, observed concurrency, windows and states, row counts, the verdict and
its reason; sealing appends the verdict to ``Next_Steps_Log.md``. A failure raises one
``HotpassError`` line naming the bundle.

Pitfalls: ``archive_dir`` is read from the deployment on the server and resolved against
its working directory (the worker's checkout): ``--with-sample-inputs`` writes there, so
it only helps a worker on this machine. A screenshot that cannot be taken is recorded
(step failed, ``screenshot: null`` with the reason) but does not fail the rehearsal.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.procedure import Change, Evidence, Procedure
from hotpass.rehearse import observe, probes
from hotpass.rehearse.options import DEFAULT_OUT, Options, check

__all__ = ["DEFAULT_OUT", "Options", "Rehearsal", "check", "rehearse"]

PROCEDURE = "rehearse.backfill"  # the bundle; the procedure's own record is its child
NOT_STARTED = {"SCHEDULED", "PENDING", "LATE", "AWAITINGRETRY", "PAUSED"}


def _hotpass() -> list[str]:
    found = shutil.which("hotpass")
    return [found] if found else [sys.executable, "-m", "hotpass.cli"]


class Rehearsal(Procedure):
    name = "rehearse.backfill.procedure"

    def __init__(self, options: Options, bundle: Any) -> None:
        self.options, self.bundle = options, bundle
        self.failure = ""
        self.since, self.until = check(options)
        self.desired: dict[str, Any] = {}
        self.server: dict[str, Any] = {}
        self.global_limit: dict[str, Any] | None = None
        self.differences: list[str] = []
        self.run_id: str | None = None
        self.run: dict[str, Any] = {}
        self.children: list[dict[str, Any]] = []
        self.workers: list[dict[str, Any]] = []
        self.samples: list[str] = []
        self.screenshot: dict[str, Any] = {"file": None, "reason": "not taken"}

    def _cmd(self, words: list[str], *, timeout: float, save_as: str | None = None,
             mutates: bool = False) -> tuple[int | None, str]:
        """Run one command into the bundle (cli.sh, cli.log); its exit code and stdout."""
        result = self.bundle.run(words, timeout=timeout, stdout_to=save_as, mutates=mutates)
        return result.exit_code, result.stdout

    def _fail(self, message: str) -> HotpassError:
        self.failure = message
        return HotpassError(f"rehearse.backfill: {message}")

    # ---------------------------------------------------------------- prepare
    def prepare(self, ev: Evidence) -> None:
        self.since, self.until = check(self.options)

    # ---------------------------------------------------------------- plan
    def plan(self, ev: Evidence) -> list[Change]:
        from hotpass.orchestration import deploy_steps
        from hotpass.orchestration.api import require_server
        from hotpass.orchestration.manifests import load_manifests, select

        o, b = self.options, self.bundle
        code, _ = self._cmd([*_hotpass(), "deploy", "--manifest-dir", str(o.manifest_dir),
                             "--flow", o.manifest_id, "--no-upload", "--dry-run", "--json"],
                            timeout=180, save_as="rendered-manifests.json")
        if code != 0:
            raise self._fail(f"rendering the manifests in {o.manifest_dir} failed (exit "
                             f"{code}); see cli.log")
        prepared = deploy_steps.prepare(select(load_manifests(Path(o.manifest_dir)),
                                               [o.manifest_id]))[0]
        self.desired = prepared.desired
        self.deployment = o.deployment or prepared.full_name
        self.pool = o.pool or prepared.manifest.work_pool
        b.write_json("manifest-guardrails.json", {"deployment": self.deployment,
                                                **self.desired})
        try:
            self.api_url = require_server("rehearse.backfill")
        except HotpassError as exc:
            if ev.dry_run:  # as deploy --dry-run: the plan stands, uncompared
                return [Change(f"flow run of {self.deployment}", "unknown",
                               {"note": f"not compared: {exc.message}"})]
            raise self._fail(exc.message.removeprefix("rehearse.backfill: ")) from None
        code, out = self._cmd(["prefect", "deployment", "inspect", self.deployment, "-o",
                               "json"], timeout=120, save_as="deployment.json")
        if code != 0:
            raise self._fail(f"deployment {self.deployment} is not on the server at "
                             f"{self.api_url} (register it: hotpass deploy --manifest-dir "
                             f"{o.manifest_dir} --flow {o.manifest_id})")
        self.server = json.loads(out)
        self.differences = observe.guardrail_differences(self.desired, self.server)
        key = (self.desired.get("global_concurrency_limit") or {}).get("name")
        if key:
            code, out = self._cmd(["prefect", "global-concurrency-limit", "inspect", key,
                                   "-o", "json"], timeout=120,
                                  save_as="concurrency-limit.json")
            self.global_limit = json.loads(out) if code == 0 else None
            have = self.global_limit["limit"] if self.global_limit else None
            if have != self.desired["concurrency_limit"]:
                self.differences.append(f"global concurrency limit {key}: server {have}, "
                                        f"manifest {self.desired['concurrency_limit']}")
        if self.differences:
            more = f" (+{len(self.differences) - 1} more)" if len(self.differences) > 1 else ""
            raise self._fail(f"guardrail differs from the manifest: {self.differences[0]}"
                             f"{more}; restore it with hotpass deploy --manifest-dir "
                             f"{o.manifest_dir} --flow {o.manifest_id}")
        changes = []
        if o.with_sample_inputs:
            for day, path in probes.sample_bundles(self.server, self.since, self.until):
                changes.append(Change(str(path), "unchanged" if path.is_file() else "create",
                                      {"window": day.isoformat()}))
        changes.append(Change(f"flow run of {self.deployment}", "trigger",
                              {"since": self.since.isoformat(),
                               "until": self.until.isoformat(), "pool": self.pool,
                               "timeout_s": o.timeout}))
        return changes

    # ---------------------------------------------------------------- apply
    def apply(self, changes: list[Change], ev: Evidence) -> None:
        o, b = self.options, self.bundle
        wanted = [c for c in changes if c.action == "create"]
        if wanted:
            with ev.step(f"archive the sample data as {len(wanted)} daily bundle(s)"):
                self.samples = probes.archive_samples(
                    self.server, [dt.date.fromisoformat(c.detail["window"]) for c in wanted])
            b.record(f"archived the sample data as {', '.join(self.samples)}")
        params = json.dumps({"since": self.since.isoformat(), "until": self.until.isoformat()})
        code, out = self._cmd(["prefect", "deployment", "run", self.deployment, "--params",
                               params, "--watch", "--watch-interval", "1", "--watch-timeout",
                               str(int(o.timeout))], mutates=True,
                              timeout=o.timeout + 120, save_as="hotpass-e2e-staging.log")
        self.run_id = observe.flow_run_id(out)
        if self.run_id is None:
            raise self._fail(f"prefect deployment run {self.deployment} created no flow run "
                             f"(exit {code}); see cli.log")
        self._observe(ev)
        state = (self.run.get("state") or {}).get("type", "")
        if state in NOT_STARTED or state == "RUNNING":
            self._cmd(["prefect", "flow-run", "cancel", self.run_id], mutates=True,
                      timeout=120)
            online = [w["name"] for w in self.workers if w.get("status") == "ONLINE"]
            if state == "RUNNING":
                raise self._fail(f"the run {self.run_id} was still running after --timeout "
                                 f"{o.timeout:g} s; cancelled it")
            why = (f"no live worker on pool {self.pool}" if not online else
                   f"pool {self.pool} has {len(online)} online worker(s) but none took it "
                   "(a full worker limit or an earlier run holding the slots?)")
            raise self._fail(f"the run {self.run_id} stayed {state.title()} for --timeout "
                             f"{o.timeout:g} s: {why}; cancelled it")

    def _observe(self, ev: Evidence) -> None:
        b = self.bundle
        code, out = self._cmd(["prefect", "flow-run", "inspect", self.run_id, "-o", "json"],
                              timeout=120, save_as="metadata.json")
        self.run = json.loads(out) if code == 0 else {}
        with ev.step(f"read the child runs of {self.run_id} and their summaries"):
            self.children = probes.child_runs(self.run_id)
        b.write_json("children.json", self.children)
        b.record(f"read {len(self.children)} child run(s) of {self.run_id} from the API")
        self._cmd(["prefect", "work-pool", "inspect", self.pool, "-o", "json"],
                  timeout=120, save_as="work-pool.json")
        with ev.step(f"read the workers of pool {self.pool}"):
            self.workers = probes.pool_workers(self.pool)
        b.write_json("workers.json", self.workers)
        self.screenshot = probes.screenshot(b, self.api_url, self.run_id)

    # ---------------------------------------------------------------- verify
    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        problems = []
        limit = self.desired["concurrency_limit"]
        peak = observe.peak_overlap(self.children)
        if peak > limit:
            problems.append(f"observed concurrency {peak} exceeds the limit {limit}")
        ran = [c for c in self.children if c.get("start_time")]
        if not ran:
            problems.append(f"no window actually ran between {self.since} and {self.until} "
                            "(no input bundle for those days? pass --with-sample-inputs)")
        state = (self.run.get("state") or {}).get("name", "unknown")
        if state != "Completed":
            message = (self.run.get("state") or {}).get("message") or ""
            problems.append(f"the run {self.run_id} ended {state}"
                            + (f": {message}" if message else ""))
        if problems:
            self.failure = "; ".join(problems)
        return problems

    def result(self, ev: Evidence) -> tuple[dict[str, Any], str]:
        """The summary and why the rehearsal failed (``""`` when it did not)."""
        return self.summary(), self.failure

    # ---------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        """The procedure's own fields of ``summary.json`` (the bundle adds the verdict)."""
        windows = observe.windows(self.since, self.until, self.children)
        rows = [c.get("rows") for c in self.children if c.get("rows")]
        return {
            "deployment": getattr(self, "deployment", None),
            "pool": getattr(self, "pool", None), "api_url": getattr(self, "api_url", None),
            "since": self.since.isoformat(), "until": self.until.isoformat(),
            "flow_run_id": self.run_id,
            "run_state": (self.run.get("state") or {}).get("name"),
            "guardrails": {"manifest": {
                               "concurrency_limit": self.desired.get("concurrency_limit"),
                               "concurrency_key": (self.desired.get("parameters") or {})
                               .get("concurrency_key"),
                               "parameters": self.desired.get("parameters")},
                           "server": observe.guardrails(self.server) if self.server else None,
                           "global_concurrency_limit": self.global_limit,
                           "differences": self.differences},
            "observed_concurrency": observe.peak_overlap(self.children),
            "windows": windows,
            "states": {s: sum(1 for w in windows if w["state"] == s)
                       for s in sorted({w["state"] for w in windows})},
            "row_counts": {"windows": len(rows),
                           "rows_in": sum(r["rows_in"] for r in rows),
                           "records_out": sum(r["records_out"] for r in rows)},
            "workers_online": sum(1 for w in self.workers if w.get("status") == "ONLINE"),
            "sample_bundles": self.samples, "screenshot": self.screenshot,
        }


def bundle_id(out_dir: Path) -> str:
    """The bundle's name: the UTC timestamp (suffixed when that folder exists)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name, n = stamp, 1
    while (Path(out_dir) / name).exists():
        n += 1
        name = f"{stamp}-{n}"
    return name


def rehearse(options: Options, *, dry_run: bool = False, echo: Any = None) -> dict[str, Any]:
    """Run the rehearsal; returns the summary, ``bundle`` and the plan. Raises one line on
    failure, naming the bundle (written in every case once the arguments are valid)."""
    from hotpass.evidence import Bundle
    from hotpass.procedure import ProcedureFailed, run

    check(options)  # bad arguments: one line, nothing written
    bundle = Bundle.create(options.out_dir, PROCEDURE, bundle_id(options.out_dir),
                           dry_run=dry_run, echo=echo)
    error: ProcedureFailed | None = None
    with bundle:
        try:
            outcome = run(Rehearsal(options, bundle), dry_run=dry_run, echo=echo)
        except ProcedureFailed as failed:
            outcome, error = failed.outcome, failed
        summary, failure = outcome.result
        failure = failure or (error.message if error else "")
        if dry_run:
            if error is not None:
                raise HotpassError(f"rehearse.backfill: {failure}", exit_code=error.exit_code)
            return {"bundle": None, "plan": outcome.changes, "summary": summary}
        bundle.finish(summary, "fail" if error else "pass", reason=failure or None)
    if error is not None:
        raise HotpassError(f"rehearse.backfill: FAIL: {failure} (bundle "
                           f"{bundle.directory})", exit_code=1)
    return {"bundle": bundle.directory, "plan": outcome.changes, "summary": summary}
