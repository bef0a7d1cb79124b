"""Benchmark tasks: ``invoke bench.refine`` times hotpass against a naive pandas pipeline."""

from __future__ import annotations

from pathlib import Path

from invoke import Collection, Exit

from ops.adapter import is_dry, task


@task(help={
    "rows": "Data rows to generate and refine (default 200000).",
    "seed": "Random seed for the generated workbooks (default 7).",
    "out": "Folder for inputs, outputs, truth.csv and refine.json (default dist/bench).",
    "files": "Number of generated source files (default 3: two workbooks + one CSV).",
    "dry_run": "Print what would run without generating or timing anything.",
})
def refine(c, rows=200_000, seed=7, out="dist/bench", files=3, dry_run=False):
    """Generate messy data, time hotpass vs naive pandas+openpyxl, score the dedupe."""
    from hotpass.samples import check_arguments

    check_arguments(rows=rows, files=files)
    if is_dry(c, dry_run):
        print(f"[dry-run] would generate {rows} rows (seed {seed}, {files} files) into "
              f"{Path(out) / 'input'}, run both pipelines and write {Path(out) / 'refine.json'}")
        return
    from hotpass.bench import format_table, run_benchmark

    result = run_benchmark(rows=rows, seed=seed, out_dir=Path(out), files=files)
    print(format_table(result))
    print(f"figures: {Path(out) / 'refine.json'}")
    if not result["all_pass"]:
        failed = ", ".join(name for name, t in result["targets"].items() if not t["pass"])
        raise Exit(f"bench.refine: target(s) not met: {failed}", code=1)


ns = Collection("bench")
ns.add_task(refine)
