"""Generated bench inputs, cached by what makes them: rows, seed, files, profile and the
generator's own source.

Contract: ``bench_inputs(cache_root, rows=..., seed=..., files=..., profile=...)`` returns
``BenchInputs`` (input folder, truth as ``(file, sheet, row) -> entity``, organisations,
the seconds generating took, ``reused``). The first call generates into
``cache_root/<key>/input`` with ``truth.csv``; ``generated.json`` is written last, so a
folder without it (an interrupted generation) is generated again. Later calls with the
same key reuse the files (1,000,000 rows take about four minutes to generate).

Pitfalls: the key hashes the generator's modules (``hotpass/bench/samples/*.py``), so an
edit to the generator makes new inputs instead of reusing stale ones; old keys are
removed when a new one is generated, so the cache holds one set per (rows, files).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hotpass.bench.samples as samples_package


@dataclass
class BenchInputs:
    input_dir: Path
    truth: dict[tuple[str, str, int], int]
    organisations: int
    generate_seconds: float
    reused: bool


def generator_fingerprint() -> str:
    digest = hashlib.sha256()
    for module in sorted(Path(samples_package.__file__).parent.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()[:12]


def cache_key(rows: int, seed: int, files: int, profile: str) -> str:
    return f"rows{rows}-files{files}-seed{seed}-{profile}-{generator_fingerprint()}"


def bench_inputs(cache_root: Path, *, rows: int, seed: int = 7, files: int = 3,
                 profile: str = "generic") -> BenchInputs:
    folder = Path(cache_root) / cache_key(rows, seed, files, profile)
    done = folder / "generated.json"
    if done.is_file():
        facts = json.loads(done.read_text(encoding="utf-8"))
        return BenchInputs(folder / "input", _read_truth(folder / "truth.csv"),
                           facts["organisations"], facts["generate_seconds"], reused=True)
    _drop_stale(Path(cache_root), rows, files)
    shutil.rmtree(folder, ignore_errors=True)
    from hotpass.bench.samples import generate_workbooks

    started = time.perf_counter()
    generated = generate_workbooks(folder / "input", rows=rows, seed=seed, files=files,
                                   profile=profile)
    seconds = round(time.perf_counter() - started, 2)
    generated.write_truth(folder / "truth.csv")
    facts: dict[str, Any] = {"organisations": generated.entities, "generate_seconds": seconds,
                             "files": [path.name for path in generated.files]}
    done.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    truth = {(file, sheet, row): entity for file, sheet, row, entity in generated.truth}
    return BenchInputs(folder / "input", truth, generated.entities, seconds, reused=False)


def _read_truth(path: Path) -> dict[tuple[str, str, int], int]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)  # file, sheet, row, entity_id
        return {(file, sheet, int(row)): int(entity) for file, sheet, row, entity in reader}


def _drop_stale(cache_root: Path, rows: int, files: int) -> None:
    """Sets for the same rows and files made by another generator or seed."""
    for old in cache_root.glob(f"rows{rows}-files{files}-*"):
        if old.is_dir():
            shutil.rmtree(old)


def clear_inputs(input_dir: Path) -> Path:
    """Remove generated sources an earlier uncached run left (they would skew this run)."""
    if input_dir.is_dir():
        for old in input_dir.iterdir():
            if old.is_file() and old.suffix.lower() in (".xlsx", ".csv"):
                old.unlink()
    return input_dir
