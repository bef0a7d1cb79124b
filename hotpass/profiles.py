"""Industry profiles: the canonical schema, column synonyms, rules and merge policy.

Contract: ``load_profile(name, search_paths)`` returns a validated ``Profile`` or raises
``ProfileError`` naming the file and the key path that is wrong (``fields.email.kind:
Input should be ...``). Every key a profile may hold is read by the refine steps; unknown
keys are rejected so no setting is silently ignored.

``extends: generic`` makes a profile inherit everything of its parent: mappings merge key
by key, synonym (and suffix, domain, join, pin, forbid) lists are added to, and any other
value the child sets replaces the parent's.

Pitfalls: profile names are file stems (``aviation`` -> ``aviation.yaml``): letters,
digits, ``-`` and ``_``; a path is refused (folders go in the search paths). Search paths
are tried in order, then the project's bundled ``profiles/`` folder; one that does not
exist is an error, not silently skipped; a parent is looked up on the same search path as
its child.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotpass.errors import ProfileError
from hotpass.paths import PROFILE_DIR as BUNDLED_PROFILE_DIR

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


class MappingRule(_Strict):
    """``header``: a regex matched case-insensitively against the whole header text."""

    header: str
    field: str

    @field_validator("header")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class MappingSpec(_Strict):
    fuzzy_threshold: float = Field(ge=50, le=100)
    header_scan_rows: int = Field(ge=1, le=500)
    pin: list[MappingRule] = Field(default_factory=list)  # header -> field (or "ignore")
    forbid: list[MappingRule] = Field(default_factory=list)  # never map header -> field


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


class ReviewSpec(_Strict):
    """Reviewers' merge decisions: ``decisions`` names the review file (``.csv`` or
    ``.yaml``), relative to the output folder; ``hotpass refine`` honours it."""

    decisions: str | None = "review-decisions.csv"


class ValidationSpec(_Strict):
    severity: dict[str, Severity]

    @field_validator("severity")
    @classmethod
    def _known_rules(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        unknown = sorted(set(value) - set(RULES))
        if unknown:
            raise ValueError(f"unknown rule(s) {unknown}; known rules: {sorted(RULES)}")
        return value


class ReferenceTable(_Strict):
    """A local table (CSV or Parquet) enrichment fills fields from: ``path`` relative to
    the profile's folder; rows matched by registration id, website domain or name key."""

    path: str
    label: str
    name_column: str
    registration_column: str | None = None
    website_column: str | None = None
    fields: dict[str, str]  # profile field -> the table's column
    confidence: float = Field(default=0.85, ge=0, le=1)


class ResearchSpec(_Strict):
    """Gated network research: SearXNG queries per minute and per-request timeout."""

    rate_per_minute: int = Field(default=30, ge=1, le=600)
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_results: int = Field(default=5, ge=1, le=50)


class EnrichmentSpec(_Strict):
    reference_tables: list[ReferenceTable] = Field(default_factory=list)
    research: ResearchSpec = Field(default_factory=ResearchSpec)


class QualitySpec(_Strict):
    """What ``hotpass qa data`` expects: minimum fill rate (0..1) per field."""

    fill_rates: dict[str, float] = Field(default_factory=dict)

    @field_validator("fill_rates")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"fill rates are shares 0..1, got {bad}")
        return value


class Profile(_Strict):
    name: str
    extends: str | None = None
    description: str
    locale: LocaleSpec
    fields: dict[str, FieldSpec]
    mapping: MappingSpec
    joins: list[SheetJoin] = Field(default_factory=list)
    dedupe: DedupeSpec
    review: ReviewSpec = Field(default_factory=ReviewSpec)
    region_aliases: dict[str, str] = Field(default_factory=dict)
    validation: ValidationSpec
    enrichment: EnrichmentSpec = Field(default_factory=EnrichmentSpec)
    quality: QualitySpec = Field(default_factory=QualitySpec)

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
    "join.conflict": "info",
    "required.missing": "error",
    "allowed.value": "warning",
    "email.invalid": "warning",
    "email.url": "warning",
    "phone.invalid": "warning",
    "website.invalid": "warning",
    "date.invalid": "warning",
    "contact.placeholder": "info",
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


def parse_profile_file(path: Path, search_paths: list[Path] | tuple[Path, ...] = ()) -> Profile:
    return _validated(path, _resolved(path, search_paths, ()))


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
