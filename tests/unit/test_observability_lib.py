"""The lineage and telemetry library in-process: URL handling, configuration, the
circuit breaker, FAIL events, the parent facet, protocol errors, the no-op stage span."""

from __future__ import annotations

import logging
import os
import time

import pytest

from hotpass.errors import HotpassError
from hotpass.observability import active_telemetry, stage_span
from hotpass.observability.lineage import (
    lineage_client,
    lineage_configured,
    lineage_run,
    split_lineage_url,
)
from tests import observability_receivers as receivers
from tests.observability_receivers import closed_port, validate_openlineage

lineage_receiver = receivers.lineage_receiver


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No OPENLINEAGE/OTEL settings, no openlineage.yml in the cwd; restores whatever the
    OpenLineage client adds to ``os.environ`` (it aliases OPENLINEAGE_URL there)."""
    for key in list(os.environ):
        if key.startswith(("OPENLINEAGE", "OTEL_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    yield monkeypatch
    for key in set(os.environ) - set(saved):
        del os.environ[key]


@pytest.mark.parametrize(("url", "base"), [
    ("http://127.0.0.1:5002", "http://127.0.0.1:5002/"),
    ("http://127.0.0.1:5002/", "http://127.0.0.1:5002/"),
    ("http://127.0.0.1:5002/api/v1", "http://127.0.0.1:5002/"),
    ("http://127.0.0.1:5002/api/v1/", "http://127.0.0.1:5002/"),
    ("http://127.0.0.1:5002/api/v1/lineage", "http://127.0.0.1:5002/"),
    ("https://lineage.example/marquez/api/v1", "https://lineage.example/marquez/"),
])
def test_lineage_url_never_doubles_the_api_path(url, base):
    from urllib.parse import urljoin

    got_base, endpoint = split_lineage_url(url)
    assert got_base == base
    assert urljoin(got_base, endpoint) == base + "api/v1/lineage"
    assert split_lineage_url(url, "custom/path") == (url, "custom/path")


def test_not_configured_means_no_client_and_no_events(clean_env):
    assert not lineage_configured()
    assert lineage_client() is None
    with lineage_run("refine") as run:
        assert not run.enabled
    clean_env.setenv("OPENLINEAGE_URL", "http://127.0.0.1:1")
    clean_env.setenv("OPENLINEAGE_DISABLED", "true")
    assert lineage_client() is None


def test_fail_event_and_parent_from_openlineage_parent_id(clean_env, lineage_receiver):
    parent_id = "0190c2a4-4b3c-7c3e-9a43-3b4a5f6d7e8f"
    clean_env.setenv("OPENLINEAGE_URL", lineage_receiver.url + "/api/v1/")
    clean_env.setenv("OPENLINEAGE_PARENT_ID", f"prefect/hotpass-refinement/{parent_id}")
    with pytest.raises(HotpassError), lineage_run("qa", namespace="ns") as run:
        assert run.enabled
        raise HotpassError("data/x.xlsx, sheet S: broken")
    events = [event for path, event in lineage_receiver.events if path == "/api/v1/lineage"]
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    for event in events:
        assert "parent" in validate_openlineage(event)
        assert event["run"]["facets"]["parent"]["run"]["runId"] == parent_id
        job = event["run"]["facets"]["parent"]["job"]
        assert (job["namespace"], job["name"]) == ("prefect", "hotpass-refinement")
    assert events[1]["run"]["facets"]["errorMessage"]["message"] == (
        "data/x.xlsx, sheet S: broken")


def test_openlineage_yml_transport_is_honoured_and_its_url_normalised(clean_env, tmp_path,
                                                                      lineage_receiver):
    (tmp_path / "openlineage.yml").write_text(
        f"transport:\n  type: http\n  url: {lineage_receiver.url}/api/v1\n")
    with lineage_run("refine") as run:
        assert run.enabled
    assert [(p, e["eventType"]) for p, e in lineage_receiver.events] == [
        ("/api/v1/lineage", "START"), ("/api/v1/lineage", "COMPLETE")]


def test_a_down_endpoint_warns_once_and_stops_sending(clean_env, caplog):
    clean_env.setenv("OPENLINEAGE_URL", f"http://127.0.0.1:{closed_port()}")
    clean_env.setenv("OPENLINEAGE_API_KEY", "lineage-secret")
    ran = False
    start = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="hotpass"), lineage_run("refine") as run:
        ran = True
    assert ran and run.broken
    assert time.perf_counter() - start < 1.5
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("hotpass")]
    assert len(warnings) == 1 and "START" in warnings[0]
    assert "lineage-secret" not in warnings[0]


def test_unknown_or_missing_otlp_protocols_are_one_line_errors(monkeypatch):
    from hotpass.observability.telemetry import protocol

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    with pytest.raises(HotpassError, match="http/json: not supported"):
        protocol("metrics")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "console")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
    assert (protocol("metrics"), protocol("traces")) == ("console", "http/protobuf")


def test_stage_span_is_a_shared_no_op_without_telemetry():
    assert active_telemetry() is None
    assert stage_span("ingest") is stage_span("export")
    with stage_span("ingest"):
        pass


def test_the_active_session_is_per_context_not_per_process(clean_env):
    import contextvars
    import threading

    from hotpass.observability.telemetry import telemetry_session

    clean_env.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "console")
    seen = {}
    with telemetry_session(flow="refine", profile="generic") as session:
        other = threading.Thread(target=lambda: seen.update(plain=active_telemetry()))
        other.start()
        other.join()
        copied = contextvars.copy_context()
        worker = threading.Thread(target=copied.run,
                                  args=(lambda: seen.update(copied=active_telemetry()),))
        worker.start()
        worker.join()
        assert active_telemetry() is session
    assert seen == {"plain": None, "copied": session}  # a thread sees it only if handed it
    assert active_telemetry() is None


def test_observability_never_imports_refine():
    import ast
    from pathlib import Path

    import hotpass.observability as package

    offenders = []
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                     [alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [])
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("hotpass.refine")]
    assert offenders == []
