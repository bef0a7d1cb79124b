"""Industry profiles: the canonical schema, column synonyms, rules and merge policy.

Contract: ``load_profile(name, search_paths)`` returns a validated ``Profile`` or raises
``ProfileError`` naming the file and the key path that is wrong (``fields.email.kind:
Input should be ...``). Every key a profile may hold is read by the refine steps; unknown
keys are rejected so no setting is silently ignored.

Pitfalls: profile names are file stems (``aviation`` -> ``aviation.yaml``): letters,
digits, ``-`` and ``_``; a path is refused (folders go in the search paths). Search paths
are tried in order, then the project's bundled ``profiles/`` folder; one that does not
exist is an error, not silently skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotpass.errors import ProfileError

BUNDLED_PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"

FieldKind = Literal[
    "text", "name", "person", "email", "phone", "website", "region", "date", "identifier"
]
Severity = Literal["error", "warning", "info"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """One canonical column: how to recognise it and how to clean and check it."""

    kind: FieldKind
    label: str
    synonyms: list[str] = Field(default_factory=list)
    required: bool = False
    allowed_values: list[str] | None = None
    contact: bool = False


class LocaleSpec(_Strict):
    default_region: str = Field(min_length=2, max_length=2)
    day_first: bool = True


class MappingSpec(_Strict):
    fuzzy_threshold: float = Field(ge=50, le=100)
    header_scan_rows: int = Field(ge=1, le=500)


class SheetJoin(_Strict):
    """Rows of ``related_sheet`` take their organisation fields from ``primary_sheet``."""

    primary_sheet: str
    related_sheet: str
    key: str


class DedupeSpec(_Strict):
    """Entity resolution: ``levels`` sets the rapidfuzz cut-offs of the graded fields
    (name: [close, fair], address: [close]); ``max_block`` skips blocking values more rows
    share; ``cohesion`` is the share of cross pairs that must match to join two clusters."""

    match_probability: float = Field(default=0.99, gt=0.5, lt=1)
    levels: dict[Literal["name", "address"], list[float]] = Field(default_factory=dict)
    cohesion: float = Field(default=0.5, gt=0, le=1)
    max_block: int = Field(default=100, ge=2, le=5000)
    legal_suffixes: list[str]
    source_priority: list[str] = Field(default_factory=list)
    shared_domains: list[str] = Field(default_factory=list)

    @field_validator("levels")
    @classmethod
    def _level_cutoffs(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        wanted = {"name": 2, "address": 1}
        for field, cutoffs in value.items():
            if len(cutoffs) != wanted[field] or cutoffs != sorted(cutoffs, reverse=True) or \
                    not all(0 <= c <= 100 for c in cutoffs):
                raise ValueError(f"{field}: give {wanted[field]} rapidfuzz score(s) 0-100, "
                                 f"highest first (got {cutoffs})")
        return value


class ValidationSpec(_Strict):
    severity: dict[str, Severity]

    @field_validator("severity")
    @classmethod
    def _known_rules(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        unknown = sorted(set(value) - set(RULES))
        if unknown:
            raise ValueError(f"unknown rule(s) {unknown}; known rules: {sorted(RULES)}")
        return value


class Profile(_Strict):
    name: str
    description: str
    locale: LocaleSpec
    fields: dict[str, FieldSpec]
    mapping: MappingSpec
    joins: list[SheetJoin] = Field(default_factory=list)
    dedupe: DedupeSpec
    region_aliases: dict[str, str] = Field(default_factory=dict)
    validation: ValidationSpec

    def severity(self, rule: str) -> Severity:
        return self.validation.severity.get(rule, RULES[rule])

    def fields_of_kind(self, kind: str) -> list[str]:
        return [name for name, spec in self.fields.items() if spec.kind == kind]


# Rule -> default severity. Profiles may override any of them under validation.severity.
RULES: dict[str, Severity] = {
    "file.unreadable": "error",
    "sheet.no_header": "error",
    "sheet.skipped": "info",
    "column.unmapped": "info",
    "join.orphan": "warning",
    "required.missing": "error",
    "allowed.value": "warning",
    "email.invalid": "warning",
    "email.url": "warning",
    "phone.invalid": "warning",
    "website.invalid": "warning",
    "date.invalid": "warning",
    "region.unknown": "warning",
    "merge.conflict": "info",
}

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
    for folder in profile_paths(search_paths):
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return parse_profile_file(candidate)
    known = ", ".join(available_profiles(search_paths)) or "none"
    raise ProfileError(f"--profile {name}: no such profile (available: {known})")


def parse_profile_file(path: Path) -> Profile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}".splitlines()[0]) from exc
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: a profile is a YAML mapping, got {type(raw).__name__}")
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
