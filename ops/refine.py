"""Refine tasks: the main job as Invoke targets (``invoke refine``).

Thin wrapper, as every task: the options go to ``hotpass.refine.run`` (the same library
call ``hotpass refine`` makes) over the settings the task adapter loaded, so
``HOTPASS_INPUT_DIR``, ``HOTPASS_OUTPUT_PATH`` and ``HOTPASS_PROFILE`` apply when a flag
is not given. Under ``--dry-run`` (or Invoke's ``--dry``) it prints what it would refine
and writes nothing.
"""

from __future__ import annotations

from ops.adapter import echo, is_dry, settings, task


@task(help={
    "input_dir": "Folder of workbooks to refine (default: HOTPASS_INPUT_DIR, else the "
                 "bundled sample data in data/).",
    "output_path": "Refined workbook to write (default: HOTPASS_OUTPUT_PATH, else "
                   "dist/refined.xlsx).",
    "profile": "Industry profile name (generic, aviation); default HOTPASS_PROFILE or generic.",
    "since": "Only read files modified on or after this date (YYYY-MM-DD).",
    "partial": "With --since: publish only those files' outputs, even over a full set.",
    "archive": "Also write the zip bundle with manifest.json and SHA256SUMS.",
    "strict": "Fail (exit 2) on any error-severity issue, writing nothing.",
    "dry_run": "Print what would be refined; write nothing.",
})
def refine(c, input_dir="", output_path="", profile="", since="", archive=False, strict=False,
           dry_run=False, partial=False):  # partial last: archive keeps -a, partial gets -r
    """Refine a folder of workbooks (bundled sample data by default), as `hotpass refine`."""
    from hotpass.refine.run import parse_since, refine_options, run
    from hotpass.refine.summary import summarise, summary_lines

    config = settings()
    options = refine_options(input_dir=input_dir or None, output_path=output_path or None,
                             profile=profile or None, since=parse_since(since),
                             partial=partial,
                             archive=archive, strict=strict, settings=config)
    if is_dry(c, dry_run):
        echo(f"[dry-run] refine {options.input_dir} -> {options.output_path} (profile "
             f"{options.profile}{', archive' if archive else ''}); nothing written")
        return
    _, result = run(options, config)
    for line in summary_lines(summarise(result)):
        echo(line)
