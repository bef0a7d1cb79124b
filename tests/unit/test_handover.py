"""A file's read result handed over with its text columns as Arrow: unpickled, the frames
equal plain pickling's in values, dtypes, order and index, on the bundled exports and on
awkward columns; shared objects outside the frames stay shared, a column of one repeated
object keeps its sharing, and the text columns really went as Arrow."""

from __future__ import annotations

import pickle
import pickletools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotpass.profiles import load_profile
from hotpass.refine import handover
from hotpass.refine.pipeline import read_isolated

DATA = Path(__file__).resolve().parents[2] / "data"


def _assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert list(map(str, got.dtypes)) == list(map(str, want.dtypes))
    assert got.index.equals(want.index)
    for name in want.columns:
        assert [repr(v) for v in got[name]] == [repr(v) for v in want[name]], name


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.xlsx")) + [
    "association_members.csv"])
def test_a_bundled_export_reads_back_the_same(name):
    prepared = read_isolated(DATA / name, DATA, load_profile("generic"))
    assert prepared.frames
    plain = pickle.loads(pickle.dumps(prepared, protocol=5))
    handed = pickle.loads(handover.dumps(prepared))
    for got, want in zip(handed.frames, plain.frames, strict=True):
        _assert_same_frame(got.frame, want.frame)
        assert got.report is handed.sheets[[s.sheet for s in handed.sheets].index(got.sheet)]
    assert handed.issues == plain.issues and handed.stage_seconds == plain.stage_seconds


def test_awkward_columns_keep_their_values_and_dtypes():
    rows = 6
    shared = "crm.xlsx"
    frame = pd.DataFrame({
        "text": pd.Series([f"t{i}" for i in range(rows - 1)] + [None], dtype=object),
        "empty": pd.Series([None] * rows, dtype=object),
        "mixed": pd.Series(["a", 1, None, 2.5, "b", "c"], dtype=object),
        "nan": pd.Series(["x", np.nan, "y", "z", "w", "v"], dtype=object),
        "source": pd.Series([shared] * rows, dtype=object),
        "row": np.arange(rows, dtype=np.int64) + 2,
        "str": pd.Series(list("abcdef"), dtype="str"),
    }).iloc[1:]  # an index that is not 0..n
    got = pickle.loads(handover.dumps({"frame": frame}))["frame"]
    _assert_same_frame(got, frame)
    assert len({id(v) for v in got["source"]}) == 1  # one object per value, kept
    assert len({id(v) for v in got["text"] if v is not None}) == rows - 2


def test_text_columns_go_as_arrow_not_as_one_pickled_string_a_cell():
    cells = [f"organisation number {i}" for i in range(20_000)]
    frame = pd.DataFrame({"name": pd.Series(cells, dtype=object)})
    handed, plain = handover.dumps(frame), pickle.dumps(frame, protocol=5)
    assert _strings(plain) >= len(cells) > 100 > _strings(handed)
    assert pickle.loads(handed)["name"].tolist() == cells


def _strings(payload: bytes) -> int:
    """Strings pickled one by one (each also a memo entry while pickling)."""
    return sum(1 for op, _, _ in pickletools.genops(payload) if "UNICODE" in op.name)
