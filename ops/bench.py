"""Benchmark tasks: ``invoke bench.refine`` times hotpass against a naive pandas pipeline;
``invoke bench.dedupe`` sets Hotpass's entity resolution beside Splink's; ``invoke
bench.soak`` stops refine runs at random moments and checks nothing published breaks."""

from __future__ import annotations

from pathlib import Path

from invoke import Collection, Exit

from ops.adapter import is_dry, task


@task(help={
    "rows": "Data rows to generate and refine (default 200000).",
    "seed": "Random seed for the generated workbooks (default 7).",
    "out": "Folder for the input cache, outputs, refine.json and refine-history.json "
           "(default dist/bench).",
    "files": "Number of generated source files (default 3: two workbooks + one CSV).",
    "naive": "Run the naive pandas + openpyxl pipeline (default on; --no-naive leaves it "
             "out: several GB and minutes at 1,000,000 rows, and no speed-up is measured).",
    "dask_workers": "Also run the many-files path: `hotpass orchestrate --task-runner dask` "
                    "with this many local Dask workers on a throwaway Prefect server "
                    "(default 0: not run).",
    "limits": "Measure each stage's limit alone: read, normalise, export (default on; "
              "--no-limits leaves it out).",
    "dry_run": "Print what would run without generating or timing anything.",
})
def refine(c, rows=200_000, seed=7, out="dist/bench", files=3, dry_run=False, naive=True,
           limits=True, dask_workers=0):
    """Generate messy data (cached), time hotpass vs naive pandas+openpyxl (and the Dask
    path), score the dedupe, set each stage against its limit."""
    from hotpass.bench.samples import check_arguments

    check_arguments(rows=rows, files=files)
    if dask_workers < 0:
        raise Exit(f"bench.refine --dask-workers {dask_workers}: 0 (not run) or more", code=2)
    if is_dry(c, dry_run):
        pipelines = ", ".join(["hotpass"] + (["naive"] if naive else []) +
                              ([f"dask ({dask_workers} workers)"] if dask_workers else []))
        print(f"[dry-run] would generate {rows} rows (seed {seed}, {files} files) into "
              f"{Path(out) / 'inputs'} unless cached, run {pipelines} and write "
              f"{Path(out) / 'refine.json'}")
        return
    from hotpass.bench.refine import run_benchmark
    from hotpass.bench.tables import format_table

    result = run_benchmark(rows=rows, seed=seed, out_dir=Path(out), files=files,
                           naive=naive, dask_workers=dask_workers, limits=limits)
    print(format_table(result))
    print(f"figures: {Path(out) / 'refine.json'}")
    if not result["all_pass"]:
        failed = ", ".join(name for name, t in result["targets"].items() if not t["pass"])
        raise Exit(f"bench.refine: target(s) not met: {failed}", code=1)


@task(help={
    "rows": "Data rows to generate and resolve (default 20000).",
    "hard": "Generate the hard corruption (typos anywhere, swapped and abbreviated words, "
            "missing names, shared switchboards, near-identical twins).",
    "seed": "Random seed for the generated workbooks (default 7).",
    "out": "Folder for inputs, records, labels and dedupe.json (default dist/bench).",
    "febrl": "Resolve the public FEBRL reference instead of generated rows: febrl3 "
             "or febrl4 (vendored in hotpass/bench/febrl_data).",
    "repeat": "Runs per system, taking turns; figures are the medians (default 3).",
    "public": "Public FEBRL sets also written as contact files and run through `hotpass "
              "refine` beside Splink (default febrl1,febrl2,febrl3,febrl4; none: skip).",
    "dry_run": "Print what would run without generating or timing anything.",
})
def dedupe(c, rows=20_000, hard=False, seed=7, out="dist/bench", febrl="", repeat=3,
           public="febrl1,febrl2,febrl3,febrl4", dry_run=False):
    """Generate messy data, resolve it with Hotpass and with Splink, score both."""
    from hotpass.bench.samples import check_arguments

    check_arguments(rows=rows, files=1)
    if repeat < 1:
        raise Exit(f"bench.dedupe --repeat {repeat}: need at least 1 run", code=2)
    mode = "hard" if hard else "easy"
    sets = _public_sets(public)
    if febrl and is_dry(c, dry_run):
        print(f"[dry-run] would resolve the FEBRL reference {febrl} with Hotpass and Splink "
              f"and write {Path(out) / 'dedupe.json'}")
        return
    if febrl:
        from hotpass.bench.dedupe import run_febrl_benchmark
        from hotpass.bench.dedupe_verdict import format_dedupe_table

        try:
            result = run_febrl_benchmark(febrl, out_dir=Path(out), repeat=repeat)
        except (RuntimeError, ValueError) as exc:
            raise Exit(f"bench.dedupe --febrl {febrl}: {exc}", code=2) from None
        print(format_dedupe_table(result))
        print(f"figures: {Path(out) / 'dedupe.json'}")
        return
    if is_dry(c, dry_run):
        print(f"[dry-run] would generate {rows} {mode} rows (seed {seed}) into "
              f"{Path(out) / 'dedupe-input'}, resolve them with Hotpass and Splink and write "
              f"{Path(out) / 'dedupe.json'}")
        if sets:
            print(f"[dry-run] would write {', '.join(sets)} as contact files, run them through "
                  f"`hotpass refine` and Splink and write {Path(out) / 'public.json'}")
        return
    from hotpass.bench.dedupe import run_dedupe_benchmark
    from hotpass.bench.dedupe_verdict import format_dedupe_table

    result = run_dedupe_benchmark(rows=rows, hard=hard, seed=seed, out_dir=Path(out),
                                  repeat=repeat)
    print(format_dedupe_table(result))
    print(f"figures: {Path(out) / 'dedupe.json'}")
    failed = [name for name, t in result["targets"].items() if not t["pass"]]
    if sets:
        from hotpass.bench.frontdoor import format_public_table, run_public_benchmark

        try:
            public_result = run_public_benchmark(sets, out_dir=Path(out))
        except RuntimeError as exc:
            raise Exit(f"bench.dedupe --public {public}: {exc}", code=2) from None
        print()
        print(format_public_table(public_result))
        print(f"figures: {Path(out) / 'public.json'}")
        failed += [f"{r['set']} {r['shape']}" for r in public_result["rows"] if not r["pass"]]
    if failed:
        raise Exit(f"bench.dedupe: target(s) not met: {', '.join(failed)}", code=1)


def _public_sets(public: str) -> tuple[str, ...]:
    from hotpass.bench.publicsets import SOURCES

    if public.strip().lower() in ("", "none"):
        return ()
    sets = tuple(s.strip().lower() for s in public.split(",") if s.strip())
    unknown = [s for s in sets if s not in SOURCES]
    if unknown:
        raise Exit(f"bench.dedupe --public {public}: unknown set(s) {', '.join(unknown)} "
                   f"(known: {', '.join(SOURCES)}, or none)", code=2)
    return sets


@task(help={
    "rows": "Rows of refined data to write (default 150000, about 2.8 M cells).",
    "source": "A refined.parquet to tile (default: refine the bundled data/ first).",
    "out": "Folder for the frame, the workbooks and writers.json (default dist/bench).",
    "dry_run": "Print what would run without writing anything.",
})
def writers(c, rows=150_000, source="", out="dist/bench", dry_run=False):
    """Time the workbook writers (xlsxwriter, pyexcelerate, rustpy-xlsxwriter) on the same
    cells and check every cell they wrote."""
    if rows < 1:
        raise Exit(f"bench.writers --rows {rows}: need at least 1 row", code=2)
    if is_dry(c, dry_run):
        print(f"[dry-run] would write {rows} refined rows with each writer into {out} "
              f"and record {Path(out) / 'writers.json'}")
        return
    from hotpass.bench.writers import format_writer_table, refined_source, run_writer_benchmark

    frame_source = Path(source) if source else refined_source(Path(out))
    result = run_writer_benchmark(rows=rows, source=frame_source, out_dir=Path(out))
    print(format_writer_table(result))
    print(f"figures: {Path(out) / 'writers.json'}")



@task(help={
    "runs": "Signalled runs (default 50).",
    "out": "Folder for the soak's inputs, outputs and temp (default dist/soak).",
    "seed": "Random seed for the signals and moments (default 22).",
    "dry_run": "Print what would run without running it.",
})
def soak(c, runs=50, out="dist/soak", seed=22, dry_run=False):
    """Stop refine runs at random moments (SIGTERM/SIGINT/SIGKILL) while a reader checks
    the published set; fail on any mismatch, survivor, lock or temp file."""
    if is_dry(c, dry_run):
        print(f"[dry-run] would run {runs} signalled refine runs into {Path(out) / 'dist'}")
        return
    import json

    from hotpass.bench.soak import soak as run_soak

    result = run_soak(runs, Path(out), seed)
    print(json.dumps(result, indent=2))
    if result["problems"]:
        raise Exit(f"bench.soak: {len(result['problems'])} problem(s); first: "
                   f"{result['problems'][0]}", code=1)


ns = Collection("bench")
ns.add_task(refine)
ns.add_task(dedupe)
ns.add_task(writers)
ns.add_task(soak)
