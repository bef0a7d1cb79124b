"""The self-hosted stack behind ``invoke stack.up|down|status|logs``.

Contract:
- ``choose_mode(native, ev)``: ``("native", why)`` when ``native`` is true or no Docker
  engine answers (``why`` says which), else ``("compose", engine version)``.
- ``up_procedure(...)`` / ``down_procedure(state_dir)``: the procedure to run through
  ``hotpass.procedure.run`` (plan -> apply -> verify, evidence). Down follows the mode
  recorded by up, so it stops only what up started.
- ``status(state_dir)``: every service of the compose file with its URL, health and,
  when not started, why; the file sinks that stand in for lineage and telemetry in native
  mode; and ``env``, the variables that point Hotpass at what runs.
- ``logs(service, state_dir, lines)``: the last lines of a service's log (also after
  ``stack.down``), and a note when it has none or no longer runs.

Pitfalls: the state lives in ``<HOTPASS_STATE_DIR>/stack`` (``stack.json``, pidfiles,
logs, Prefect's SQLite database); removing it while the stack runs orphans processes
(``stack.status`` then shows them as not started, and their ports as taken).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.infra.stack.services import (
    COMPOSE_FILE,
    LINEAGE_FILE,
    TELEMETRY_FILE,
    Service,
    State,
    catalogue,
    load_state,
)
from hotpass.procedure import Evidence, Procedure


def _quiet() -> Evidence:
    """An unrecorded evidence whose echo is dropped: for read-only probes in status."""
    return Evidence("stack.status", dry_run=True, echo=lambda line: None)


def choose_mode(native: bool, ev: Evidence | None = None) -> tuple[str, str]:
    from hotpass.infra.stack.compose import engine

    if native:
        return "native", "--native given"
    answers, detail = engine(ev)
    if answers:
        return "compose", f"Docker engine {detail}"
    return "native", f"no Docker engine answers ({detail})"


def up_procedure(mode: str, reason: str, *, state_dir: Path, store_dir: Path,
                 llm: bool = False,
                 prefect_port: int = 4200, s3_port: int = 9000, timeout: float = 120.0,
                 compose_file: Path = COMPOSE_FILE, web_port: int = 8765) -> Procedure:
    if mode == "compose":
        from hotpass.infra.stack.compose import ComposeOptions, ComposeUp

        return ComposeUp(ComposeOptions(Path(state_dir), Path(compose_file), llm,
                                        max(timeout, 600.0)))
    from hotpass.infra.stack.native import NativeOptions, NativeUp

    return NativeUp(NativeOptions(Path(state_dir), Path(store_dir), prefect_port, s3_port, llm,
                                  web_port=web_port, timeout=timeout, reason=reason))


def down_procedure(state_dir: Path) -> Procedure:
    if load_state(state_dir).mode == "compose":
        from hotpass.infra.stack.compose import ComposeDown

        return ComposeDown(Path(state_dir))
    from hotpass.infra.stack.native import NativeDown

    return NativeDown(Path(state_dir))


def _native_row(service: Service, state: State) -> dict[str, Any]:
    from hotpass.infra.stack.native import PROCESS_OF

    process = PROCESS_OF.get(service.name, "")
    entry = state.services.get(process)
    if entry is None:
        why = state.skipped.get(service.name) or f"{state.reason}; {service.role.fallback}"
        return {"url": "", "health": "not started", "why": why, "runs": ""}
    from hotpass import procs

    base = entry["url"]
    alive = procs.running_pid(process, state.path.parent) is not None
    if service.name == "minio-init":
        from hotpass.infra.stack.native import bucket_exists

        done = alive and bucket_exists(base, entry.get("bucket", "hotpass-artifacts"))
        return {"url": f"s3://{entry.get('bucket')}", "health": "completed" if done else
                "failed", "why": "", "runs": f"bucket in {process}"}
    path = service.role.path if service.name != "localstack" else ""
    health = "stopped"
    if alive:
        health = "healthy" if procs.http_ready(base + entry["health"])() else "unhealthy"
    return {"url": base + path, "health": health, "why": "" if alive else
            f"{process} is not running (see its log)", "runs": f"native {process}"}


def status(state_dir: Path, compose_file: Path = COMPOSE_FILE) -> dict[str, Any]:
    state = load_state(state_dir)
    services = catalogue(Path(state.compose_file or compose_file))
    live: dict[str, dict] = {}
    problem = ""
    if state.mode == "compose":
        from hotpass.infra.stack.compose import base_command, containers

        try:
            ev = _quiet()
            live = containers(base_command(Path(state.compose_file), "llm" in state.profiles,
                                           ev), ev)
        except HotpassError as exc:
            problem = exc.message
    rows = []
    for service in services:
        row: dict[str, Any] = {"service": service.name, "env": service.role.env}
        if state.mode == "native":
            row.update(_native_row(service, state))
        elif state.mode == "compose":
            found = live.get(service.name)
            skipped = service.profiles and not set(service.profiles) & set(state.profiles)
            row.update(url=service.url, health=found["health"] if found else "not started",
                       runs="compose", why="" if found else problem or (
                           f"profile {','.join(service.profiles)} (pass --llm)" if skipped
                           else "no container"))
        else:
            row.update(url=service.url, health="not started", runs="",
                       why="the stack is down (invoke stack.up)")
        rows.append(row)
    sinks = {}
    if state.mode == "native":
        sinks = {"lineage": state.sinks.get("lineage", str(LINEAGE_FILE)),
                 "telemetry": state.sinks.get("telemetry", str(TELEMETRY_FILE))}
    return {"mode": state.mode or "down", "reason": state.reason, "services": rows,
            "sinks": sinks, "env": stack_env(rows, sinks), "state_dir": str(state_dir)}


def stack_env(rows: list[dict[str, Any]], sinks: dict[str, str]) -> dict[str, str]:
    """The variables that point Hotpass at the running services (no secrets)."""
    env = {row["env"]: row["url"] for row in rows
           if row["env"] and row["url"] and row["health"] in {"healthy", "completed"}}
    if sinks.get("lineage"):
        env.update(OPENLINEAGE__TRANSPORT__TYPE="file", OPENLINEAGE__TRANSPORT__APPEND="true",
                   OPENLINEAGE__TRANSPORT__LOG_FILE_PATH=sinks["lineage"])
    if sinks.get("telemetry"):
        env.update(OTEL_EXPORTER_OTLP_PROTOCOL="console", HOTPASS_TELEMETRY_FILE=sinks["telemetry"])
    return dict(sorted(env.items()))


def logs(service: str, state_dir: Path, lines: int = 50) -> tuple[str, str]:
    """``(text, note)``: the log's last ``lines``; ``note`` says why there is none or
    that the process is no longer running (the log outlives ``stack.down``)."""
    state = load_state(state_dir)
    names = [s.name for s in catalogue(Path(state.compose_file or COMPOSE_FILE))]
    if service not in names:
        raise HotpassError(f"stack.logs {service}: no such service (one of: {', '.join(names)})")
    if state.mode == "compose":
        from hotpass import shell
        from hotpass.infra.stack.compose import base_command

        ev = _quiet()
        return shell.run([*base_command(Path(state.compose_file), "llm" in state.profiles, ev),
                          "logs", "--no-color", "--tail", str(lines), service], ev=ev,
                         mutates=False, timeout=60, with_stderr=True), ""
    from hotpass.infra.stack.native import PROCESS_OF

    row = next(r for r in status(state_dir)["services"] if r["service"] == service)
    log = Path(state_dir) / f"{PROCESS_OF.get(service, service)}.log"
    if not log.is_file():
        return "", f"{service}: no log: {row['why'] or 'never started here'}"
    text = log.read_text(encoding="utf-8", errors="replace")
    note = "" if row["health"] in {"healthy", "unhealthy", "completed"} else \
        f"{service}: not running; the last lines of {log}"
    return "\n".join(text.splitlines()[-lines:]), note
