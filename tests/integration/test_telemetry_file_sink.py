"""``HOTPASS_TELEMETRY_FILE``: with the console protocol, spans and metrics are appended
to the file (one JSON document per line), not printed; the native stack's sink."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_refine_cli import hotpass

ROOT = Path(__file__).resolve().parents[2]


def test_console_telemetry_goes_to_the_file_one_document_per_line(tmp_path):
    sink = tmp_path / "telemetry" / "otel.ndjson"
    env = {"HOTPASS_TELEMETRY_ENABLED": "1", "OTEL_EXPORTER_OTLP_PROTOCOL": "console",
           "HOTPASS_TELEMETRY_FILE": str(sink)}
    for _ in range(2):  # appended, never replaced
        result = hotpass("refine", "--input-dir", str(ROOT / "data"), "--output-path",
                         str(tmp_path / "out" / "refined.xlsx"), env=env)
        assert result.returncode == 0, result.stderr
        assert "hotpass.pipeline" not in result.stderr
    documents = [json.loads(line) for line in sink.read_text().splitlines()]
    spans = [d for d in documents if "span_id" in d.get("context", {})]
    metrics = [d for d in documents if "resource_metrics" in d]
    assert sorted({s["name"] for s in spans} & {"export", "ingest"}) == ["export", "ingest"]
    assert len([s for s in spans if s["name"] == "export"]) == 2
    assert metrics and "hotpass.pipeline.duration" in json.dumps(metrics)
