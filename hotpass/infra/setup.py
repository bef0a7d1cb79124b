"""``hotpass setup``: the resumable bootstrap, deps -> credentials -> tunnel or stack ->
ctx -> env.

Contract: ``steps(options)`` lists the steps for the target (``tunnel`` for
staging/prod, ``stack`` for local). Each step has ``check()`` -> ``(satisfied, detail)``
and ``run()``. ``bootstrap`` prints the plan first (every step's check), then walks the
steps in order, re-checking each just before it (an earlier step may have satisfied
it), running only the unsatisfied ones and checking again after; the first failure
stops the walk with a one-line error that says to re-run (satisfied steps are skipped
then, which is what makes it resumable). ``dry_run`` prints the plan and stops. A real run is one evidence bundle ``setup-<stamp>``
whose children are the procedures the steps ran (deps.sync, credentials, stack.up,
ctx.init, env); a failed step still leaves it, verdict ``fail``.

The ``stack`` step is ``invoke stack.up``'s procedure (Docker Compose when an engine
answers, else the native Prefect server and S3 API) on ports 4200 and 9000, or free ones
when a program that accepts connections holds them (the step's line says so); the
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

from hotpass.errors import HotpassError


@dataclass
class Options:
    target: str = "local"
    extras: tuple[str, ...] = ("orchestration",)
    host: str | None = None
    user: str | None = None
    ssh_port: int | None = None
    identity_file: Path | None = None
    ssh_options: tuple[str, ...] = ()
    force_env: bool = False
    state_dir: Path | None = None
    ask: Callable[[], dict[str, str]] | None = field(default=None, repr=False)


@dataclass
class Step:
    name: str
    check: Callable[[], tuple[bool, str]]
    run: Callable[[], str]


def _deps(options: Options) -> Step:
    from hotpass.infra.doctor.local import missing_requirements

    def check() -> tuple[bool, str]:
        missing = {extra: missing_requirements(extra) for extra in options.extras}
        gaps = [f"{extra}: {', '.join(m)}" for extra, m in missing.items() if m]
        return (not gaps, "; ".join(gaps) or f"extras {' '.join(options.extras)} installed")

    def run() -> str:
        from hotpass.infra.deps import Sync
        from hotpass.procedure import run as run_procedure

        outcome = run_procedure(Sync(list(options.extras)))
        return f"uv sync: {len(outcome.pending)} change(s)"

    return Step("deps", check, run)


def _credentials(options: Options) -> Step:
    from hotpass import credential_store
    from hotpass.infra.credentials import ChangeCredentials

    def check() -> tuple[bool, str]:
        stored = credential_store.load(options.state_dir)
        if options.target == "local":
            return True, f"not needed for local ({len(stored)} stored)"
        return bool(stored), (f"{len(stored)} stored" if stored else "none stored")

    def run() -> str:
        if options.ask is None:
            raise HotpassError("setup credentials: no terminal to ask on; run `hotpass "
                               "credentials wizard` (or `credentials set NAME --stdin`)")
        from hotpass.procedure import run

        wanted: dict[str, str | None] = dict(options.ask())
        run(ChangeCredentials(wanted, options.state_dir))
        return f"stored {len(wanted)}"

    return Step("credentials", check, run)


def _tunnel(options: Options) -> Step:
    from hotpass.infra import net
    from hotpass.settings import load as load_settings

    label = f"hotpass-{options.target}"

    def check() -> tuple[bool, str]:
        live = [r for r in net.status(options.state_dir) if r["state"] == "up"]
        mine = [r for r in live if r["label"] == label] or live
        if mine:
            return True, f"tunnel {mine[0]['label']} up (prefect_port {mine[0]['prefect_port']})"
        return False, "no live tunnel"

    def run() -> str:
        settings = load_settings()
        entry = net.up(host=options.host or settings.bastion_host or "",
                       prefect_host=settings.prefect_host, marquez_host=settings.marquez_host,
                       label=label, user=options.user, ssh_port=options.ssh_port,
                       identity_file=options.identity_file, options=options.ssh_options,
                       detach=True, state_dir=options.state_dir)
        return f"tunnel {label} up (pid {entry['pid']}, prefect_port {entry['prefect_port']})"

    return Step("tunnel", check, run)


def _stack(options: Options) -> Step:
    from hotpass.infra import env
    from hotpass.settings import load

    def check() -> tuple[bool, str]:
        url = env.stack_endpoints(options.state_dir).get("PREFECT_API_URL")
        return bool(url), f"Prefect at {url}" if url else "the stack is down"

    def run() -> str:
        from hotpass.infra.net.state import pick_port
        from hotpass.procedure import run as run_procedure

        try:
            from hotpass.infra import stack
        except ImportError:  # an install without the stack module (invoke stack.*)
            raise HotpassError(f"setup stack: the stack is down and this install cannot "
                               f"start it; start Prefect at {env.DEFAULTS['PREFECT_API_URL']} "
                               "and run setup again") from None

        mode, reason = stack.choose_mode(False)
        folder = Path(options.state_dir or load().state_dir) / "stack"
        ports = {"Prefect": (4200, pick_port(4200)), "S3": (9000, pick_port(9000))}
        moved = [f"127.0.0.1:{want} is in use by another program, so {what} runs on {got}"
                 for what, (want, got) in ports.items() if got != want]
        run_procedure(stack.up_procedure(mode, reason, state_dir=folder,
                                         prefect_port=ports["Prefect"][1],
                                         s3_port=ports["S3"][1]))
        return f"stack up ({mode}: {reason})" + (f"; {'; '.join(moved)}" if moved else "")

    return Step("stack", check, run)


def _ctx(options: Options) -> Step:
    from hotpass.infra import ctx

    def check() -> tuple[bool, str]:
        url, source = ctx.api_url_for(options.target, None, options.state_dir)
        planned = ctx.plan(options.target, url)
        return planned["action"] == "unchanged", (f"profile {planned['profile']}: "
                                                 f"{planned['action']} ({url}, {source})")

    def run() -> str:
        done = ctx.init(options.target, state_dir=options.state_dir)
        moved = (f" (PREFECT_API_URL {done['was']['url']} -> {done['api_url']})"
                 if done["action"] == "update" else "")  # never repoint a profile silently
        return f"profile {done['profile']}: {done['action']}{moved}"

    return Step("ctx", check, run)


def _env(options: Options) -> Step:
    from hotpass.infra import env

    def check() -> tuple[bool, str]:
        result = env.generate(options.target, {}, dry_run=True, state_dir=options.state_dir)
        return result["action"] == "unchanged", f"{result['output']}: {result['action']}"

    def run() -> str:
        result = env.generate(options.target, {}, force=options.force_env,
                              state_dir=options.state_dir)
        return f"{result['output']}: {result['action']}"

    return Step("env", check, run)


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


def bootstrap(options: Options, *, dry_run: bool = False,
              echo: Callable[[str], None] = print) -> list[dict]:
    chosen = steps(options)
    echo(f"setup --target {options.target}: plan")
    for number, step in enumerate(chosen, start=1):
        ok, detail = _safe_check(step)
        echo(f"  {number}. {step.name:<11} {'satisfied' if ok else 'to do':<9}  {detail}")
    if dry_run:
        return []
    from hotpass.evidence import Bundle
    from hotpass.settings import load

    results: list[dict] = []
    with Bundle.create(load().evidence_dir, "setup", echo=echo) as bundle:
        bundle.summary = {"target": options.target, "steps": results}
        _walk(options, chosen, results, echo)
        path = bundle.finish({"target": options.target, "steps": results}, "pass")
    echo(f"evidence: {path}")
    return results


def _walk(options: Options, chosen: list[Step], results: list[dict],
          echo: Callable[[str], None]) -> None:
    """Run the unsatisfied steps in order (their procedures become the bundle's children)."""
    for step in chosen:
        ok, detail = _safe_check(step)
        if ok:
            echo(f"{step.name} skipped (satisfied: {detail})")
            results.append({"step": step.name, "result": "skipped", "detail": detail})
            continue
        try:
            done = step.run()
            ok, after = step.check()
            if not ok:
                raise HotpassError(f"still not satisfied after running: {after}")
        except HotpassError as exc:
            raise HotpassError(f"setup stopped at step '{step.name}': {exc.message}; fix "
                               f"it and run `hotpass setup --target {options.target}` again "
                               "(satisfied steps are skipped)") from None
        echo(f"{step.name} done ({done})")
        results.append({"step": step.name, "result": "done", "detail": done})
