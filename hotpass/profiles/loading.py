"""Finding, reading, inheriting and validating profile files.

Contract: ``load_profile(name, search_paths)`` returns a validated ``Profile`` or raises
``ProfileError`` naming the file and the key path that is wrong (``fields.email.kind:
Input should be ...``). ``extends: generic`` makes a profile inherit everything of its
parent: mappings merge key by key, synonym (and suffix, domain, join, pin, forbid) lists
are added to, and any other value the child sets replaces the parent's.

Pitfalls: profile names are file stems (``aviation`` -> ``aviation.yaml``): letters,
digits, ``-`` and ``_``; a path is refused (folders go in the search paths). Search paths
are tried in order, then the project's bundled ``profiles/`` folder; one that does not
exist is an error, not silently skipped; a parent is looked up on the same search path as
its child.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hotpass.errors import ProfileError
from hotpass.paths import PROFILE_DIR as BUNDLED_PROFILE_DIR
from hotpass.profiles.model import Profile

REQUIRED_FIELDS = ("organization_name",)
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def profile_paths(search_paths: list[Path] | tuple[Path, ...] = ()) -> list[Path]:
    return [Path(p) for p in search_paths] + [BUNDLED_PROFILE_DIR]


def available_profiles(search_paths: list[Path] | tuple[Path, ...] = ()) -> list[str]:
    names: set[str] = set()
    for folder in profile_paths(search_paths):
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.yaml"))
    return sorted(names)


def load_profile(name: str, search_paths: list[Path] | tuple[Path, ...] = ()) -> Profile:
    if not _PROFILE_NAME.fullmatch(name or ""):
        raise ProfileError(
            f"--profile {name}: a profile is a name such as 'aviation', not a path; put "
            f"the folder holding {Path(name or '?').stem}.yaml in --profile-search-path")
    for folder in search_paths:
        if not Path(folder).is_dir():
            raise ProfileError(f"--profile-search-path {folder}: no such folder (also "
                               "checked: HOTPASS_PROFILE_SEARCH_PATH)")
    path = _find_profile(name, search_paths)
    raw = _resolved(path, search_paths, ())
    return _validated(path, raw)


def _find_profile(name: str, search_paths: list[Path] | tuple[Path, ...]) -> Path:
    for folder in profile_paths(search_paths):
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    known = ", ".join(available_profiles(search_paths)) or "none"
    raise ProfileError(f"--profile {name}: no such profile (available: {known})")


def profile_file(name: str, search_paths: list[Path] | tuple[Path, ...] = ()) -> Path:
    """The YAML file ``load_profile`` reads for ``name`` (relative table paths start here)."""
    load_profile(name, search_paths)
    return _find_profile(name, search_paths)


def _read_raw(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}".splitlines()[0]) from exc
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: a profile is a YAML mapping, got {type(raw).__name__}")
    return raw


def _resolved(path: Path, search_paths: list[Path] | tuple[Path, ...],
              seen: tuple[str, ...]) -> dict[str, Any]:
    """The profile's raw mapping with its ``extends`` chain merged in (parent first)."""
    raw = _read_raw(path)
    parent_name = raw.get("extends")
    if parent_name is None:
        return raw
    if not isinstance(parent_name, str) or parent_name in (*seen, path.stem):
        raise ProfileError(f"{path}: extends: '{parent_name}' is not a profile this one may "
                           "extend (missing or circular)")
    try:
        parent_path = _find_profile(parent_name, search_paths)
    except ProfileError as exc:
        raise ProfileError(f"{path}: extends: {exc.message}") from exc
    parent = _resolved(parent_path, search_paths, (*seen, path.stem))
    return merge_profiles(parent, raw)


# Lists a child profile adds to (parent entries first, duplicates dropped); every other
# list (allowed_values, source_priority) and every scalar in the child replaces the parent's.
ADDITIVE_LISTS = ("synonyms", "legal_suffixes", "shared_domains", "joins", "pin", "forbid")


def merge_profiles(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        base = parent.get(key)
        if isinstance(value, dict) and isinstance(base, dict):
            merged[key] = merge_profiles(base, value)
        elif key in ADDITIVE_LISTS and isinstance(value, list) and isinstance(base, list):
            merged[key] = base + [v for v in value if v not in base]
        else:
            merged[key] = value
    return merged


def _validated(path: Path, raw: dict[str, Any]) -> Profile:
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ProfileError(f"{path}: {where}: {first['msg']}") from exc
    _check_references(path, profile)
    return profile


def _check_references(path: Path, profile: Profile) -> None:
    for required in REQUIRED_FIELDS:
        if required not in profile.fields:
            raise ProfileError(f"{path}: fields.{required}: this field is required")
    for index, join in enumerate(profile.joins):
        if join.key not in profile.fields:
            raise ProfileError(
                f"{path}: joins.{index}.key: '{join.key}' is not one of the profile's fields"
            )
    unknown = [f for f in [*profile.quality.fill_rates,
                           *(f for t in profile.enrichment.reference_tables for f in t.fields)]
               if f not in profile.fields]
    if unknown:
        raise ProfileError(f"{path}: quality/enrichment name '{unknown[0]}', which is not one "
                           "of the profile's fields")
    person_parts = ("__first_name", "__last_name")
    for kind in ("pin", "forbid"):
        for index, rule in enumerate(getattr(profile.mapping, kind)):
            allowed = (*profile.fields, *person_parts, *(("ignore",) if kind == "pin" else ()))
            if rule.field not in allowed:
                raise ProfileError(
                    f"{path}: mapping.{kind}.{index}.field: '{rule.field}' is not one of the "
                    f"profile's fields{' (or ignore)' if kind == 'pin' else ''}")
