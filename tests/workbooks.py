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

    cells = "".join(
        f'<row r="{re.sub("[A-Z]", "", ref)}"><c r={quote}{ref}{quote} t="inlineStr">'
        f"<is><t>x</t></is></c></row>" for ref in refs)
    return crafted_workbook(path, cells)


def crafted_workbook(path: Path, sheet_data: str, shared: list[str] | None = None) -> Path:
    """A hand-zipped one-sheet workbook: ``sheet_data`` is the XML inside ``<sheetData>``
    verbatim (any spelling a writer might use), ``shared`` the shared-string table."""
    import zipfile
    from xml.sax.saxutils import escape

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    strings_type = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/>'
    strings_rel = (f'<Relationship Id="rId2" Type="{rel}/sharedStrings" '
                   'Target="sharedStrings.xml"/>')
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet'
            f'+xml"/>{strings_type if shared is not None else ""}</Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/'
                        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet '
                            'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet1.xml"/>{strings_rel if shared is not None else ""}'
            "</Relationships>"),
        "xl/worksheets/sheet1.xml": (f'<worksheet xmlns="{main}"><sheetData>{sheet_data}'
                                     "</sheetData></worksheet>"),
    }
    if shared is not None:
        items = "".join(f"<si><t>{escape(text)}</t></si>" for text in shared)
        parts["xl/sharedStrings.xml"] = (f'<sst xmlns="{main}" count="{len(shared)}" '
                                         f'uniqueCount="{len(shared)}">{items}</sst>')
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return path
