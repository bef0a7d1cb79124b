"""Crafted inputs are bad files, never a crash: the 1.5 KB workbook with cells at A1 and
XFD1048576 (the reader would allocate 512 GiB and abort the process) is skipped with one
issue, in process and in pool mode, and the run's peak memory stays under 1 GB."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.peak import run_with_peak
from tests.workbooks import crafted_far_cells, good_rows, write_xlsx

pytestmark = pytest.mark.integration

POOLED = ("import hotpass.refine.pipeline as p; p.PARALLEL_MIN_BYTES = 0; "
          "from hotpass.cli import main; main(prog_name='hotpass')")


def _run(inputs: Path, dist: Path, *extra: str, pooled: bool = False):
    """The refine's result and its peak memory in MiB (its workers' included)."""
    launcher = ["-c", POOLED] if pooled else ["-m", "hotpass"]
    return run_with_peak([sys.executable, *launcher, "refine", "--input-dir", str(inputs),
                          "--output-path", str(dist / "refined.xlsx"), "--json", *extra],
                         timeout=300)


@pytest.mark.parametrize(("refs", "quote", "pooled"), [
    (("A1", "XFD1048576"), '"', False),
    (("A1", "XFD1048576"), '"', True),
    (("A1", "AAA900000"), "'", False),  # single quotes, a three-letter column
    (("B2", "ZZ1048576"), '"', False),  # a two-letter column, a seven-digit row
])
def test_a_crafted_workbook_is_a_skipped_bad_file(tmp_path, refs, quote, pooled):
    inputs = tmp_path / "in"
    write_xlsx(inputs / "good.xlsx", {"Clients": good_rows()})
    crafted = crafted_far_cells(inputs / "crafted.xlsx", refs, quote)
    assert crafted.stat().st_size < 2000
    result, peak_mib = _run(inputs, tmp_path / "dist", pooled=pooled)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr
    report = json.loads(Path(json.loads(result.stdout)["outputs"]["report_json"]).read_text())
    issues = [i for i in report["sample_issues"] if i["rule"] == "file.unreadable"]
    assert [i["file"] for i in issues] == ["crafted.xlsx"], issues
    assert "a crafted or damaged workbook" in issues[0]["message"]
    assert 0 < peak_mib < 1024, f"peak memory {peak_mib:.0f} MiB"
    strict, _ = _run(inputs, tmp_path / "strict", "--strict")
    assert strict.returncode == 2 and "crafted.xlsx" in strict.stderr, strict.stderr
