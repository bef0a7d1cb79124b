"""Deployment manifests: one YAML per deployment under ``prefect/``, checked by pydantic.

Contract: ``load_manifests(manifest_dir)`` returns ``{id: Manifest}``. An overlay folder
(``prefect/staging``, ``prefect/prod``: any folder whose parent also holds manifests)
merges each of its files over the parent's manifest with the same ``id`` (mappings merge
key by key, everything else is replaced), and only the overlay's ids are offered, so
an overlay lists exactly what it registers. ``select(manifests, ids)`` picks the asked
ones. ``check_flow(manifest)`` imports the flow, and checks every parameter against its
signature. Every error is a ``ManifestError`` naming the file and the key.

Pitfalls: this module never imports Prefect; ``check_flow`` does (it imports the flow).
YAML turns ``2024-01-01`` into a date: parameters are kept JSON-able by quoting them
back to ISO strings, so what the server stores equals what the manifest says.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotpass.errors import HotpassError
from hotpass.paths import MANIFEST_DIR as DEFAULT_MANIFEST_DIR


class ManifestError(HotpassError):
    """A manifest is missing, unreadable or invalid."""


class ScheduleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["cron", "interval", "rrule"]
    value: str | int | float
    timezone: str = "UTC"
    active: bool = True

    @field_validator("value")
    @classmethod
    def _value_fits_kind(cls, value: Any, info) -> Any:
        kind = info.data.get("kind")
        if kind == "interval" and (isinstance(value, str) or value <= 0):
            raise ValueError("an interval schedule's value is a number of seconds > 0")
        if kind in ("cron", "rrule") and not isinstance(value, str):
            raise ValueError(f"a {kind} schedule's value is a string")
        if kind == "cron" and len(str(value).split()) not in (5, 6):
            raise ValueError(f"'{value}' is not a cron expression (5 fields)")
        return value


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    flow: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    description: str = ""
    tags: list[str] = []
    work_pool: str = Field(min_length=1)
    work_queue: str | None = None
    parameters: dict[str, Any] = {}
    schedule: ScheduleSpec | None = None
    concurrency_limit: int | None = Field(default=None, ge=1)
    concurrency_key: str | None = Field(default=None, min_length=1)
    source: str = Field(default="", exclude=True)  # the file(s) it came from

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tags))

    @field_validator("parameters")
    @classmethod
    def _jsonable(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.date) else v
                for k, v in parameters.items()}

    @property
    def paused(self) -> bool:
        return self.schedule is not None and not self.schedule.active


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read ({exc.strerror})") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: a manifest is a mapping of keys (id, name, flow, ...)")
    if not isinstance(data.get("id"), str):
        raise ManifestError(f"{path}: key 'id': required (a short name like refinement)")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def _by_id(folder: Path) -> dict[str, tuple[dict[str, Any], str]]:
    found: dict[str, tuple[dict[str, Any], str]] = {}
    for path in _files(folder):
        data = _read(path)
        if data["id"] in found:
            raise ManifestError(f"{path}: key 'id': '{data['id']}' is also used by "
                                f"{found[data['id']][1]}")
        found[data["id"]] = (data, str(path))
    return found


def load_manifests(manifest_dir: Path | None = None) -> dict[str, Manifest]:
    folder = Path(manifest_dir or DEFAULT_MANIFEST_DIR)
    if not folder.is_dir():
        raise ManifestError(f"--manifest-dir {folder}: no such directory")
    raw = _by_id(folder)
    if not raw:
        raise ManifestError(f"--manifest-dir {folder}: no *.yaml manifests in it")
    base = _by_id(folder.parent) if _files(folder.parent) else {}
    manifests: dict[str, Manifest] = {}
    for ident, (data, source) in raw.items():
        if ident in base:
            data = _merge(base[ident][0], data)
            source = f"{source} (over {base[ident][1]})"
        manifests[ident] = validate(data, source)
    return manifests


def validate(data: dict[str, Any], source: str) -> Manifest:
    try:
        return Manifest.model_validate({**data, "source": source})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ManifestError(f"{source}: key '{key}': {first['msg']}{more}") from None


def select(manifests: dict[str, Manifest], ids: list[str] | tuple[str, ...]) -> list[Manifest]:
    if not ids:
        raise ManifestError("--flow: name at least one manifest id "
                            f"({', '.join(sorted(manifests))})")
    unknown = [i for i in ids if i not in manifests]
    if unknown:
        raise ManifestError(f"--flow {unknown[0]}: no such manifest; known: "
                            f"{', '.join(sorted(manifests))}")
    return [manifests[i] for i in dict.fromkeys(ids)]


def resolve_flow(manifest: Manifest) -> Any:
    module_name, _, attr = manifest.flow.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ManifestError(f"{manifest.source}: key 'flow': cannot import "
                            f"{manifest.flow} ({exc})") from None
    from prefect import Flow

    if not isinstance(target, Flow):
        raise ManifestError(f"{manifest.source}: key 'flow': {manifest.flow} is not a "
                            "Prefect flow")
    return target


def check_flow(manifest: Manifest) -> Any:
    """Import the flow and check the parameters against its signature; return the flow."""
    flow = resolve_flow(manifest)
    signature = inspect.signature(flow.fn)
    for name in manifest.parameters:
        if name not in signature.parameters:
            raise ManifestError(f"{manifest.source}: key 'parameters.{name}': not a "
                                f"parameter of {manifest.flow} "
                                f"({', '.join(signature.parameters)})")
    try:
        flow.validate_parameters(dict(manifest.parameters))
    except Exception as exc:  # prefect.exceptions.ParameterTypeError and friends
        detail = str(exc).strip().splitlines()
        raise ManifestError(f"{manifest.source}: key 'parameters': "
                            f"{detail[-1] if detail else exc}") from None
    return flow


def flow_entrypoint(flow: Any, source_root: Path) -> str:
    """``path/to/file.py:function`` relative to ``source_root`` (what a worker loads)."""
    path = Path(inspect.getsourcefile(flow.fn) or "").resolve()
    try:
        relative = path.relative_to(source_root.resolve()).as_posix()
    except ValueError:
        raise ManifestError(f"flow {flow.name}: {path} is outside the source folder "
                            f"{source_root}") from None
    return f"{relative}:{flow.fn.__name__}"
