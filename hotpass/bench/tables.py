"""The terminal tables of ``invoke bench.refine``.

Contract: ``format_table(result)`` renders what ``hotpass.bench.refine.run_benchmark``
returned: one line per pipeline (hotpass, naive or why it was left out, the Dask path),
the targets with PASS/FAIL, refine's own stage breakdown (``stage_lines``), each stage
against its limit measured alone, and the time per row at every size measured so far.

Pitfalls: a figure that was not measured prints ``-``, never 0; the load average beside
each pipeline is the one-minute load before and after its run.
"""

from __future__ import annotations

from typing import Any

STAGE_ORDER = ("ingest", "ingest.read", "ingest.typing", "ingest.link", "ingest.normalise",
               "consolidate", "consolidate.link", "consolidate.combine", "consolidate.resolve",
               "consolidate.merge", "consolidate.validate", "export", "publish")
LABELS = {"speedup": ("naive/hotpass time", ">= {:g}x", "{:.2f}x"),
          "seconds": ("hotpass seconds", "<= {:g}", "{:.1f}"),
          "peak_rss_mb": ("hotpass peak RSS MB", "<= {:g}", "{:.0f}"),
          "precision": ("dedupe precision", ">= {:g}", "{:.4f}"),
          "recall": ("dedupe recall", ">= {:g}", "{:.4f}"),
          "stage_ratio": ("worst stage / limit", "<= {:g}x", "{:.2f}x")}


def stage_lines(figures: dict[str, Any]) -> list[str]:
    """hotpass's stages as ``refine --json`` timed them: wall seconds and the main process's
    peak memory; indented steps (``ingest.*`` are CPU seconds summed over processes)."""
    seconds, peaks = figures.get("stage_seconds") or {}, figures.get("stage_peak_mb") or {}
    if not seconds:
        return []
    lines = ["", f"{'hotpass stage':<26}{'seconds':>9}{'peak MB':>9}"]
    order = {name: position for position, name in enumerate(STAGE_ORDER)}
    for name in sorted(seconds, key=lambda n: (order.get(n, len(order)), n)):
        label = ("  " + name.split(".", 1)[1]) if "." in name else name
        peak = f"{peaks[name]:.0f}" if name in peaks else "-"
        lines.append(f"{label:<26}{seconds[name]:>9.2f}{peak:>9}")
    return lines


def _pipeline_line(kind: str, rows: int, fig: dict[str, Any]) -> list[str]:
    rss = f"{fig['peak_rss_mb']:.0f}" if fig.get("peak_rss_mb") is not None else "-"
    rate = f"{fig['rows_per_second']:,}" if fig["ok"] else "-"
    load = "/".join(f"{x:.1f}" for x in fig.get("load", [])) or "-"
    cpu = f"{fig['cpu_seconds']:.0f}" if fig.get("cpu_seconds") is not None else "-"
    lines = [f"{kind:<10}{rows:>10,}{fig['seconds']:>10.1f}{cpu:>9}{rate:>10}{rss:>13}"
             f"{load:>11}"]
    if not fig["ok"]:
        lines.append(f"  FAILED: {fig['error']}")
    return lines


def format_table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    made = ("reused from the input cache" if result.get("inputs_reused")
            else f"generated in {result['generate_seconds']:.1f} s")
    out = [f"hotpass bench: {rows:,} rows in {result['files']} files "
           f"({result['organisations']:,} organisations, seed {result['seed']}, {made})", "",
           f"{'pipeline':<10}{'rows':>10}{'seconds':>10}{'CPU s':>9}{'rows/s':>10}"
           f"{'peak RSS MB':>13}{'load':>11}"]
    out += _pipeline_line("hotpass", rows, result["hotpass"])
    if "naive" in result:
        out += _pipeline_line("naive", rows, result["naive"])
    else:
        out.append("naive     not run (--no-naive): no speed-up measured")
    if "dask" in result:
        dask = result["dask"]
        out += _pipeline_line("dask", rows, dask)
        same = dask.get("same_as_hotpass")
        out.append(f"  Prefect flow, per-file tasks on {dask['workers']} local Dask "
                   f"worker(s); CSV and Parquet identical to hotpass's: "
                   f"{'yes' if same and all(same.values()) else 'NO' if same else '-'}")
    out.append("")
    for name, check in result["targets"].items():
        label, rule, shown = LABELS[name]
        value = "-" if check["value"] is None else shown.format(check["value"])
        verdict = "PASS" if check["pass"] else "FAIL"
        out.append(f"{label:<22}{value:>10}   target {rule.format(check['target']):<9} {verdict}")
    if "coverage" in result:
        out.append(f"{'truth rows scored':<22}{result['coverage']:>10.2%}")
    out.extend(stage_lines(result["hotpass"]))
    out.extend(_limit_lines(result.get("stage_limits") or []))
    out.extend(_scaling_lines(result.get("scaling") or [], rows))
    out.append("(peak RSS = largest sum of PSS over the child and its worker processes, "
               "sampled every 200 ms; CPU s = user + system seconds of the child and its "
               "workers; load = one-minute load average before/after)")
    return "\n".join(out)


def _limit_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    lines = ["", f"{'stage vs its limit alone':<26}{'seconds':>9}{'limit':>9}{'ratio':>8}"
                 "  limit measured"]
    for row in rows:
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
        lines.append(f"{row['stage']:<26}{row['seconds']:>9.2f}{row['limit_seconds']:>9.2f}"
                     f"{ratio:>8}  {row['limit']}")
    return lines


def _scaling_lines(sizes: list[dict[str, Any]], this_run: int) -> list[str]:
    if not sizes:
        return []
    lines = ["", f"{'time per row':<14}{'rows':>10}{'seconds':>9}{'rows/s':>9}"
                 f"{'us/row':>8}{'CPU us/row':>11}{'pairs/row':>10}{'peak MB':>9}{'load':>10}"
                 "  date"]
    for entry in sizes:
        mark = " (this run)" if entry["rows"] == this_run else ""
        load = "/".join(f"{x:.1f}" for x in entry.get("load", [])) or "-"
        cpu = entry.get("cpu_seconds")
        cpu_per_row = f"{1e6 * cpu / entry['rows']:.1f}" if cpu else "-"
        pairs = entry.get("pairs_per_row")
        lines.append(f"{'':<14}{entry['rows']:>10,}{entry['seconds']:>9.1f}"
                     f"{entry['rows_per_second']:>9,}{1e6 / entry['rows_per_second']:>8.1f}"
                     f"{cpu_per_row:>11}{'-' if pairs is None else f'{pairs:.2f}':>10}"
                     f"{entry['peak_rss_mb']:>9.0f}{load:>10}  "
                     f"{entry['date']}{mark}")
    return lines
