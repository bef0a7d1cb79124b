"""The native stack: what runs as local processes when no Docker engine answers.

Contract: ``NativeUp`` and ``NativeDown`` are ``hotpass.procedure`` procedures.
- Up starts, each with pidfile, log and health probe (``hotpass.procs``) under the state
  dir: a Prefect server (``prefect server start``, SQLite under ``<state>/prefect``),
  ``moto_server`` for the S3 API (then creates the bucket), and with ``llm`` an
  ``ollama serve`` when ollama is on PATH. A service whose program is missing is left
  out with the reason (``skipped``). The plan diffs against the live state: a service
  of ours that is alive, healthy and on the asked port is ``unchanged``; alive but
  unhealthy or on another port is ``restart``; else ``start``. Port 0 picks a free port
  (or keeps the one ours runs on). A port on which a program we did not start accepts
  connections is refused in ``prepare``, naming the flag (a socket still closing after
  ``stack.down`` is not a program: the port is free). With the S3 API, the credentials
  store gets an ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` pair unless it holds one
  (moto accepts any), so ``hotpass env --target local`` can hand refine a working pair.
  Verify re-probes every service, the bucket and the stored pair.
- Down stops every process whose pidfile is in the state dir, and nothing else.

Pitfalls: moto keeps objects in memory: a restart empties the bucket (stack.up creates it
again). Credentials for moto can be anything; the ones used here are not secrets.
"""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hotpass import credential_store, procs
from hotpass.errors import HotpassError
from hotpass.infra.credentials import ChangeCredentials
from hotpass.infra.net.state import pick_port, port_free
from hotpass.infra.stack.services import LINEAGE_FILE, TELEMETRY_FILE, State, load_state
from hotpass.procedure import Change, Evidence, Procedure

MOTO_CREDENTIALS = ("hotpass", "hotpass-moto")  # moto accepts any; these guard nothing
S3_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
CREDENTIALS_TARGET = "S3 credentials in the credentials store"


@dataclass
class Runner:
    service: str  # the compose service it stands in for
    process: str  # pidfile name
    port: int
    command: list[str]
    health: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class NativeOptions:
    state_dir: Path
    store_dir: Path  # the credentials store's folder (HOTPASS_STATE_DIR)
    prefect_port: int = 4200
    s3_port: int = 9000
    llm: bool = False
    web_port: int = 8765
    bucket: str = "hotpass-artifacts"
    timeout: float = 120.0
    reason: str = "--native given"
    sink_root: Path = Path("dist")  # lineage/ and telemetry/ file sinks go here


PROCESS_OF = {"prefect-server": "prefect-server", "minio": "moto-s3", "minio-init": "moto-s3",
              "localstack": "moto-s3", "ollama": "ollama", "hotpass-web": "hotpass-web"}  # service -> native process


def _port(asked: int, process: str, state: State, flag: str) -> int:
    if not 0 <= asked <= 65535:
        raise HotpassError(f"{flag} {asked}: not a port (1-65535, or 0 for a free one)")
    ours = state.services.get(process, {}).get("port")
    running = procs.running_pid(process, state.path.parent)
    if asked == 0:
        return ours if running and ours else pick_port(0)
    if not (running and ours == asked) and not port_free(asked):
        raise HotpassError(f"{process}: 127.0.0.1:{asked} is in use by a program stack.up "
                           f"did not start; pass {flag} N (0 picks a free port)")
    return asked


def runners(options: NativeOptions, state: State) -> tuple[list[Runner], dict[str, str]]:
    """The runners that can start here, and {service: why not} for the rest."""
    found, skipped = [], {}
    if importlib.util.find_spec("prefect") is None:
        skipped["prefect-server"] = "Prefect is not installed (pip install 'hotpass[orchestration]')"
    else:
        port = _port(options.prefect_port, "prefect-server", state, "--prefect-port")
        found.append(Runner(
            "prefect-server", "prefect-server", port,
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)], "/api/health",
            {"PREFECT_HOME": str(options.state_dir / "prefect"),
             "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the UI's browser side calls:
             "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api"}))
    moto = shutil.which("moto_server")
    if moto is None:
        skipped["minio"] = "moto_server is not on PATH (pip install 'moto[server]')"
    else:
        port = _port(options.s3_port, "moto-s3", state, "--s3-port")
        found.append(Runner("minio", "moto-s3", port,
                            [moto, "-H", "127.0.0.1", "-p", str(port)], "/moto-api/"))
    if not all(importlib.util.find_spec(m) for m in ("jinja2", "starlette", "uvicorn")):
        skipped["hotpass-web"] = "pip install 'hotpass[dashboards]'"
    else:
        port = _port(options.web_port, "hotpass-web", state, "--web-port")
        found.append(Runner("hotpass-web", "hotpass-web", port, [
            sys.executable, "-m", "hotpass", "site", "serve", "--port", str(port),
            "--out", str(options.sink_root / "site"), "--runs", str(options.sink_root),
            "--state-dir", str(options.state_dir)], "/healthz"))
    ollama = shutil.which("ollama")
    if not options.llm:
        skipped["ollama"] = "profile llm (pass --llm)"
    elif ollama is None:
        skipped["ollama"] = "--llm: ollama is not on PATH"
    else:
        port = _port(11434, "ollama", state, "--llm (port 11434)")
        found.append(Runner("ollama", "ollama", port, [ollama, "serve"], "/api/version",
                            {"OLLAMA_HOST": f"127.0.0.1:{port}"}))
    return found, skipped


def bucket_exists(endpoint: str, bucket: str) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    from hotpass.artifacts import s3_client

    try:
        s3_client(endpoint, MOTO_CREDENTIALS).head_bucket(Bucket=bucket)
        return True
    except (BotoCoreError, ClientError):
        return False


class NativeUp(Procedure):
    name = "stack.up"

    def __init__(self, options: NativeOptions) -> None:
        self.options = options
        self.state = load_state(options.state_dir)
        self.runners: list[Runner] = []
        self.skipped: dict[str, str] = {}

    def prepare(self, ev: Evidence) -> None:
        if self.state.mode == "compose":
            raise HotpassError("the compose stack is up (stack.json); run stack.down first")
        self.runners, self.skipped = runners(self.options, self.state)
        for service, why in self.skipped.items():
            ev.echo(f"{service}: left out: {why}")

    @property
    def _s3(self) -> Runner | None:
        return next((r for r in self.runners if r.process == "moto-s3"), None)

    def _live(self, runner: Runner) -> str:
        pid = procs.running_pid(runner.process, self.options.state_dir)
        recorded = self.state.services.get(runner.process, {}).get("port")
        if not pid:
            return "start"
        if recorded == runner.port and procs.http_ready(runner.url + runner.health)():
            return "unchanged"
        return "restart"

    def plan(self, ev: Evidence) -> list[Change]:
        changes = [Change(r.service, self._live(r), {"url": r.url, "process": r.process})
                   for r in self.runners]
        s3 = self._s3
        if s3 is not None:
            ready = changes[self.runners.index(s3)].action == "unchanged" and bucket_exists(
                s3.url, self.options.bucket)
            changes.append(Change(f"bucket {self.options.bucket}",
                                  "unchanged" if ready else "create", {"endpoint": s3.url}))
            stored = credential_store.load(self.options.store_dir)
            changes.append(Change(CREDENTIALS_TARGET, "unchanged" if all(
                stored.get(name) for name in S3_KEYS) else "add",
                {"store": str(credential_store.store_path(self.options.store_dir)), "names": list(S3_KEYS)}))
        return changes

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        actions = {c.target: c.action for c in changes}
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        self.state.mode, self.state.reason = "native", self.options.reason
        self.state.skipped = dict(self.skipped)
        for kind, default in (("lineage", LINEAGE_FILE), ("telemetry", TELEMETRY_FILE)):
            sink = (self.options.sink_root / default.relative_to("dist")).resolve()
            sink.parent.mkdir(parents=True, exist_ok=True)
            self.state.sinks[kind] = str(sink)
        for runner in self.runners:
            action = actions.get(runner.service)
            if action == "restart":
                with ev.step(f"stop {runner.process}"):
                    procs.stop(runner.process, state_dir=self.options.state_dir)
            if action in {"start", "restart"}:
                with ev.step(f"start {runner.process}: {shlex.join(runner.command)}"):
                    handle = procs.start(runner.process, runner.command,
                                         state_dir=self.options.state_dir, env=runner.env,
                                         ready=procs.http_ready(runner.url + runner.health),
                                         timeout=self.options.timeout, label=runner.service)
                ev.echo(f"{runner.service}: started pid {handle.pid} at {runner.url} "
                        f"(log {handle.log})")
            self.state.services[runner.process] = {
                "service": runner.service, "port": runner.port, "url": runner.url,
                "health": runner.health,
                **({"bucket": self.options.bucket} if runner.process == "moto-s3" else {})}
            self.state.save()
        s3 = self._s3
        if s3 is not None and actions.get(f"bucket {self.options.bucket}") == "create":
            from hotpass.artifacts import s3_client

            with ev.step(f"create bucket {self.options.bucket} at {s3.url}"):
                s3_client(s3.url, MOTO_CREDENTIALS).create_bucket(Bucket=self.options.bucket)
        if actions.get(CREDENTIALS_TARGET) == "add":  # what `hotpass env` hands to refine
            from hotpass.procedure import run

            stored = credential_store.load(self.options.store_dir)
            run(ChangeCredentials(
                {name: value for name, value in zip(S3_KEYS, MOTO_CREDENTIALS, strict=True)
                 if not stored.get(name)}, self.options.store_dir))

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        differences = []
        for runner in self.runners:
            if not procs.running_pid(runner.process, self.options.state_dir):
                differences.append(f"{runner.service}: not running")
            elif not procs.http_ready(runner.url + runner.health)():
                differences.append(f"{runner.service}: {runner.url}{runner.health} not healthy")
        s3 = self._s3
        if s3 is not None and not bucket_exists(s3.url, self.options.bucket):
            differences.append(f"bucket {self.options.bucket}: missing at {s3.url}")
        if s3 is not None and not all(credential_store.load(self.options.store_dir).get(name) for name in S3_KEYS):
            differences.append(f"{CREDENTIALS_TARGET}: not in {credential_store.store_path(self.options.store_dir)}")
        return differences


class NativeDown(Procedure):
    name = "stack.down"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.state = load_state(self.state_dir)

    def plan(self, ev: Evidence) -> list[Change]:
        changes = []
        for row in procs.status(self.state_dir):
            service = self.state.services.get(row["name"], {}).get("service", row["name"])
            changes.append(Change(service, "stop" if row["alive"] else "clean",
                                  {"process": row["name"], "pid": row["pid"]}))
        return changes or [Change("native stack", "unchanged", {"note": "nothing running"})]

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        for change in changes:
            process = change.detail["process"]
            with ev.step(f"stop {process}") as step:
                result = procs.stop(process, state_dir=self.state_dir)
                step.output = f"pid {result['pid']}: {result['how']}"
            ev.echo(f"{change.target}: {change.action} pid {result['pid']} ({result['how']})")
            self.state.services.pop(process, None)
        if self.state.services:
            self.state.save()
        else:
            self.state.clear()

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        return [f"{row['name']}: pid {row['pid']} still has a pidfile"
                for row in procs.status(self.state_dir)]
