"""Data passed between the refine steps.

Contract: steps exchange these plain dataclasses, never Prefect or Invoke objects, so a
flow (orchestration) or a benchmark can call each step on its own; ``RefineOptions`` is
a frozen pydantic model, as it crosses into the Prefect flow as one JSON parameter. Frames carry three
provenance columns (``SOURCE_FILE``, ``SOURCE_SHEET``, ``SOURCE_ROW``; rows are 1-based as
a spreadsheet user counts them) from ingest to the merge.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import pandas as pd

SOURCE_FILE = "__source_file"
SOURCE_SHEET = "__source_sheet"
SOURCE_ROW = "__source_row"
EXTRA_EMAILS = "__extra_emails"
EXTRA_PHONES = "__extra_phones"
EXTRA_NAMES = "__extra_names"  # further people of a multi-person cell, "Name (Role); ..."
NAME_KEY = "__name_key"  # the normalised name resolution computed, reused by the merge
LINK_KEY = "__key:"  # + header: an id column that lost its field but may link sheets
PROVENANCE_COLUMNS = (SOURCE_FILE, SOURCE_SHEET, SOURCE_ROW)


@dataclass(frozen=True)
class Issue:
    severity: str
    rule: str
    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    field: str = ""
    value: str = ""

    def where(self) -> str:
        parts = [self.file or "", f"sheet {self.sheet}" if self.sheet else "",
                 f"row {self.row}" if self.row is not None else ""]
        return ", ".join(p for p in parts if p)

    def one_line(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SheetReport:
    """What happened to one sheet (or CSV/Parquet file) of the input."""

    file: str
    sheet: str
    status: str  # "used" | "reference" (a pick list or code table) | "skipped" | "failed"
    reason: str = ""
    header_row: int | None = None
    rows_in: int = 0
    rows_out: int = 0  # output records this sheet contributed to
    mapped_columns: dict[str, str] = field(default_factory=dict)
    unmapped_columns: list[str] = field(default_factory=list)
    template_rows: int = 0  # rows of ids/sequence numbers only, dropped before mapping
    header_repeats: int = 0  # rows repeating the header row, dropped before mapping
    columns: list[dict[str, Any]] = field(default_factory=list)  # per-column typing evidence
    links: list[dict[str, Any]] = field(default_factory=list)  # this sheet as a linked child


@dataclass
class SourceFrame:
    """One usable sheet after ingest and column mapping: canonical columns + provenance."""

    file: str
    sheet: str
    frame: pd.DataFrame
    report: SheetReport


@dataclass
class PreparedSource:
    """One input file after ingest, mapping, joins and normalisation (the per-file unit)."""

    path: Path
    relative: str
    frames: list[SourceFrame]
    sheets: list[SheetReport]
    issues: list[Issue]
    # CPU seconds per ingest step (read, typing, link, normalise): hotpass.refine.stages
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Consolidated:
    """What ``consolidate.consolidate`` hands the output: the records and how they came to be."""

    refined: object
    provenance: object
    issues: list[Issue]
    rows_in: int
    duplicates_merged: int
    dedupe: dict | None = None  # learned model and the merges nearest the threshold


class RefineOptions(BaseModel):
    """One run's options, built once at the front door (``refine_options``) and handed
    on as they are: to the Prefect flow as one JSON-able parameter, to ``run``. Field
    names are the flags' (``--profile`` is ``profile``)."""

    model_config = ConfigDict(frozen=True)

    input_dir: Path
    output_path: Path
    profile: str
    profile_search_path: tuple[Path, ...] = ()  # flags, then HOTPASS_PROFILE_SEARCH_PATH
    archive: bool = False
    since: datetime.date | None = None
    strict: bool = False
    wait: bool = False  # wait for another run's lock instead of failing at once
    partial: bool = False  # --since may replace a published full set with its subset


@dataclass
class RefineResult:
    options: RefineOptions
    refined: pd.DataFrame
    provenance: pd.DataFrame
    issues: list[Issue]
    sheets: list[SheetReport]
    inputs: list[Path]
    rows_in: int
    duplicates_merged: int
    outputs: dict[str, Path] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)  # output kind -> s3:// URI
    report: dict[str, Any] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_peak_mb: dict[str, float] = field(default_factory=dict)  # hotpass.refine.stages
