"""The compose stack: ``docker compose`` (or ``docker-compose``) on deploy/docker/.

Contract:
- ``engine()`` returns ``(True, version)`` when a Docker engine answers ``docker version``
  within 5 s, else ``(False, reason)``; ``compose_command()`` is ``["docker", "compose"]``
  when the plugin is there, else ``["docker-compose"]``, else ``None``.
- ``containers(base)`` reads every container of the project (``ps -a -q`` then
  ``docker inspect``): {service: {"status", "health", "exit_code"}}; health is the
  container's health-check status, or for a one-shot job ``completed``/``failed``.
- ``ComposeUp`` plans ``unchanged`` for services already running and healthy (a
  completed one-shot job counts), ``start`` for the rest; applies
  ``compose up -d --build`` (``--profile llm`` with ``llm``), waits until every service
  is healthy or ``timeout`` passes; verify re-reads the containers. ``ComposeDown``
  plans ``stop`` per container and applies ``compose down`` (named volumes are kept).

Pitfalls: ``docker-compose`` v1 (Debian) has no ``ps --format json``, hence inspect; both
name the project after the folder (``docker``), as a runbook ``docker compose up`` does.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from hotpass import shell
from hotpass.errors import HotpassError
from hotpass.infra.stack.services import State, catalogue, load_state
from hotpass.procedure import Change, Evidence, Procedure

GOOD = {"healthy", "completed"}


def _silent(line: str) -> None:
    """Echo sink for polling reads (they would print a line every few seconds)."""


def engine(ev: Evidence | None = None) -> tuple[bool, str]:
    if shutil.which("docker") is None:
        return False, "the docker client is not installed"
    try:
        version = shell.run(["docker", "version", "--format", "{{.Server.Version}}"],
                            ev=ev, mutates=False, timeout=5)
    except HotpassError as exc:
        return False, exc.message
    return True, version.strip()


def compose_command(ev: Evidence | None = None) -> list[str] | None:
    if shutil.which("docker"):
        try:
            shell.run(["docker", "compose", "version"], ev=ev, mutates=False, timeout=10)
            return ["docker", "compose"]
        except HotpassError:
            pass
    return ["docker-compose"] if shutil.which("docker-compose") else None


def base_command(compose_file: Path, llm: bool, ev: Evidence | None = None) -> list[str]:
    command = compose_command(ev)
    if command is None:
        raise HotpassError("a Docker engine answers but neither `docker compose` nor "
                           "docker-compose is installed")
    return [*command, "-f", str(compose_file), *(["--profile", "llm"] if llm else [])]


def containers(base: list[str], ev: Evidence | None = None) -> dict[str, dict]:
    ids = shell.run([*base, "ps", "-a", "-q"], ev=ev, mutates=False, timeout=60).split()
    if not ids:
        return {}
    found = {}
    for item in json.loads(shell.run(["docker", "inspect", *ids], ev=ev, mutates=False,
                                     timeout=60)):
        state = item["State"]
        service = item["Config"]["Labels"].get("com.docker.compose.service", item["Name"])
        health = (state.get("Health") or {}).get("Status")
        if health is None:
            exited = state["Status"] == "exited"
            health = ("completed" if state.get("ExitCode") == 0 else "failed") if exited \
                else state["Status"]
        found[service] = {"status": state["Status"], "health": health,
                          "exit_code": state.get("ExitCode")}
    return found


@dataclass
class ComposeOptions:
    state_dir: Path
    compose_file: Path
    llm: bool = False
    timeout: float = 600.0


class ComposeUp(Procedure):
    name = "stack.up"

    def __init__(self, options: ComposeOptions) -> None:
        self.options = options
        self.state: State = load_state(options.state_dir)
        self.services = [s.name for s in catalogue(options.compose_file)
                         if not s.profiles or (options.llm and "llm" in s.profiles)]
        self.base: list[str] = []

    def prepare(self, ev: Evidence) -> None:
        if self.state.mode == "native":
            raise HotpassError("the native stack is up (stack.json); run stack.down first")
        self.base = base_command(self.options.compose_file, self.options.llm, ev)

    def plan(self, ev: Evidence) -> list[Change]:
        live = containers(self.base, ev)
        return [Change(name, "unchanged" if live.get(name, {}).get("health") in GOOD
                       else "start", {"now": live.get(name, {}).get("health", "absent")})
                for name in self.services]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        self.state.mode, self.state.compose_file = "compose", str(self.options.compose_file)
        self.state.profiles = ["llm"] if self.options.llm else []
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        self.state.save()  # before up: a half-started stack is still ours to take down
        shell.run([*self.base, "up", "-d", "--build"], ev=ev, timeout=self.options.timeout)
        deadline = time.monotonic() + self.options.timeout
        with ev.step(f"wait for {len(self.services)} services to be healthy") as step:
            while True:
                live = containers(self.base, Evidence("wait", dry_run=True, echo=_silent))
                waiting = [n for n in self.services if live.get(n, {}).get("health") not in GOOD]
                if not waiting or time.monotonic() > deadline or any(
                        live.get(n, {}).get("health") in {"failed", "unhealthy"}
                        for n in waiting):
                    step.output = json.dumps(live, sort_keys=True)
                    break
                time.sleep(3)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        live = containers(self.base, ev)
        return [f"{name}: {live.get(name, {}).get('health', 'absent')}"
                for name in self.services if live.get(name, {}).get("health") not in GOOD]


class ComposeDown(Procedure):
    name = "stack.down"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.state = load_state(self.state_dir)
        self.base: list[str] = []

    def prepare(self, ev: Evidence) -> None:
        self.base = base_command(Path(self.state.compose_file), "llm" in self.state.profiles,
                                 ev)

    def plan(self, ev: Evidence) -> list[Change]:
        live = containers(self.base, ev)
        return [Change(name, "stop", {"now": row["health"]}) for name, row in live.items()] \
            or [Change("compose stack", "unchanged", {"note": "no containers"})]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        shell.run([*self.base, "down"], ev=ev, timeout=300)
        self.state.clear()

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        return [f"{name}: still {row['status']}" for name, row in
                containers(self.base, ev).items()]
