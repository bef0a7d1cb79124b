"""Record ids: ``organization_id`` for each refined record.

Contract: ``record_ids(keys, fingerprints, places)`` gives one id per record, unique and
stable for the same inputs: ``org-`` + 12 hex digits of the SHA-1 of the record's name key
and ``member_fingerprints`` (the smallest hash of its own rows' values). Records alike in
both keep them apart by their primary source rows (``places``): the first in that order
keeps the plain id, the next get ``-2``, ``-3``.

Pitfalls: the fingerprint hashes values, not row positions, so inserting rows elsewhere in
a file does not move an id; editing one of the record's own rows may.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable

import numpy as np


def record_ids(keys, fingerprints, place: Callable[[int], tuple[str, ...]]) -> list[str]:
    """One id per record, unique and stable for the same inputs: the name key and the
    smallest content fingerprint of the cluster's own rows, hashed. Two records alike in
    both (two clusters of identical rows kept apart) are told apart by their primary
    source rows (``place(i)``, asked only for those), in that order: the first keeps the
    plain id, the next get ``-2``, ``-3``."""
    bases = ["org-" + hashlib.sha1(f"{k}\x1f{f}".encode()).hexdigest()[:12]
             for k, f in zip(keys, fingerprints, strict=True)]
    ids = list(bases)
    repeated = {base for base, count in Counter(bases).items() if count > 1}
    alike: dict[str, list[int]] = {}
    for i in (i for i, base in enumerate(bases) if base in repeated):
        alike.setdefault(bases[i], []).append(i)
    for base, members in alike.items():
        for count, i in enumerate(sorted(members, key=place)[1:], start=2):
            ids[i] = f"{base}-{count}"
    return ids


def member_fingerprints(values, clusters):
    """Per cluster, the smallest hash of one of its rows' values (``values``: the merged
    fields, provenance not included): it moves only when a row of the cluster changes."""
    import pandas as pd

    hashed = pd.util.hash_pandas_object(values, index=False)  # text, numbers, None alike
    return hashed.groupby(np.asarray(clusters), sort=False).min().astype("uint64")
