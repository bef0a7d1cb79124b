"""The dedupe bench's verdict: ratios of Hotpass to Splink, the targets, the table.

Contract: ``ratios(hotpass, splink)`` gives time, peak-memory and added-memory ratios
(None unless both systems ran); ``targets(result)`` checks each figure of ``TARGETS``
(precision at least, F1 at least Splink's, ratios at most); ``format_dedupe_table(result)``
renders a result of ``hotpass.bench.dedupe`` as the text ``invoke bench.dedupe`` prints.

Pitfalls: the memory target compares the memory resolving *added*, not the whole peak
(see ``hotpass.bench.dedupe``).
"""

from __future__ import annotations

from typing import Any

TARGETS = {"precision": 0.99, "f1_vs_splink": 1.0, "time_ratio": 0.1,
           "added_memory_ratio": 0.1}

def ratios(hot: dict, splink: dict) -> dict[str, float | None]:
    if not (hot.get("ok") and splink.get("ok")):
        return {"time": None, "memory": None, "added_memory": None}

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    return {"time": ratio(hot["seconds"], splink["seconds"]),
            "memory": ratio(hot["peak_mb"], splink["peak_mb"]),
            "added_memory": ratio(max(hot["added_mb"], 0.0), splink["added_mb"])}


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    hot, splink, ratios = result["hotpass"], result["splink"], result["ratios"]
    both = hot.get("ok") and splink.get("ok")
    values = {"precision": hot.get("precision"),
              "f1_vs_splink": round(hot["f1"] - splink["f1"], 4) if both else None,
              "time_ratio": ratios["time"], "added_memory_ratio": ratios["added_memory"]}
    checks = {}
    for name, target in TARGETS.items():
        value = values[name]
        if name == "f1_vs_splink":
            passed, shown = value is not None and value >= 0, ">= Splink's"
        elif name == "precision":
            passed, shown = value is not None and value >= target, f">= {target}"
        else:
            passed, shown = value is not None and value <= target, f"<= {target}"
        checks[name] = {"value": value, "target": shown, "pass": passed}
    return checks


def format_dedupe_table(result: dict[str, Any]) -> str:
    if "dataset" in result:
        title = (f"dedupe bench: {result['dataset']} ({result['rows']:,} records, "
                 f"{result['organisations']:,} entities)")
    else:
        mode = "hard" if result["hard"] else "easy"
        title = (f"dedupe bench: {result['rows']:,} rows ({mode}), "
                 f"{result['organisations']:,} organisations, seed {result['seed']}")
    out = [title, "",
           f"{'system':<9}{'precision':>10}{'recall':>8}{'F1':>8}{'seconds':>9}"
           f"{'peak MB':>9}{'added MB':>10}"]
    for kind in ("hotpass", "splink"):
        fig = result[kind]
        if not fig["ok"]:
            out.append(f"{kind:<9}FAILED: {fig['error']}")
            continue
        out.append(f"{kind:<9}{fig['precision']:>10.4f}{fig['recall']:>8.4f}{fig['f1']:>8.4f}"
                   f"{fig['seconds']:>9.2f}{fig['peak_mb']:>9.0f}{fig['added_mb']:>10.0f}")
    best = result["splink"].get("best")
    if best:
        out.append(f"(splink at its best threshold {best['threshold']}: precision "
                   f"{best['precision']:.4f} recall {best['recall']:.4f} F1 {best['f1']:.4f})")
    ratios = result["ratios"]
    if ratios["time"] is not None:
        out.append(f"hotpass/splink: time {ratios['time']:.3f}, peak memory "
                   f"{ratios['memory']:.3f}, memory added by resolving "
                   f"{ratios['added_memory']:.3f}")
    out.append("")
    for name, check in result["targets"].items():
        value = "-" if check["value"] is None else check["value"]
        verdict = "PASS" if check["pass"] else "FAIL"
        out.append(f"{name:<19}{value!s:>10}   target {check['target']:<12} {verdict}")
    out.append("(seconds: from the loaded records to the labels; peak MB: largest PSS of the "
               "child; added MB: peak resident memory during the resolution minus that before "
               "it; every figure the median of the runs; the memory target compares added MB)")
    return "\n".join(out)
