"""Integration fixtures: ``prefect_api``, the one real Prefect server and process worker
shared by every test (and xdist worker) that needs it (see prefect_stack.py)."""

from __future__ import annotations

import os

import pytest

from tests.integration import prefect_stack


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory):
    pytest.importorskip("prefect")
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "prefect-stack"
    state = prefect_stack.acquire(root)
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: state["url"]}):
        yield state
    prefect_stack.release(root)
