"""Refine's outputs as Arrow columns: the formula guard over whole columns, the CSV and the
workbook's cells from one Arrow table, no Python object per value.

Contract: ``arrow_table(frame)`` is ``frame`` as an Arrow table when every column is text,
whole or real numbers (or empty); ``None`` otherwise (booleans, timestamps, text beside
numbers in one column...), and the caller takes the per-value path, which gives the same
cells. ``guard_table(table)`` applies ``xlsx_cells.guard`` to every text value;
``cut_table(table, limit)`` cuts text to the workbook's cell limit; ``write_csv_table``
writes the bytes ``export.write_csv`` (pandas, every text field quoted, nulls as ``""``)
writes for the same frame, or returns ``False`` when it cannot promise that (a number
column with gaps or fractions: pandas prints those its own way).

Pitfalls: the guard's decision runs in RE2 (pyarrow's regex engine) only on printable
ASCII text; RE2 and Python's ``re`` disagree on Unicode digits and spaces, on ``\\v`` and
on ``$`` before a final line break, so any other candidate goes through ``guard`` itself.
An infinite float is a ``TypeError``, as in both workbook writers.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from hotpass.refine.output.xlsx_cells import (
    ARITHMETIC,
    FORMULA_CHARS,
    PLAIN_NUMBER,
    guard,
)

# A value starting with a formula character is a candidate for the guard...
_CANDIDATE = "^[" + FORMULA_CHARS.replace("-", "\\-") + "]"
# ...decided by RE2 when both engines read it alike (printable ASCII, tab, CR, form feed).
_SAME_IN_RE2 = "^[\\t\\r\\f\\x20-\\x7e]*$"


def arrow_table(frame) -> pa.Table | None:
    """``frame`` (a pandas DataFrame) as text and number columns; ``None`` if it holds
    anything else."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return None
    if not all(_plain_type(field.type) for field in table.schema):
        return None
    names = [str(name) for name in frame.columns]
    return table if table.column_names == names else table.rename_columns(names)


def guard_table(table: pa.Table) -> pa.Table:
    """Every text value a spreadsheet would run as a formula gets the ``'`` prefix."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_floating(field.type) and pc.any(pc.is_inf(column)).as_py():
            raise TypeError(f"column {field.name!r}: an infinite number; "
                            "Excel cells cannot hold one")
        columns.append(guard_array(column) if _is_text(field.type) else column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def guard_array(array):
    """``xlsx_cells.guard`` over a text array (nulls stay null)."""
    candidates = pc.fill_null(pc.match_substring_regex(array, _CANDIDATE), False)
    if not pc.any(candidates).as_py():
        return array
    alike = pc.fill_null(pc.match_substring_regex(array, _SAME_IN_RE2), False)
    formula = pc.and_(candidates, pc.or_(pc.invert(pc.match_substring_regex(array, PLAIN_NUMBER)),
                                         pc.match_substring_regex(array, ARITHMETIC)))
    guarded = pc.if_else(pc.and_(formula, alike),
                         pc.binary_join_element_wise(pa.scalar("'", array.type), array,
                                                     pa.scalar("", array.type)), array)
    return _by_python(guarded, pc.and_(candidates, pc.invert(alike)), guard)


def cut_table(table: pa.Table, limit: int) -> pa.Table:
    """Text longer than ``limit`` characters cut there (Excel's cell limit)."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if _is_text(field.type):
            too_long = pc.fill_null(pc.greater(pc.utf8_length(column), limit), False)
            column = _by_python(column, too_long, lambda text: text[:limit])
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def write_csv_table(table: pa.Table, path: Path) -> bool:
    """The CSV of ``table`` (already guarded) as ``export.write_csv`` writes it, or
    ``False`` (nothing written) when a number column would print differently."""
    import pyarrow.csv as pa_csv

    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_null(field.type):
            column = pa.array([""] * len(column), pa.string())
        elif _is_text(field.type):
            column = pc.fill_null(column, "")
        elif not pa.types.is_integer(field.type) or column.null_count:
            return False
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=table.column_names)
    pa_csv.write_csv(table, str(path), pa_csv.WriteOptions(quoting_style="needed", eol="\n"))
    return True


def _by_python(array, where, change):
    """``array`` with ``change`` applied, in Python, to the values ``where`` marks."""
    if not pc.any(where).as_py():
        return array
    values = array.to_pylist()
    for position in pc.indices_nonzero(where).to_pylist():
        if values[position] is not None:
            values[position] = change(values[position])
    return pa.array(values, type=array.type)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _plain_type(kind: pa.DataType) -> bool:
    return (_is_text(kind) or pa.types.is_null(kind) or pa.types.is_integer(kind)
            or pa.types.is_floating(kind))
