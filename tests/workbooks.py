"""Small hand-made input files for tests: each builder writes one real file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]


def refine_cli(input_dir: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """``hotpass refine --json`` in a subprocess, as a user runs it; any Python warning in
    it is an error (a warning must never reach a user's terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(input_dir),
         "--output-path", str(out), "--json", *extra],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "error"})


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


def crafted_far_cells(path: Path, refs: tuple[str, ...] = ("A1", "XFD1048576"),
                      quote: str = '"') -> Path:
    """A hand-zipped 1.5 KB workbook whose one sheet holds a cell at each of ``refs``:
    the reader would fill the whole rectangle between them (A1..XFD1048576: 512 GiB)."""
    import re
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    cells = "".join(
        f'<row r="{re.sub("[A-Z]", "", ref)}"><c r={quote}{ref}{quote} t="inlineStr">'
        f"<is><t>x</t></is></c></row>" for ref in refs)
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
            'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-office'
            'document.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/'
                        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet '
                            'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (f'<worksheet xmlns="{main}"><sheetData>{cells}'
                                     "</sheetData></worksheet>"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return path
