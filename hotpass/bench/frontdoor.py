"""Benchmark through the front door: the public FEBRL sets, written as the files users send,
run through ``hotpass refine`` itself and through Splink given the same columns.

Contract: ``run_public_benchmark(sets, shapes, out_dir)`` writes each set in each shape
(``publicsets.write_export``) under ``out_dir/public/<set>-<shape>/input``, runs
``python -m hotpass.cli refine`` on it as a child process (column typing, normalisation,
linking, resolution: everything a user's run does), scores the Provenance sheet pairwise
against the truth, resolves the export's plain columns with Splink
(``splink.splink_on_export``), adds the calibration of Hotpass's pair probabilities and the
pairs completeness of its blocking alone (``calibration``) and writes
``out_dir/public.json``. ``format_public_table`` renders it.

Which set is the tuning set: FEBRL 3 (``TUNED_ON``); every other set is reported as
unseen. Precision target: >= ``PRECISION`` on every set and shape; recall at least
Splink's with the same columns.

Pitfalls: the child's exit code and one-line error are reported, never a traceback; the
Splink side needs the ``bench`` extra (its absence is one line in the table).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TUNED_ON = "febrl3"
PRECISION = 0.99
SPLINK_THRESHOLD = 0.99  # the generic profile's match probability


def run_public_benchmark(sets: tuple[str, ...] = ("febrl1", "febrl2", "febrl3", "febrl4"),
                         shapes: tuple[str, ...] = ("phone", "no-phone"),
                         out_dir: Path = Path("dist/bench"), profile: str = "generic",
                         splink: bool = True) -> dict[str, Any]:
    rows = [_one(name, shape, Path(out_dir) / "public" / f"{name}-{shape}", profile, splink)
            for name in sets for shape in shapes]
    result = {"tuned_on": TUNED_ON, "profile": profile, "rows": rows,
              "all_pass": all(row["pass"] for row in rows)}
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "public.json").write_text(json.dumps(result, indent=2) + "\n",
                                               encoding="utf-8")
    return result


def _one(name: str, shape: str, folder: Path, profile: str, splink: bool) -> dict[str, Any]:
    from hotpass.bench.publicsets import write_export

    input_dir = folder / "input"
    for old in input_dir.glob("contacts.*"):
        old.unlink()
    truth = write_export(name, shape, input_dir)
    row: dict[str, Any] = {"set": name, "shape": shape, "records": len(truth),
                           "seen": name == TUNED_ON,
                           "hotpass": run_front_door(input_dir, folder / "out", truth, profile)}
    if row["hotpass"]["ok"]:
        row["calibration"], row["blocking"] = calibration_of(input_dir, truth, profile)
    row["splink"] = _splink(input_dir, truth) if splink else {"ok": False, "error": "skipped"}
    hot, other = row["hotpass"], row["splink"]
    row["pass"] = bool(hot["ok"] and hot["precision"] >= PRECISION
                       and (not other["ok"] or hot["recall"] >= other["recall"]))
    return row


def run_front_door(input_dir: Path, out: Path, truth: dict, profile: str) -> dict[str, Any]:
    """``hotpass refine`` on ``input_dir`` as a child; precision/recall from Provenance."""
    from hotpass.bench.scoring import pairwise_precision_recall, read_provenance

    refined = out / "refined.xlsx"
    command = [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(input_dir),
               "--output-path", str(refined), "--profile", profile]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = round(time.perf_counter() - began, 2)
    if done.returncode != 0 or not refined.is_file():
        lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        return {"ok": False, "error": f"hotpass refine exited {done.returncode}: {lines[-1]}"}
    predicted = read_provenance(refined)
    precision, recall = pairwise_precision_recall(predicted, truth)
    return {"ok": True, "precision": round(precision, 4), "recall": round(recall, 4),
            "seconds": seconds, "coverage": round(sum(k in predicted for k in truth)
                                                  / max(len(truth), 1), 4)}


def calibration_of(input_dir: Path, truth: dict, profile: str
                   ) -> tuple[list[dict[str, Any]], float]:
    """(predicted vs observed match rate per band of Hotpass's pair probability, over the
    candidate pairs of the export's records as refine prepares them; the share of true
    pairs the blocking makes candidates)."""
    from hotpass.bench.calibration import calibration_bands
    from hotpass.bench.dedupe import _prepared_records

    return calibration_bands(_prepared_records(input_dir, profile), truth, profile)


def _splink(input_dir: Path, truth: dict) -> dict[str, Any]:
    from hotpass.bench.publicsets import read_export
    from hotpass.bench.scoring import pairwise_precision_recall
    from hotpass.bench.splink import splink_on_export

    path = next(input_dir.glob("contacts.*"))
    sheet = "" if path.suffix == ".csv" else "Contacts"
    began = time.perf_counter()
    try:
        labels = splink_on_export(read_export(path), SPLINK_THRESHOLD)
    except RuntimeError as exc:  # Splink missing: the install hint
        return {"ok": False, "error": str(exc)}
    predicted = {(path.name, sheet, i + 2): label for i, label in enumerate(labels.tolist())}
    precision, recall = pairwise_precision_recall(predicted, truth)
    return {"ok": True, "precision": round(precision, 4), "recall": round(recall, 4),
            "seconds": round(time.perf_counter() - began, 2)}


def format_public_table(result: dict[str, Any]) -> str:
    out = [f"public sets through `hotpass refine` (tuned on {result['tuned_on'].upper()}; "
           f"the others unseen), Splink beside on the same columns", "",
           f"{'set':<8}{'shape':<10}{'':<8}{'hotpass P':>10}{'R':>8}{'blocking':>10}"
           f"{'splink P':>10}{'R':>8}  verdict"]
    for row in result["rows"]:
        hot, other = row["hotpass"], row["splink"]
        seen = "tuned" if row["seen"] else "unseen"
        blocking = f"{row['blocking']:>10.4f}" if "blocking" in row else f"{'-':>10}"
        hot_text = (f"{hot['precision']:>10.4f}{hot['recall']:>8.4f}{blocking}" if hot["ok"]
                    else f"  FAILED: {hot['error']}")
        other_text = (f"{other['precision']:>10.4f}{other['recall']:>8.4f}" if other["ok"]
                      else f"  ({other['error']})")
        out.append(f"{row['set']:<8}{row['shape']:<10}{seen:<8}{hot_text}{other_text}  "
                   f"{'PASS' if row['pass'] else 'FAIL'}")
    out += ["", f"(pairwise; PASS: hotpass precision >= {PRECISION} and recall >= Splink's; "
            "blocking: the share of true pairs hotpass's blocking makes candidates, the "
            "recall no score can exceed)",
            "", "calibration (candidate pairs per band of hotpass's match probability: "
            "predicted mean vs observed share of true matches):"]
    for row in result["rows"]:
        bands = "  ".join(f"[{b['low']:g},{b['high']:g}) n={b['pairs']} "
                          f"{b['predicted']:.3f}/{b['observed']:.3f}"
                          for b in row.get("calibration", []) if b["pairs"])
        out.append(f"  {row['set']} {row['shape']}: {bands}")
    return "\n".join(out)
