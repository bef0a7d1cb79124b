"""The naive baseline ``bench.refine`` times hotpass against: pandas + openpyxl.

Contract: ``python -m hotpass.bench.naive INPUT OUTPUT`` reads every xlsx sheet and CSV
under INPUT, concatenates them, drops exact duplicate rows, writes OUTPUT with openpyxl and
prints one JSON line (``ok``, ``rows_out``, ``seconds``, peak memory). Internal: the bench
starts it as a child process; people run ``invoke bench.refine``.

Pitfalls: it is what an analyst writes first, on purpose; it holds every cell as a Python
object several times over, so it needs several GB above a few hundred thousand rows
(``invoke bench.refine --no-naive`` leaves it out).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def naive_child(input_dir: Path, output: Path) -> dict[str, Any]:
    started = time.perf_counter()
    report: dict[str, Any] = {"ok": True, "rows_out": naive_pipeline(input_dir, output)}
    report["seconds"] = round(time.perf_counter() - started, 3)
    own, workers = _peak_rss_mb()
    report.update(peak_rss_mb=round(own + workers, 1), own_rss_mb=round(own, 1),
                  workers_rss_mb=round(workers, 1))
    return report


def naive_pipeline(input_dir: Path, output: Path) -> int:
    """What an analyst would write first: read all, concat, drop exact duplicates, save."""
    import pandas as pd

    frames = []
    for path in sorted(input_dir.iterdir()):
        if path.suffix.lower() == ".xlsx":
            frames.extend(pd.read_excel(path, sheet_name=None, engine="openpyxl").values())
        elif path.suffix.lower() == ".csv":
            frames.append(pd.read_csv(path))
    combined = pd.concat(frames, ignore_index=True).drop_duplicates()
    combined.to_excel(output, index=False, engine="openpyxl")
    return len(combined)


def _peak_rss_mb() -> tuple[float, float]:
    """(this process's peak RSS, the largest peak of its finished children) in MB."""
    import resource

    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / scale, children / scale


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m hotpass.bench.naive INPUT OUTPUT "
              "(internal; run `invoke bench.refine`)", file=sys.stderr)
        return 2
    report = naive_child(Path(args[0]), Path(args[1]))
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
