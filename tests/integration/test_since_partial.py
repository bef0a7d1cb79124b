"""``refine --since`` into a folder with a published set never replaces the full set with
the few recently changed files (the issue: 5,695 -> 1,135 records, exit 0): it refuses
with one line, and ``--partial`` publishes the subset on purpose."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


NAMES = ["Acacia Logistics", "Baobab Mining", "Cobalt Aviation", "Dune Charter",
         "Egret Freight", "Fynbos Foods", "Granite Works", "Hadeda Air", "Impala Motors",
         "Jacaranda Media", "Kudu Engineering", "Lapa Hotels", "Marula Farms",
         "Nguni Textiles", "Oryx Security"]


def _refine(inputs: Path, dist: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hotpass", "refine", "--input-dir",
                           str(inputs), "--output-path", str(dist / "refined.xlsx"), "--json",
                           *extra], capture_output=True, text=True, timeout=300)


def _records(dist: Path) -> int:
    return len((dist / "current" / "refined.csv").read_text().splitlines()) - 1


def test_since_refuses_to_replace_a_full_set_without_partial(tmp_path):
    inputs, dist = tmp_path / "in", tmp_path / "dist"
    inputs.mkdir()
    old = dt.datetime(2024, 1, 1).timestamp()
    names = iter(NAMES)
    for number in range(3):
        path = inputs / f"export-{number}.csv"
        rows = [next(names) for _ in range(5)]
        path.write_text("Company Name,E-mail\n" + "".join(
            f"{name},info@{name.split()[0].lower()}.co.za\n" for name in rows))
        if number:
            os.utime(path, (old, old))
    full = _refine(inputs, dist)
    assert full.returncode == 0, full.stderr
    assert _records(dist) == 15
    today = dt.date.today().isoformat()
    refused = _refine(inputs, dist, "--since", today)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines() == [
        f"hotpass: error: --since {today}: would replace the set published at "
        f"{dist / 'refined.xlsx'} with one built from only the 1 input(s) changed since then; "
        "pass --partial to publish just those, or use `hotpass orchestrate --incremental "
        "--since` to refresh them within the full set"]
    assert _records(dist) == 15  # the full set stays published
    partial = _refine(inputs, dist, "--since", today, "--partial")
    assert partial.returncode == 0, partial.stderr
    assert json.loads(partial.stdout)["totals"]["files"] == 1
    assert _records(dist) == 5
