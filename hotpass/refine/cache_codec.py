"""The prepared-results cache's entry format: data, never code.

Contract: ``encode(prepared) -> bytes`` is a zip holding ``meta.json`` (the file's path
and label, its sheet reports, issues and timings, and per frame its sheet, report (by
position in the sheet reports when shared, as the pipeline shares them), column order
and dtypes) and one ``frame-<n>.parquet`` per frame (index kept).
``decode(bytes) -> PreparedSource`` rebuilds it: text columns come back as ``object``
columns holding ``str`` or ``None``, as the pipeline made them. Reading an entry runs no
code from it (unlike pickle, which a writable output folder would turn into code
execution). ``encode`` raises ``ValueError`` for a value neither JSON nor Parquet can
hold; the caller then does not cache that input.

Pitfalls: a column's dtype is restored from its recorded name; ``object`` columns are
rebuilt value by value (Parquet reads text back as pandas' string dtype, with NaN for
missing).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path

from hotpass.refine.model import Issue, PreparedSource, SheetReport, SourceFrame


def encode(prepared: PreparedSource) -> bytes:
    meta = {"path": str(prepared.path), "relative": prepared.relative,
            "sheets": [asdict(s) for s in prepared.sheets],
            "issues": [asdict(i) for i in prepared.issues],
            "stage_seconds": prepared.stage_seconds, "frames": []}
    buffer = io.BytesIO()
    try:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for number, source in enumerate(prepared.frames):
                frame = source.frame
                shared = [i for i, s in enumerate(prepared.sheets) if s is source.report]
                meta["frames"].append({
                    "file": source.file, "sheet": source.sheet,
                    "report": shared[0] if shared else asdict(source.report),
                    "columns": [str(c) for c in frame.columns],
                    "dtypes": [str(t) for t in frame.dtypes]})
                parquet = io.BytesIO()
                frame.rename(columns=str).to_parquet(parquet, index=True)
                archive.writestr(f"frame-{number}.parquet", parquet.getvalue())
            archive.writestr("meta.json", json.dumps(meta))
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"not cacheable as data: {exc}") from exc
    except Exception as exc:  # pyarrow's own conversion errors
        raise ValueError(f"not cacheable as data: {type(exc).__name__}: {exc}") from exc
    return buffer.getvalue()


def decode(data: bytes) -> PreparedSource:
    import pandas as pd

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        meta = json.loads(archive.read("meta.json"))
        sheets = [SheetReport(**s) for s in meta["sheets"]]
        frames = []
        for number, entry in enumerate(meta["frames"]):
            frame = pd.read_parquet(io.BytesIO(archive.read(f"frame-{number}.parquet")))
            for column, dtype in zip(entry["columns"], entry["dtypes"], strict=True):
                if dtype == "object":
                    values = frame[column].astype(object)
                    frame[column] = values.where(values.notna(), None).astype(object)
                elif str(frame[column].dtype) != dtype:
                    frame[column] = frame[column].astype(dtype)
            report = entry["report"]  # the sheet report it shares, by position
            frames.append(SourceFrame(file=entry["file"], sheet=entry["sheet"], frame=frame,
                                      report=sheets[report] if isinstance(report, int)
                                      else SheetReport(**report)))
    return PreparedSource(path=Path(meta["path"]), relative=meta["relative"], frames=frames,
                          sheets=sheets,
                          issues=[Issue(**i) for i in meta["issues"]],
                          stage_seconds=meta["stage_seconds"])
