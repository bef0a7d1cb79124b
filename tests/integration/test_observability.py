"""Metrics, spans and lineage of real ``hotpass refine`` runs, received by loopback
endpoints: OTLP/HTTP protobuf decoded, OpenLineage events checked against the spec."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import observability_receivers as receivers
from tests.observability_receivers import closed_port, validate_openlineage
from tests.workbooks import write_xlsx

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-hotpass-token"
STAGES = {"ingest", "consolidate", "export", "publish"}
otlp_receiver = receivers.otlp_receiver
lineage_receiver = receivers.lineage_receiver


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus any observability settings of the machine running the tests."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "OPENLINEAGE", "HOTPASS_"))}
    env.update(extra)
    return env


def refine(input_dir: Path, out: Path, env: dict[str, str], *extra: str):
    return subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(input_dir),
         "--output-path", str(out), *extra],
        capture_output=True, text=True, cwd=out.parent.parent, env=env, timeout=120)


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "in"
    write_xlsx(folder / "crm.xlsx", {"Accounts": [
        ["Company Name", "E-mail", "Tel", "Favourite Colour"],
        ["Acme Flight (Pty) Ltd", "info@acme.co.za", "082 123 4567", "red"],
        ["Blue Sky Charter", "www.bluesky.co.za", "011 555 1234", "blue"],
    ]})
    (folder / "extra.csv").write_text("Business name,Contact Number\nAcme Flight,082 123 4567\n")
    return folder


def test_metrics_spans_and_lineage_of_a_run(inputs, tmp_path, otlp_receiver, lineage_receiver):
    out = tmp_path / "out" / "refined.xlsx"
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver.url,
                    OTEL_EXPORTER_OTLP_HEADERS=f"authorization=Bearer {SECRET}",
                    OPENLINEAGE_URL=f"{lineage_receiver.url}/api/v1",  # the runbook's form
                    HOTPASS_LINEAGE_NAMESPACE="hotpass-test")
    result = refine(inputs, out, env, "--enable-observability", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert SECRET not in result.stdout
    summary = json.loads(result.stdout)
    report = json.loads((out.parent / "quality-report.json").read_text())

    # --- metrics: names, units, attributes, values
    assert otlp_receiver.of("/v1/metrics"), "no metrics arrived"
    for headers, _ in otlp_receiver.of("/v1/metrics") + otlp_receiver.of("/v1/traces"):
        assert headers.get("authorization") == f"Bearer {SECRET}"
    points = otlp_receiver.metric_points()
    units = {name: unit for name, unit, _, _ in points}
    assert units == {"hotpass.pipeline.duration": "s", "hotpass.pipeline.rows": "{row}",
                     "hotpass.validation.failures": "{issue}",
                     "hotpass.enrichment.coverage": "1"}
    for name, _, attrs, _ in points:
        assert {"profile", "stage", "flow"} <= set(attrs), (name, attrs)
        assert attrs["profile"] == "generic" and attrs["flow"] == "refine"

    durations = {a["stage"]: p for n, _, a, p in points if n == "hotpass.pipeline.duration"}
    # every stage timed in this process has its metric; ingest.* are workers' sums (no span)
    timed_here = {s for s in summary["stage_seconds"] if not s.startswith("ingest.")}
    assert timed_here >= STAGES and set(durations) == timed_here | {"run"}
    for stage, point in durations.items():
        assert point.count == 1
        assert list(point.explicit_bounds)[0] == 0.1 and list(point.explicit_bounds)[-1] == 3600
        if stage in summary["stage_seconds"]:
            assert point.sum == pytest.approx(summary["stage_seconds"][stage], abs=0.05)
    assert durations["run"].sum >= sum(summary["stage_seconds"][s] for s in STAGES) - 0.01

    rows = {(a["stage"], a["direction"]): p.as_int for n, _, a, p in points
            if n == "hotpass.pipeline.rows"}
    assert rows == {("ingest", "in"): 3, ("consolidate", "in"): 3, ("consolidate", "out"): 2,
                    ("export", "out"): 2}
    failures = {}
    for name, _, attrs, point in points:
        if name == "hotpass.validation.failures":
            key = (attrs["rule"], attrs["severity"])
            failures[key] = failures.get(key, 0) + point.as_int
    assert failures, "the sample input has quality issues, so failures must be counted"
    assert failures == {(rule, info["severity"]): info["count"]
                        for rule, info in report["issues_by_rule"].items()}
    coverage = [p.as_double for n, _, _, p in points if n == "hotpass.enrichment.coverage"]
    assert coverage == [0.0]

    # --- spans: one per stage, children of the run span
    spans = {span.name: span for span in otlp_receiver.spans()}
    assert STAGES | {"hotpass.refine"} <= set(spans)
    for stage in STAGES:
        assert spans[stage].parent_span_id == spans["hotpass.refine"].span_id

    # --- lineage: START then COMPLETE, at /api/v1/lineage (the path is not doubled)
    paths = {path for path, _ in lineage_receiver.events}
    assert paths == {"/api/v1/lineage"}
    events = [event for _, event in lineage_receiver.events]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        checked = validate_openlineage(event)
        assert "processing_engine" in checked and "jobType" in checked
        assert event["job"] == {**event["job"], "namespace": "hotpass-test", "name": "refine"}
    assert events[0]["run"]["runId"] == events[1]["run"]["runId"]
    complete = events[1]
    inputs_by_name = {d["name"]: d for d in complete["inputs"]}
    sheet = inputs_by_name[f"{(inputs / 'crm.xlsx').resolve().as_posix()}#Accounts"]
    assert [f["name"] for f in sheet["facets"]["schema"]["fields"]] == [
        "Company Name", "E-mail", "Tel", "Favourite Colour"]
    assert sheet["inputFacets"]["inputStatistics"]["rowCount"] == 2
    csv_input = inputs_by_name[(inputs / "extra.csv").resolve().as_posix()]
    assert csv_input["inputFacets"]["inputStatistics"]["rowCount"] == 1
    outputs = {Path(d["name"]).suffix: d for d in complete["outputs"]}
    assert set(outputs) == {".xlsx", ".csv", ".parquet"}
    for dataset in outputs.values():
        assert Path(dataset["name"]).exists()
        assert dataset["outputFacets"]["outputStatistics"]["rowCount"] == 2
        fields = [f["name"] for f in dataset["facets"]["schema"]["fields"]]
        assert "organization_name" in fields


def test_failed_refine_emits_fail_and_keeps_its_one_line_error(tmp_path, lineage_receiver):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.xlsx").write_bytes(b"\x00\x01garbage" * 100)
    out = tmp_path / "out" / "refined.xlsx"
    (tmp_path / "out").mkdir()
    result = refine(folder, out, clean_env(OPENLINEAGE_URL=lineage_receiver.url))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("hotpass: error: "), result.stderr
    events = [event for _, event in lineage_receiver.events]
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    for event in events:
        validate_openlineage(event)
    error = events[1]["run"]["facets"]["errorMessage"]
    assert "bad.xlsx" in error["message"] and error["programmingLanguage"] == "python"
    assert lines[0].removeprefix("hotpass: error: ") == error["message"]
    assert [d["name"] for d in events[1]["inputs"]] == [(folder / "bad.xlsx").resolve().as_posix()]


def test_endpoints_down_cost_little_and_warn_once_each(inputs, tmp_path):
    port = closed_port()
    setups = {
        "off": ((), clean_env()),
        "down": (("--enable-observability",), clean_env(
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
            OTEL_EXPORTER_OTLP_HEADERS=f"x-api-key={SECRET}",
            OPENLINEAGE_URL=f"http://127.0.0.1:{port}", OPENLINEAGE_API_KEY=SECRET)),
    }
    timings: dict[str, list[float]] = {"off": [], "down": []}
    for attempt in range(2):  # interleaved pairs; the fastest of each damps machine load
        for label, (extra, env) in setups.items():
            out = tmp_path / f"{label}{attempt}" / "r.xlsx"
            start = time.perf_counter()
            result = refine(inputs, out, env, *extra)
            timings[label].append(time.perf_counter() - start)
            assert result.returncode == 0, result.stderr
            assert out.exists()
            assert SECRET not in result.stdout + result.stderr
            if label == "off":
                assert result.stderr == ""  # nothing configured: no events, no noise
            else:
                lines = result.stderr.splitlines()
                assert len(lines) == 2, result.stderr
                assert all(line.startswith("hotpass: warning: ") for line in lines)
                assert "OpenLineage" in lines[0] and "telemetry" in lines[1]
    # Most of the difference is importing the OpenTelemetry and OpenLineage libraries (~1 s
    # on a quiet machine, paid when the endpoints are up too); the failed exports themselves
    # take a few hundredths of a second on a closed port. The bound is what a retrying
    # exporter would blow (its back-off alone is tens of seconds): 3 s plus one more run's
    # worth, as a loaded machine stretches the imports in step with the run itself.
    overhead = min(timings["down"]) - min(timings["off"])
    print(f"closed-port overhead: {overhead:.2f} s")
    assert overhead < 3.0 + min(timings["off"]), timings


def test_console_exporter_keeps_stdout_json_and_hides_headers(inputs, tmp_path):
    env = clean_env(HOTPASS_TELEMETRY_ENABLED="1", OTEL_EXPORTER_OTLP_PROTOCOL="console",
                    OTEL_EXPORTER_OTLP_HEADERS=f"authorization=Bearer {SECRET}")
    result = refine(inputs, tmp_path / "out" / "r.xlsx", env, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["records_out"] == 2
    assert "hotpass.pipeline.duration" in result.stderr and '"name": "export"' in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_grpc_protocol_without_its_exporter_is_one_clear_line(inputs, tmp_path):
    env = clean_env(OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
                    OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{closed_port()}")
    result = refine(inputs, tmp_path / "out" / "r.xlsx", env, "--enable-observability")
    if importlib.util.find_spec("opentelemetry.exporter.otlp.proto.grpc") is None:
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "hotpass: error: OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the "
            "opentelemetry-exporter-otlp-proto-grpc package (pip install "
            "opentelemetry-exporter-otlp-proto-grpc), or use http/protobuf")
        assert not (tmp_path / "out").exists()
    else:
        assert result.returncode == 0, result.stderr
