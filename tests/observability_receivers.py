"""Loopback receivers for the observability tests: a real OTLP/HTTP endpoint that decodes
the protobuf requests, an OpenLineage HTTP endpoint, and the OpenLineage schema check.

Contract:
- ``OtlpReceiver`` answers ``POST /v1/metrics`` and ``/v1/traces`` like a collector and
  keeps the decoded ``ExportMetricsServiceRequest`` / ``ExportTraceServiceRequest`` and
  each request's headers; ``metric_points()`` flattens them to ``(name, unit, attrs,
  point)`` tuples.
- ``LineageReceiver`` keeps every JSON body posted to it, with its path.
- ``validate_openlineage(event)`` checks an event against the spec file its
  ``schemaURL`` names and every facet against the facet file its ``_schemaURL`` names
  (Draft 2020-12, ``$ref``s resolved through a registry of every file in
  ``tests/schemas/openlineage`` by ``$id``); it returns the facet names checked.
- ``closed_port()`` is a loopback port nothing listens on.

Pitfalls: the schemas are vendored copies of the OpenLineage spec (``tests/schemas/README.md``
names the source and licence); refresh them when the client library's spec version moves.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "schemas" / "openlineage"


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.owner = self  # type: ignore[attr-defined]
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _OtlpHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        owner: OtlpReceiver = self.server.owner  # type: ignore[attr-defined]
        if self.path == "/v1/metrics":
            request, response = (metrics_service_pb2.ExportMetricsServiceRequest(),
                                 metrics_service_pb2.ExportMetricsServiceResponse())
        elif self.path == "/v1/traces":
            request, response = (trace_service_pb2.ExportTraceServiceRequest(),
                                 trace_service_pb2.ExportTraceServiceResponse())
        else:
            self.send_error(404)
            return
        request.ParseFromString(body)
        with owner.lock:
            owner.requests.append((self.path, dict(self.headers.items()), request))
        payload = response.SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


class OtlpReceiver(_Server):
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        super().__init__(_OtlpHandler)

    def of(self, path: str) -> list[tuple[dict[str, str], Any]]:
        return [(headers, request) for p, headers, request in self.requests if p == path]

    def metric_points(self) -> list[tuple[str, str, dict[str, Any], Any]]:
        points = []
        for _, request in self.of("/v1/metrics"):
            for resource in request.resource_metrics:
                for scope in resource.scope_metrics:
                    for metric in scope.metrics:
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            attrs = {a.key: _any_value(a.value) for a in point.attributes}
                            points.append((metric.name, metric.unit, attrs, point))
        return points

    def spans(self) -> list[Any]:
        return [span for _, request in self.of("/v1/traces")
                for resource in request.resource_spans
                for scope in resource.scope_spans for span in scope.spans]


def _any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


class _LineageHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        owner: LineageReceiver = self.server.owner  # type: ignore[attr-defined]
        with owner.lock:
            owner.events.append((self.path, json.loads(body)))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class LineageReceiver(_Server):
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        super().__init__(_LineageHandler)


@pytest.fixture
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def lineage_receiver() -> Iterator[LineageReceiver]:
    receiver = LineageReceiver()
    yield receiver
    receiver.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- schemas


def _registry():
    from referencing import Registry, Resource

    files = [SCHEMAS / "OpenLineage.json", *sorted((SCHEMAS / "facets").glob("*.json"))]
    assert len(files) > 10, f"no OpenLineage schemas under {SCHEMAS.resolve()}"
    resources = []
    for path in files:
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


_REGISTRY = None


def validate_openlineage(event: dict[str, Any]) -> list[str]:
    """Raise ``jsonschema.ValidationError`` unless ``event`` and all its facets are valid."""
    from jsonschema import Draft202012Validator

    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _registry()

    def check(instance: Any, url: str) -> None:
        Draft202012Validator({"$ref": url}, registry=_REGISTRY).validate(instance)

    check(event, event["schemaURL"])
    checked = []
    containers = [event.get("run", {}).get("facets"), event.get("job", {}).get("facets")]
    for dataset in event.get("inputs", []) + event.get("outputs", []):
        containers += [dataset.get("facets"), dataset.get("inputFacets"),
                       dataset.get("outputFacets")]
    for facets in containers:
        for name, facet in (facets or {}).items():
            check(facet, facet["_schemaURL"])
            checked.append(name)
    return checked
