"""Small hand-made input files for tests: each builder writes one real file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]


def refine_cli(input_dir: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """``hotpass refine --json`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(input_dir),
         "--output-path", str(out), "--json", *extra],
        capture_output=True, text=True, cwd=ROOT, timeout=300)


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], title: str | None = None,
               start_row: int = 0) -> Path:
    """Write ``sheets`` (name -> rows); ``title`` puts a merged title cell above the table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_urls": False,
                                               "strings_to_numbers": False})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        offset = start_row
        if title:
            width = max((len(r) for r in rows), default=1)
            sheet.merge_range(0, 0, 0, max(width - 1, 1), title)
            offset = max(start_row, 2)
        for index, row in enumerate(rows):
            sheet.write_row(offset + index, 0, row)
    workbook.close()
    return path


def good_rows() -> list[list[object]]:
    return [
        ["Company Name", "E-mail", "Tel", "Website", "Province"],
        ["Acme Flight (Pty) Ltd", "info@acme.co.za", 27821234567.0, "www.acme.co.za", "GP"],
        ["Blue Sky Charter", "ops@bluesky.co.za", "011 555 1234", "bluesky.co.za", "KZN"],
    ]


def encrypt_workbook(plain: Path, target: Path, password: str = "secret") -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with plain.open("rb") as source, target.open("wb") as out:
        OOXMLFile(source).encrypt(password, out)
    return target
