"""``hotpass setup``: the resumable bootstrap, deps -> credentials -> tunnel or stack ->
ctx -> env.

Contract: ``steps(options)`` lists the steps for the target (``tunnel`` for
staging/prod, ``stack`` for local). Each step has ``check()`` -> ``(satisfied, detail)``,
``child()`` -> the ``Procedure`` that satisfies it (deps.sync, credentials, net.up,
stack.up, ctx.init, env) and ``said(outcome)``, its one line. ``Setup`` is the parent
procedure: prepare lists the steps; plan checks each, and for each unsatisfied one runs
its child under dry-run, so the plan shows every child's own plan (``deps:
prefect: install``, ``env: .env.local: create``; a step without one, ``<name> (step)``:
``unchanged``, ``ask`` or ``run``); apply walks the steps in order,
re-checking each just before it (an earlier step may have satisfied it), running only
the unsatisfied ones as child procedures and checking again after; the first failure
stops the walk with a one-line error that says to re-run (satisfied steps are skipped
then, which is what makes it resumable); verify checks every step again. A real run is
one evidence bundle ``setup-<stamp>`` whose record lists its children (the children's
bundles sit in its ``children/``); a failed step still leaves it, status ``failed``.
``bootstrap`` prints every step's check, then runs ``Setup`` (``dry_run``: the plan).

The ``stack`` step is ``invoke stack.up``'s procedure (Docker Compose when an engine
answers, else the native Prefect server, S3 API and web UI) on ports 4200, 9000 and 8765,
or free ones when a program that accepts connections holds them (the step's line says so); the
``ctx`` step says when it repoints the profile's ``PREFECT_API_URL``.

Pitfalls: ``credentials`` is required only for staging/prod (local uses the stack's
public defaults); it prompts through ``ask`` (the CLI passes a hidden terminal prompt)
and fails without a terminal. ``env`` never overwrites a differing file unless
``force_env``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.procedure import Change, Evidence, Outcome, Procedure


@dataclass
class Options:
    settings: Any  # the front door's HotpassSettings
    target: str = "local"
    extras: tuple[str, ...] = ("orchestration",)
    host: str | None = None
    user: str | None = None
    ssh_port: int | None = None
    identity_file: Path | None = None
    ssh_options: tuple[str, ...] = ()
    force_env: bool = False
    ask: Callable[[], dict[str, str]] | None = field(default=None, repr=False)

    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir


@dataclass
class Step:
    name: str
    check: Callable[[], tuple[bool, str]]
    child: Callable[[], Procedure]  # the procedure that satisfies it (built when needed)
    said: Callable[[Outcome], str]  # one line of what the child did
    asks: bool = False  # building the child prompts (never under dry-run)


def _deps(options: Options) -> Step:
    from hotpass.infra.doctor.local import missing_requirements

    def check() -> tuple[bool, str]:
        missing = {extra: missing_requirements(extra) for extra in options.extras}
        gaps = [f"{extra}: {', '.join(m)}" for extra, m in missing.items() if m]
        return (not gaps, "; ".join(gaps) or f"extras {' '.join(options.extras)} installed")

    def child() -> Procedure:
        from hotpass.infra.deps import Sync

        return Sync(list(options.extras))

    return Step("deps", check, child, lambda done: f"uv sync: {len(done.pending)} change(s)")


def _credentials(options: Options) -> Step:
    from hotpass import credential_store
    from hotpass.infra.credentials import ChangeCredentials

    def check() -> tuple[bool, str]:
        stored = credential_store.load(options.state_dir)
        if options.target == "local":
            return True, f"not needed for local ({len(stored)} stored)"
        return bool(stored), (f"{len(stored)} stored" if stored else "none stored")

    def child() -> Procedure:
        if options.ask is None:
            raise HotpassError("setup credentials: no terminal to ask on; run `hotpass "
                               "credentials wizard` (or `credentials set NAME --stdin`)")
        return ChangeCredentials(dict(options.ask()), options.state_dir)

    return Step("credentials", check, child,
                lambda done: f"stored {len(done.pending)}", asks=True)


def _tunnel(options: Options) -> Step:
    from hotpass.infra import net

    label = f"hotpass-{options.target}"

    def check() -> tuple[bool, str]:
        live = [r for r in net.status(options.state_dir) if r["state"] == "up"]
        mine = [r for r in live if r["label"] == label] or live
        if mine:
            return True, f"tunnel {mine[0]['label']} up (prefect_port {mine[0]['prefect_port']})"
        return False, "no live tunnel"

    def child() -> Procedure:
        settings = options.settings
        return net.open_tunnel(host=options.host or settings.bastion_host or "",
                               prefect_host=settings.prefect_host,
                               marquez_host=settings.marquez_host, label=label,
                               user=options.user, ssh_port=options.ssh_port,
                               identity_file=options.identity_file,
                               options=options.ssh_options, detach=True,
                               state_dir=options.state_dir)

    def said(done: Outcome) -> str:
        entry = done.result
        return f"tunnel {label} up (pid {entry['pid']}, prefect_port {entry['prefect_port']})"

    return Step("tunnel", check, child, said)


def _stack(options: Options) -> Step:
    from hotpass.infra import env

    moved: list[str] = []
    chosen: list[str] = []

    def check() -> tuple[bool, str]:
        url = env.stack_endpoints(options.state_dir).get("PREFECT_API_URL")
        return bool(url), f"Prefect at {url}" if url else "the stack is down"

    def child() -> Procedure:
        from hotpass.infra.net.state import pick_port

        try:
            from hotpass.infra import stack
        except ImportError:  # an install without the stack module (invoke stack.*)
            raise HotpassError(f"setup stack: the stack is down and this install cannot "
                               f"start it; start Prefect at {env.DEFAULTS['PREFECT_API_URL']} "
                               "and run setup again") from None

        mode, reason = stack.choose_mode(False)
        ports = {"Prefect": (4200, pick_port(4200)), "S3": (9000, pick_port(9000)),
                 "the web UI": (8765, pick_port(8765))}
        moved[:] = [f"127.0.0.1:{want} is in use by another program, so {what} runs on {got}"
                    for what, (want, got) in ports.items() if got != want]
        chosen[:] = [f"{mode}: {reason}"]
        return stack.up_procedure(mode, reason, state_dir=Path(options.state_dir) / "stack",
                                  store_dir=options.state_dir,
                                  prefect_port=ports["Prefect"][1], s3_port=ports["S3"][1],
                                  web_port=ports["the web UI"][1])

    return Step("stack", check, child, lambda done: f"stack up ({chosen[0]})"
                + (f"; {'; '.join(moved)}" if moved else ""))


def _ctx(options: Options) -> Step:
    from hotpass.infra import ctx

    def check() -> tuple[bool, str]:
        url, source = ctx.api_url_for(options.target, None, options.state_dir)
        planned = ctx.plan(options.target, url)
        return planned["action"] == "unchanged", (f"profile {planned['profile']}: "
                                                 f"{planned['action']} ({url}, {source})")

    def said(done: Outcome) -> str:
        result = done.result
        moved = (f" (PREFECT_API_URL {result['was']['url']} -> {result['api_url']})"
                 if result["action"] == "update" else "")  # never repoint a profile silently
        return f"profile {result['profile']}: {result['action']}{moved}"

    return Step("ctx", check, lambda: ctx.InitProfile(options.target, None, options.state_dir),
                said)


def _env(options: Options) -> Step:
    from hotpass.infra import env

    def check() -> tuple[bool, str]:
        result = env.generate(options.target, {}, dry_run=True, state_dir=options.state_dir)
        return result["action"] == "unchanged", f"{result['output']}: {result['action']}"

    def child() -> Procedure:
        return env.WriteEnv(options.target, {}, output=None, allow_network=False,
                            include_credentials=False, force=options.force_env,
                            state_dir=options.state_dir, tunnel=None)

    return Step("env", check, child,
                lambda done: f"{done.result['output']}: {done.result['action']}")


def steps(options: Options) -> list[Step]:
    if options.target not in ("local", "staging", "prod"):
        raise HotpassError(f"setup: --target must be local, staging or prod, not "
                           f"{options.target!r}")
    middle = _stack(options) if options.target == "local" else _tunnel(options)
    return [_deps(options), _credentials(options), middle, _ctx(options), _env(options)]


def _safe_check(step: Step) -> tuple[bool, str]:
    try:
        return step.check()
    except HotpassError as exc:
        return False, exc.message


class Setup(Procedure):
    """The bootstrap as one procedure whose children are the steps' procedures."""

    name = "setup"

    def __init__(self, options: Options) -> None:
        self.options = options
        self.chosen: list[Step] = []
        self.results: list[dict] = []

    def prepare(self, ev: Evidence) -> None:
        self.chosen = steps(self.options)
        # summary.json's own fields (evidence/summaries/setup.schema.json), filled as it goes
        ev.summary_details = {"target": self.options.target, "steps": self.results}

    def plan(self, ev: Evidence) -> list[Change]:
        from hotpass.procedure import run

        changes: list[Change] = []
        for step in self.chosen:
            ok, detail = _safe_check(step)
            if ok:
                changes.append(Change(f"{step.name} (step)", "unchanged", {"detail": detail}))
                continue
            if step.asks:  # its child exists once someone answered
                changes.append(Change(f"{step.name} (step)", "ask", {"detail": detail}))
                continue
            try:
                child = run(step.child(), dry_run=True, echo=ev.echo)  # the child's own plan
            except HotpassError as exc:
                if not any(change.pending for change in changes):
                    raise
                # it needs what an earlier step will make (ctx: the tunnel): run after it
                changes.append(Change(f"{step.name} (step)", "run",
                                      {"detail": f"after the steps before it ({exc.message})"}))
                continue
            shown = [Change(f"{step.name}: {c.target}", c.action, c.detail)
                     for c in child.changes if c.pending]
            changes += shown or [Change(f"{step.name} (step)", "run", {"detail": detail})]
        return changes

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        """Run the unsatisfied steps in order (their procedures become this one's children)."""
        from hotpass.procedure import run

        for step in self.chosen:
            ok, detail = _safe_check(step)
            if ok:
                ev.echo(f"{step.name} skipped (satisfied: {detail})")
                self.results.append({"step": step.name, "result": "skipped", "detail": detail})
                continue
            try:
                done = step.said(run(step.child(), echo=ev.echo))
                ok, after = step.check()
                if not ok:
                    raise HotpassError(f"still not satisfied after running: {after}")
            except HotpassError as exc:
                raise HotpassError(f"setup stopped at step '{step.name}': {exc.message}; fix "
                                   f"it and run `hotpass setup --target {self.options.target}` "
                                   "again (satisfied steps are skipped)",
                                   exc.exit_code) from None
            ev.echo(f"{step.name} done ({done})")
            self.results.append({"step": step.name, "result": "done", "detail": done})

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        found = [(step.name, _safe_check(step)) for step in self.chosen]
        if not self.results:  # nothing was pending, so apply did not run: all skipped
            for name, (_, detail) in found:
                ev.echo(f"{name} skipped (satisfied: {detail})")
                self.results.append({"step": name, "result": "skipped", "detail": detail})
        return [f"{name}: not satisfied after setup ({detail})"
                for name, (ok, detail) in found if not ok]

    def result(self, ev: Evidence) -> list[dict]:
        """One row per step: ``skipped``/``done`` and its line (empty under dry-run)."""
        return self.results


def bootstrap(options: Options, *, dry_run: bool = False,
              echo: Callable[[str], None] = print) -> Outcome:
    """Print every step's check, then run ``Setup`` (under ``dry_run``: its plan only)."""
    from hotpass.procedure import run

    echo(f"setup --target {options.target}: plan")
    for number, step in enumerate(steps(options), start=1):
        ok, detail = _safe_check(step)
        echo(f"  {number}. {step.name:<11} {'satisfied' if ok else 'to do':<9}  {detail}")
    return run(Setup(options), dry_run=dry_run, echo=echo)
