"""Messy sample workbooks with ground truth, for demos, tests and the benchmark.

Contract: ``generate_workbooks(out_dir, rows=N, seed=S)`` writes xlsx files and one CSV whose
data rows total exactly ``N`` and returns a ``GeneratedSet`` whose ``truth`` holds, for every
data row written, ``(file, sheet, row, entity_id)``: file relative to ``out_dir``, sheet ""
for the CSV, row 1-based as a spreadsheet shows it. Rows sharing an entity id describe one
organisation. The same arguments give byte-identical files. The mess is what operators
send: titles above headers, synonym headers, padding rows, a layout-only sheet, an
Organisations + Contacts pair joined on "Org ID", float/NBSP/multi phones, junk e-mails,
mixed dates, province aliases (see ``data/README.md``).

Pitfalls: xlsxwriter's ``constant_memory`` mode needs rows written top to bottom, so every
sheet's rows are built first and written once. Strings must stay strings: URL and number
auto-conversion are off. ``near_duplicate_rate`` measures how separable the names are.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hotpass.bench.samples.exports import Sheet, expected_field
from hotpass.bench.samples.maker import Maker
from hotpass.bench.samples.words import INSTRUCTIONS
from hotpass.errors import InputError

CREATED = dt.datetime(2024, 7, 1, 9, 0, 0)  # fixed workbook property => identical bytes
TruthRow = tuple[str, str, int, int]

__all__ = ["GeneratedSet", "generate_workbooks", "near_duplicate_rate", "normalise_name",
           "planned_files"]


@dataclass
class GeneratedSet:
    """The files written and, per data row, which organisation (entity id) it describes."""

    out_dir: Path
    files: list[Path]
    truth: list[TruthRow]
    names: list[str]  # clean name of entity id i at index i - 1
    columns: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    # (file, sheet, header, field it must map to or None) for every column written
    people: list[tuple[int, str]] = field(default_factory=list)  # (entity id, person named)
    domains: list[str] = field(default_factory=list)  # company domain of entity id i at i - 1

    @property
    def entities(self) -> int:
        return len(self.names)

    def write_truth(self, path: Path) -> Path:
        """CSV with columns file, sheet, row, entity_id (one line per data row)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["file", "sheet", "row", "entity_id"])
            writer.writerows(self.truth)
        return path


def check_arguments(*, rows: int, files: int, duplicate_share: float = 0.3) -> None:
    """Raise ``InputError`` naming the first nonsense argument."""
    if rows < 1:
        raise InputError(f"--rows {rows}: need at least 1 data row")
    if files < 1:
        raise InputError(f"--files {files}: need at least 1 file")
    if not 0 <= duplicate_share <= 1:
        raise InputError(f"duplicate_share {duplicate_share}: must be within 0..1")


def generate_workbooks(out_dir: Path, *, rows: int, seed: int = 7, files: int = 3,
                       profile: str = "generic", duplicate_share: float = 0.3,
                       hard: bool = False, exports: bool = False) -> GeneratedSet:
    """Write ``files`` messy sources into ``out_dir`` (the last a CSV when files >= 2).

    files=1: the register workbook; 2: register + CSV; 3: register, CRM export
    (Organisations + Contacts), CSV; each further file adds a regional workbook with two
    data sheets. ``duplicate_share`` of organisations appear in 2-3 different sheets.
    ``hard=True`` adds the corruption of ``hotpass.bench.samples.hard`` (typos anywhere, swapped
    and abbreviated words, missing names, shared switchboards, near-identical twins).
    ``exports=True`` adds the real-export shapes of ``hotpass.bench.samples.exports`` (a CRM
    tracker with id-linked sheets and template rows, a call log linked across files, an
    all-caps register).
    """
    check_arguments(rows=rows, files=files, duplicate_share=duplicate_share)
    rng = random.Random(seed)
    maker = Maker(rng, profile, hard=hard)  # a bad profile fails here, before any write
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = maker.layout(files, exports)
    maker.fill(layout, rows, duplicate_share)
    written: list[Path] = []
    truth: list[TruthRow] = []
    for file_name, sheets in layout.items():
        path = out_dir / file_name
        if file_name.endswith(".csv"):
            truth += _write_csv(path, sheets[0])
        else:
            truth += _write_xlsx(path, sheets, random.Random(rng.random()))
        written.append(path)
    columns = [(s.file, s.name, header, expected_field(f)) for group in layout.values()
               for s in group for header, f in zip(s.headers, s.fields, strict=True)]
    return GeneratedSet(out_dir, written, truth, maker.names, columns, maker.people,
                        maker.domains)


def planned_files(*, files: int = 3, profile: str = "generic",
                  exports: bool = False) -> list[str]:
    """File names ``generate_workbooks`` would write for these arguments (for dry runs)."""
    return list(Maker(random.Random(0), profile).layout(files, exports))


def normalise_name(name: str) -> str:
    """Casefold, '&' -> 'and', NBSP and runs of spaces -> one space."""
    return " ".join(name.replace("\u00a0", " ").casefold().replace("&", " and ").split())


def near_duplicate_rate(names: Sequence[str], *, threshold: float = 90.0, sample: int = 2000,
                        seed: int = 0) -> float:
    """Share of sampled names whose normalised form is within ``threshold`` (rapidfuzz
    ratio) of another name in ``names``. Pass distinct organisations' clean names
    (``GeneratedSet.names``): anything above zero is a pair no dedupe could separate."""
    import numpy as np
    from rapidfuzz import fuzz, process

    normal = [normalise_name(n) for n in names]
    if len(normal) < 2:
        return 0.0
    picks = random.Random(seed).sample(range(len(normal)), min(sample, len(normal)))
    close = 0
    for start in range(0, len(picks), 250):  # bounded memory: 250 x len(names) bytes
        chunk = picks[start:start + 250]
        scores = process.cdist([normal[i] for i in chunk], normal, scorer=fuzz.ratio,
                               score_cutoff=threshold, dtype=np.uint8, workers=-1)
        scores[np.arange(len(chunk)), chunk] = 0  # a name always matches itself
        close += int((scores.max(axis=1) > 0).sum())
    return close / len(picks)


def _write_xlsx(path: Path, sheets: list[Sheet], rng: random.Random) -> list[TruthRow]:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_urls": False, "strings_to_numbers": False,
        "strings_to_formulas": False, "default_date_format": "dd/mm/yyyy"})
    workbook.set_properties({"created": CREATED, "author": "hotpass.samples"})
    bold = workbook.add_format({"bold": True})
    title_format = workbook.add_format({"bold": True, "font_size": 14})
    truth: list[TruthRow] = []
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.name)
        if sheet.kind == "notes":  # layout only: one paragraph, no table
            ws.set_column(0, 0, 120)
            ws.write_string(0, 0, INSTRUCTIONS)
            continue
        ws.set_column(0, len(sheet.headers) - 1, 22)
        row = 0
        for line in sheet.preamble:
            if row == 0 and sheet.kind == "register":  # merged title across the table
                ws.merge_range(0, 0, 0, len(sheet.headers) - 1, line, title_format)
            elif line:
                ws.write_string(row, 0, line)
            row += 1
        ws.write_row(row, 0, sheet.headers, bold)
        row += 1
        block = rng.randrange(25, 90)
        for count, (eid, values) in enumerate(sheet.rows, start=1):
            ws.write_row(row, 0, values)
            truth.append((sheet.file, sheet.name, row + 1, eid))
            row += 1
            if sheet.kind == "register" and count % block == 0:
                row += rng.choice((1, 1, 2))  # blank padding rows between blocks
        for values in sheet.template:
            ws.write_row(row, 0, values)
            row += 1
    workbook.close()
    return truth


def _write_csv(path: Path, sheet: Sheet) -> list[TruthRow]:
    truth: list[TruthRow] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(sheet.headers)
        for row, (eid, values) in enumerate(sheet.rows, start=2):
            writer.writerow(["" if v is None else v for v in values])
            truth.append((sheet.file, "", row, eid))
    return truth
