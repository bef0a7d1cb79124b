"""A CSV far past the row limit (20 MB: five million two-column rows, which the
whole-file reader turned into a ``MemoryError``) is a skipped bad file named with the
row where reading stopped, the other files are published, and the run's peak memory
(the child's RSS) stays under 1 GB."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.peak import run_with_peak
from tests.workbooks import good_rows, write_xlsx

pytestmark = pytest.mark.integration


def test_a_csv_past_the_row_limit_is_a_skipped_bad_file_in_bounded_memory(tmp_path):
    inputs = tmp_path / "in"
    write_xlsx(inputs / "good.xlsx", {"Clients": good_rows()})
    with (inputs / "rows.csv").open("w") as handle:
        handle.write("Organisation Name,Phone\n")
        handle.write("a,1\n" * 5_000_000)
    assert (inputs / "rows.csv").stat().st_size > 20_000_000
    result, peak_mib = run_with_peak([sys.executable, "-m", "hotpass", "refine", "--input-dir",
                                      str(inputs), "--output-path",
                                      str(tmp_path / "dist/refined.xlsx"), "--json"],
                                     timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    report = json.loads(Path(json.loads(result.stdout)["outputs"]["report_json"]).read_text())
    issues = [i for i in report["sample_issues"] if i["rule"] == "file.unreadable"]
    assert [i["file"] for i in issues] == ["rows.csv"], issues
    assert "row 1,048,577: more than 1,048,576 rows" in issues[0]["message"]
    assert report["totals"]["records_out"] == 2  # good.xlsx's two organisations are published
    assert 0 < peak_mib < 1024, f"peak memory {peak_mib:.0f} MiB"
