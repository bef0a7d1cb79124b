"""Sample data tasks: regenerate the bundled messy workbooks (``invoke data.sample``)."""

from __future__ import annotations

from pathlib import Path

from invoke import Collection

from ops.adapter import is_dry, task


@task(help={
    "rows": "Data rows to write across all files (default 400).",
    "seed": "Random seed; the same seed writes byte-identical files (default 7).",
    "out": "Folder to write into (default data/, the bundled sample set).",
    "files": "Number of files: 3 workbooks + 1 CSV by default.",
    "profile": "Profile whose headers and vocabulary to use (generic or aviation).",
    "exports": "Add the real-export shapes (CRM tracker with id-linked sheets and template "
               "rows, a call log linked across files, an all-caps register); default on.",
    "truth": "Also write the ground-truth CSV (file, sheet, row, entity_id) to this path.",
    "dry_run": "Print what would be written without writing anything.",
})
def sample(c, rows=400, seed=7, out="data", files=4, profile="generic", exports=True, truth="",
           dry_run=False):
    """Write the messy sample workbooks (titles above headers, synonyms, duplicates...)."""
    from hotpass.bench.samples import check_arguments, generate_workbooks, planned_files

    check_arguments(rows=rows, files=files)
    target = Path(out)
    if is_dry(c, dry_run):
        for name in planned_files(files=files, profile=profile, exports=exports):
            print(f"[dry-run] would write {target / name}")
        print(f"[dry-run] {rows} data rows, seed {seed}, profile {profile}")
        if truth:
            print(f"[dry-run] would write truth {truth}")
        return
    generated = generate_workbooks(target, rows=rows, seed=seed, files=files, profile=profile,
                                   exports=exports)
    for path in generated.files:
        print(f"wrote {path}")
    print(f"{len(generated.truth)} data rows, {generated.entities} organisations, seed {seed}")
    if truth:
        print(f"wrote truth {generated.write_truth(Path(truth))}")


ns = Collection("data")
ns.add_task(sample)
