"""Handing a file's read result over from the process that read it: pickled, with the
frames' text columns as Arrow strings.

Contract: ``dumps(obj)`` is ``pickle.dumps(obj, protocol=5)`` except that each pandas
DataFrame inside is pickled column by column, and an ``object`` column of text and nulls
whose cells are mostly distinct objects goes as one Arrow string array. ``pickle.loads``
gives frames equal in values, dtypes, column order and index (such a column's texts are
new objects, one a cell, as plain unpickling makes them too). Everything else, and the
sharing between objects outside the frames (a sheet's report in ``sheets`` and in its
frame), is pickled as ``pickle`` does it.

Pitfalls: pickling an object column memoises every string: memo and output buffer at
once took the supplier register's read child from 241 to 286 MB (maxrss) at 200,000
rows, in the middle of ingest's peak; with Arrow columns 265 MB, the pickling and
unpickling no slower. A column whose cells share few objects (the source file and sheet
columns: one object per value, on purpose) keeps plain pickling, which keeps that
sharing. Rebuilt columns are made ``object`` explicitly: pandas would infer its ``str``
dtype from an array of strings.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from typing import Any


def dumps(obj: Any) -> bytes:
    import pandas as pd

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[pd.DataFrame] = _reduce_frame
    pickler.dump(obj)
    return buffer.getvalue()


def _reduce_frame(frame) -> tuple:
    if frame.columns.has_duplicates or frame.attrs:
        return frame.__reduce__()
    return _frame, (frame.columns, frame.index, [_part(frame[name]) for name in frame.columns])


def _part(column) -> Any:
    """The column itself, or its cells as an Arrow string array (module docstring)."""
    import pyarrow as pa

    if column.dtype != object:
        return column
    cells = column.to_numpy()
    if len(set(map(id, cells))) * 2 < len(cells):
        return column
    try:
        return pa.array(cells, type=pa.string(), from_pandas=False)
    except (pa.ArrowException, TypeError, ValueError):  # not all text and nulls
        return column


def _frame(columns, index, parts: list) -> Any:
    import pandas as pd
    import pyarrow as pa

    data = {}
    for name, part in zip(columns, parts, strict=True):
        if isinstance(part, pa.Array):
            part = pd.Series(part.to_numpy(zero_copy_only=False), index=index, dtype=object,
                             copy=False)
        data[name] = part
    return pd.DataFrame(data, index=index, columns=columns, copy=False)
