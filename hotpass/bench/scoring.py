"""Scoring a de-duplication against the generator's truth.

Contract: ``pairwise_precision_recall(predicted, truth)`` scores a clustering by pairs
(counted from cluster sizes, never enumerated); ``read_provenance(refined)`` maps every
``[file, sheet, row]`` the refined workbook's Provenance sheet cites to its
organization_id.

Pitfalls: only items present in both mappings count, so say how many truth rows the
Provenance sheet covered beside the scores (the bench prints ``coverage``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

RowKey = tuple[str, str, int]  # (file relative to the input dir, sheet or "", 1-based row)


def pairwise_precision_recall(predicted: Mapping[Hashable, Hashable],
                              truth: Mapping[Hashable, Hashable]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the true entities.

    ``predicted`` maps an item to its output cluster, ``truth`` the item to its entity.
    Only items in both count. Pairs are counted from cluster sizes (n * (n - 1) / 2), never
    enumerated. With no predicted (true) pairs, precision (recall) is 1.0.
    """
    keys = [key for key in predicted if key in truth]
    together = Counter((predicted[key], truth[key]) for key in keys)
    true_positive = _pairs(together.values())
    predicted_pairs = _pairs(Counter(predicted[key] for key in keys).values())
    true_pairs = _pairs(Counter(truth[key] for key in keys).values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    return precision, recall


def _pairs(sizes) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def read_provenance(refined_path: Path) -> dict[RowKey, Any]:
    """Map every ``[file, sheet, row]`` of the Provenance sheet to its organization_id."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(refined_path))
    if "Provenance" not in workbook.sheet_names:
        raise ValueError(f"{refined_path}: no Provenance sheet (sheets: {workbook.sheet_names})")
    rows = workbook.get_sheet_by_name("Provenance").to_python()
    header = [str(cell).strip() for cell in rows[0]] if rows else []
    missing = {"organization_id", "source_rows"} - set(header)
    if missing:
        raise ValueError(f"{refined_path}: Provenance sheet lacks column(s) {sorted(missing)}")
    org_at, rows_at = header.index("organization_id"), header.index("source_rows")
    mapping: dict[RowKey, Any] = {}
    for line in rows[1:]:
        if line[rows_at] in ("", None):
            continue
        for file, sheet, row in json.loads(line[rows_at]):
            mapping[(Path(str(file)).as_posix(), str(sheet or ""), int(row))] = line[org_at]
    return mapping


def score(refined: Path, truth: Mapping[RowKey, Any]) -> dict[str, float]:
    """``precision``, ``recall`` and ``coverage`` (truth rows the Provenance sheet cites)
    of the refined workbook against ``truth``; raises ``OSError``/``ValueError``."""
    predicted = read_provenance(refined)
    precision, recall = pairwise_precision_recall(predicted, truth)
    covered = sum(1 for key in truth if key in predicted)
    return {"precision": round(precision, 4), "recall": round(recall, 4),
            "coverage": round(covered / len(truth), 4) if truth else 0.0}
