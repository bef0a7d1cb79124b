"""A short soak (``invoke bench.soak`` runs 50): refine runs stopped at random moments by
SIGTERM, SIGINT or SIGKILL while a reader verifies ``dist/current`` throughout. The
published set always verifies, and no process, lock or temp file outlives a run."""

from __future__ import annotations

import pytest

from hotpass.bench.soak import soak

pytestmark = pytest.mark.integration


def test_signalled_runs_never_break_the_published_set(tmp_path):
    result = soak(10, tmp_path, seed=5)
    assert result["problems"] == []
    assert result["reader_checks"] > 0
    assert sum(result["outcomes"].values()) == 10
