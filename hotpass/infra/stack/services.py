"""The stack's catalogue and memory: the compose file's services, what each one is for,
the state file of what ``stack.up`` started, and the probes that tell health.

Contract:
- ``catalogue(compose_file)`` lists every service of ``deploy/docker/docker-compose.yml``
  (``Service``: name, published (host, container) ports, profiles, whether it is a
  one-shot job) in file order, joined with ``ROLES`` (URL path, health path, the
  environment variable that points Hotpass at it, and what stands in for it without a
  Docker engine).
- ``State`` is ``<state dir>/stack.json`` (written atomically): the mode (``native`` or
  ``compose``) and why, the compose file and profiles, per started process its service,
  port, URL and health path, the services left out and why, and the file sinks. ``load_state`` returns an empty state when there is none.

Pitfalls: the catalogue is read from the compose file, so a service added there shows up
in ``stack.status`` (as ``not started`` natively) without code changes; ROLES only adds
what the file cannot say. Host ports in the file bind to 127.0.0.1.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.paths import COMPOSE_FILE

BUCKET_SERVICE = "minio-init"
LINEAGE_FILE = Path("dist/lineage/events.ndjson")
TELEMETRY_FILE = Path("dist/telemetry/otel.ndjson")


@dataclass(frozen=True)
class Role:
    path: str = ""  # appended to http://127.0.0.1:<first host port>
    health: str | None = None  # probed on the host; None: only the container knows
    env: str = ""  # the variable that points Hotpass at the service
    fallback: str = "nothing runs in its place"  # without a Docker engine


ROLES = {
    "prefect-server": Role("/api", "/api/health", "PREFECT_API_URL",
                           "native: `prefect server start`, SQLite under the state dir"),
    "marquez": Role("/api/v1", None, "OPENLINEAGE_URL",
                    f"lineage goes to the file sink {LINEAGE_FILE}"),
    "marquez-web": Role("/", None, "", "the lineage file sink has no UI"),
    "marquez-db": Role(fallback="Marquez's database; not needed by the file sink"),
    "otel-collector": Role("", None, "OTEL_EXPORTER_OTLP_ENDPOINT",
                           f"telemetry goes to the file sink {TELEMETRY_FILE}"),
    "minio": Role("", "/minio/health/live", "HOTPASS_S3_ENDPOINT",
                  "native: moto_server serves the S3 API"),
    "minio-init": Role(fallback="native: stack.up creates the bucket in moto_server"),
    "localstack": Role("", "/_localstack/health", "LOCALSTACK_ENDPOINT",
                       "native: moto_server answers the AWS APIs"),
    "searxng": Role("", "/healthz", "HOTPASS_SEARX_URL",
                    "research stays offline (--allow-network=false)"),
    "hotpass": Role(fallback="run `invoke workers.start --pool hotpass-process-pool` "
                             "against the native Prefect server"),
    "hotpass-web": Role("/", "/healthz", "", "native: `hotpass site serve`"),
    "ollama": Role("", "/api/version", "HOTPASS_LLM_BASE_URL",
                   "native: `ollama serve` when ollama is on PATH"),
}


@dataclass(frozen=True)
class Service:
    name: str
    ports: tuple[tuple[int, int], ...]
    profiles: tuple[str, ...]
    one_shot: bool
    role: Role

    @property
    def url(self) -> str:
        if not self.ports:
            return ""
        return f"http://127.0.0.1:{self.ports[0][0]}{self.role.path}".rstrip("/")


def _ports(spec: dict) -> tuple[tuple[int, int], ...]:
    pairs = []
    for port in spec.get("ports", []):
        if isinstance(port, dict):
            pairs.append((int(port["published"]), int(port["target"])))
        else:
            *_, host, container = str(port).split(":")
            pairs.append((int(host), int(container.split("/")[0])))
    return tuple(pairs)


def catalogue(compose_file: Path = COMPOSE_FILE) -> list[Service]:
    import yaml

    try:
        services = yaml.safe_load(Path(compose_file).read_text(encoding="utf-8"))["services"]
    except OSError as exc:
        raise HotpassError(f"{compose_file}: {exc.strerror} (the stack needs a Hotpass "
                           "checkout's deploy/docker/)") from None
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise HotpassError(f"{compose_file}: not a compose file ({exc})") from None
    return [Service(name, _ports(spec), tuple(spec.get("profiles", ())),
                    spec.get("restart") == "no", ROLES.get(name, Role()))
            for name, spec in services.items()]


@dataclass
class State:
    path: Path
    mode: str = ""
    reason: str = ""  # why this mode (native: why not compose)
    compose_file: str = ""
    profiles: list[str] = field(default_factory=list)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # by process name
    skipped: dict[str, str] = field(default_factory=dict)  # service -> why not started
    sinks: dict[str, str] = field(default_factory=dict)  # lineage/telemetry file sinks

    def save(self) -> None:
        from hotpass.fileio import atomic_write_text

        data = {k: v for k, v in asdict(self).items() if k != "path"}
        atomic_write_text(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        self.mode, self.reason, self.profiles = "", "", []
        self.services, self.skipped, self.sinks = {}, {}, {}


def load_state(state_dir: Path) -> State:
    path = Path(state_dir) / "stack.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return State(path)
    except (OSError, ValueError) as exc:
        raise HotpassError(f"{path}: unreadable stack state ({exc}); check --state-dir") from None
    return State(path, data.get("mode", ""), data.get("reason", ""),
                 data.get("compose_file", ""), list(data.get("profiles", [])),
                 dict(data.get("services", {})), dict(data.get("skipped", {})),
                 dict(data.get("sinks", {})))
