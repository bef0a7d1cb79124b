"""The profile's schema: every key a profile may hold, as frozen pydantic models.

Contract: ``Profile`` (and the specs it holds: ``FieldSpec``, ``MappingSpec``,
``DedupeSpec``, ``ValidationSpec``...) rejects unknown keys, so no setting is silently
ignored; ``RULES`` is every validation rule with its default severity.

Pitfalls: models are frozen; a new key needs a field here and a reader in the refine
steps, or the key is accepted and does nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    """Entity resolution: ``levels`` sets the Jaro-Winkler cut-offs (0-100) of the graded
    fields (name: [close, fair], address: [near, close, fair]); ``max_block`` skips blocking
    values more rows share; ``cohesion`` is the share of cross pairs that must match to
    join two clusters."""

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
        wanted = {"name": 2, "address": 3}
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
