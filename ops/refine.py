"""Refine tasks: the main job as Invoke targets (``invoke refine``)."""

from __future__ import annotations

import shlex

from ops.adapter import run, task


@task(help={
    "input_dir": "Folder of workbooks to refine (default: the bundled sample data in data/).",
    "output_path": "Refined workbook to write (default dist/refined.xlsx).",
    "profile": "Industry profile name (generic, aviation); default HOTPASS_PROFILE or generic.",
    "since": "Only read files modified on or after this date (YYYY-MM-DD).",
    "partial": "With --since: publish only those files' outputs, even over a full set.",
    "archive": "Also write the zip bundle with manifest.json and SHA256SUMS.",
    "strict": "Fail (exit 2) on any error-severity issue, writing nothing.",
    "dry_run": "Print the command without running it.",
})
def refine(c, input_dir="data", output_path="dist/refined.xlsx", profile="", since="",
           partial=False, archive=False, strict=False, dry_run=False):
    """Run `hotpass refine` on a folder (bundled sample data by default)."""
    words = ["hotpass", "refine", "--input-dir", input_dir, "--output-path", output_path]
    words += ["--profile", profile] if profile else []
    words += ["--since", since] if since else []
    words += ["--partial"] if partial else []
    words += ["--archive"] if archive else []
    words += ["--strict"] if strict else []
    run(c, shlex.join(words), dry_run=dry_run)

