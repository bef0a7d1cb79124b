"""The incremental cache holds data, not pickles: a prepared real export round-trips
through JSON + Parquet exactly (frames, dtypes, None cells, shared sheet reports), and
an entry replaced by a pickle that would run code is a miss, never executed."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd

from hotpass.profiles import load_profile
from hotpass.refine import incremental
from hotpass.refine.cache_codec import decode, encode
from hotpass.refine.pipeline import prepare_source

DATA = Path(__file__).resolve().parents[2] / "data"


def test_a_prepared_export_round_trips_as_data():
    profile = load_profile("generic")
    for name in ("crm_export.xlsx", "association_members.csv"):
        prepared = prepare_source(DATA / name, DATA, profile)
        back = decode(encode(prepared))
        assert back.relative == prepared.relative and back.issues == prepared.issues
        assert back.sheets == prepared.sheets
        assert len(back.frames) == len(prepared.frames) > 0
        for mine, theirs in zip(back.frames, prepared.frames, strict=True):
            pd.testing.assert_frame_equal(mine.frame, theirs.frame)
            assert mine.report in back.sheets and any(mine.report is s for s in back.sheets)


class _Boom:
    def __reduce__(self):
        return (Path.write_text, (Path(_Boom.target), "ran"))


def test_a_pickle_planted_in_the_cache_is_never_run(tmp_path):
    output = tmp_path / "dist" / "refined.xlsx"
    folder = incremental.cache_dir(output)
    folder.mkdir(parents=True)
    _Boom.target = str(tmp_path / "ran.txt")
    (folder / f"abc{incremental.ENTRY_SUFFIX}").write_bytes(pickle.dumps(_Boom()))
    (folder / "abc.pickle").write_bytes(pickle.dumps(_Boom()))
    assert incremental.load(output, "abc") is None
    assert not (tmp_path / "ran.txt").exists()
    incremental.prune(output, {"abc"})
    assert not (folder / "abc.pickle").exists()
