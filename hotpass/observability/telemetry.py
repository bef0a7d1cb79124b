"""OpenTelemetry metrics and spans for one Hotpass run.

Contract:
- ``telemetry_session(flow, profile)`` starts a ``Telemetry`` (a meter provider and a
  tracer provider of their own, never the global ones), makes it the active session that
  ``hotpass.observability.stage_span`` reports to, opens one span for the whole run and
  flushes everything when the block ends, success or failure.
- Instruments (every data point carries ``profile``, ``stage`` and ``flow``):
  ``hotpass.pipeline.duration`` (histogram, s, buckets 0.1 s .. 1 h via a View),
  ``hotpass.pipeline.rows`` (counter, ``direction`` in/out),
  ``hotpass.validation.failures`` (counter, ``rule``, ``severity``),
  ``hotpass.enrichment.coverage`` (gauge, share of rows enriched, 0..1).
- Exporter: ``OTEL_EXPORTER_OTLP_PROTOCOL`` (or ``..._METRICS_``/``..._TRACES_PROTOCOL``)
  picks ``http/protobuf`` (default), ``grpc`` (only when
  opentelemetry-exporter-otlp-proto-grpc is installed, else a one-line ``HotpassError``)
  or ``console`` (one JSON document per line on stderr, or appended to
  ``HOTPASS_TELEMETRY_FILE`` when set: the native stack's file sink; offline use). Endpoint, headers, certificates and timeouts
  come from the standard ``OTEL_EXPORTER_OTLP_*`` variables, read by the exporters
  themselves: this module never reads or prints the headers.

Pitfalls:
- A collector that is down must not fail or stall a run: exporters get a 0.8 s timeout
  (unless ``OTEL_EXPORTER_OTLP_TIMEOUT`` says otherwise), both providers flush in
  parallel threads and the run waits at most ``FLUSH_BUDGET_S`` for them. The exporters'
  own log lines are captured and replaced by one ``hotpass: warning:`` line.
- Providers are created with ``shutdown_on_exit=False``: their atexit hooks would flush
  again, unbounded, after the run has reported.
- Data is exported at the end of the run (and every minute for long runs), so a process
  killed mid-run loses its metrics.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from hotpass import __version__
from hotpass.errors import HotpassError
from hotpass.observability import set_active_telemetry

log = logging.getLogger("hotpass.observability")

DURATION = "hotpass.pipeline.duration"
ROWS = "hotpass.pipeline.rows"
VALIDATION_FAILURES = "hotpass.validation.failures"
ENRICHMENT_COVERAGE = "hotpass.enrichment.coverage"
# Seconds: sub-second test runs up to hour-long backfills each land in a bucket of their own.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
                    1800.0, 3600.0)
EXPORT_TIMEOUT_S = 0.8
FLUSH_BUDGET_S = 1.0
EXPORT_INTERVAL_MS = 60_000
PROTOCOLS = ("http/protobuf", "grpc", "console")
GRPC_PACKAGE = "opentelemetry-exporter-otlp-proto-grpc"
_EXPORTER_LOGGER = "opentelemetry.exporter"


class _ExportLogSink(logging.Handler):
    """Keeps the exporters' warnings (bounded) so a run reports one line, not a dozen."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: deque[logging.LogRecord] = deque(maxlen=50)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_SINK = _ExportLogSink()


def _capture_exporter_logs() -> _ExportLogSink:
    logger = logging.getLogger(_EXPORTER_LOGGER)
    if _SINK not in logger.handlers:
        logger.addHandler(_SINK)
        logger.propagate = False
    return _SINK


def protocol(signal: str) -> str:
    """The OTLP protocol for ``signal`` ("metrics" or "traces"), validated."""
    value = (os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL")
             or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf").strip().lower()
    if value not in PROTOCOLS:
        raise HotpassError(f"OTEL_EXPORTER_OTLP_PROTOCOL={value}: not supported "
                           f"(use one of: {', '.join(PROTOCOLS)})")
    if value == "grpc":
        import importlib.util

        if importlib.util.find_spec("opentelemetry.exporter.otlp.proto.grpc") is None:
            raise HotpassError(f"OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the {GRPC_PACKAGE} "
                               f"package (pip install {GRPC_PACKAGE}), or use http/protobuf")
    return value


def _timeout() -> float | None:
    """``None`` lets the exporter read an explicit ``OTEL_EXPORTER_OTLP_*TIMEOUT``."""
    explicit = any(k.startswith("OTEL_EXPORTER_OTLP_") and k.endswith("TIMEOUT")
                   for k in os.environ)
    return None if explicit else EXPORT_TIMEOUT_S


def endpoint_for_display() -> str:
    """The collector address without user info, query or fragment (never headers)."""
    raw = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "http://localhost:4318"
    parts = urlsplit(raw.strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _console_out(path: Path | None):
    """stderr, or ``path`` (the caller's ``HOTPASS_TELEMETRY_FILE``; appended: the native
    stack's file sink)."""
    if path is None:
        return sys.stderr
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8")


def _one_line(item) -> str:
    return item.to_json(indent=None) + "\n"


def _metric_exporter(kind: str, console_file: Path | None):
    if kind == "console":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        return ConsoleMetricExporter(out=_console_out(console_file), formatter=_one_line)
    if kind == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    return OTLPMetricExporter(timeout=_timeout())


def _span_exporter(kind: str, console_file: Path | None):
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(out=_console_out(console_file), formatter=_one_line)
    if kind == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(timeout=_timeout())


class Telemetry:
    """The instruments and providers of one run; see the module docstring."""

    def __init__(self, flow: str, profile: str, console_file: Path | None = None) -> None:
        self.flow, self.profile = flow, profile
        metrics_kind, traces_kind = protocol("metrics"), protocol("traces")
        self.remote = "console" not in (metrics_kind, traces_kind)
        self._sink = _capture_exporter_logs()
        self._sink.records.clear()
        attributes = {"service.version": __version__}
        if not os.environ.get("OTEL_SERVICE_NAME"):
            attributes["service.name"] = "hotpass"
        resource = Resource.create(attributes)
        self._reader = PeriodicExportingMetricReader(
            _metric_exporter(metrics_kind, console_file), export_interval_millis=EXPORT_INTERVAL_MS,
            export_timeout_millis=FLUSH_BUDGET_S * 1000)
        self.meter_provider = MeterProvider(
            metric_readers=[self._reader], resource=resource, shutdown_on_exit=False,
            views=[View(instrument_name=DURATION, aggregation=ExplicitBucketHistogramAggregation(
                boundaries=DURATION_BUCKETS))])
        self.tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(
            _span_exporter(traces_kind, console_file), export_timeout_millis=FLUSH_BUDGET_S * 1000))
        meter = self.meter_provider.get_meter("hotpass", __version__)
        self.tracer = self.tracer_provider.get_tracer("hotpass", __version__)
        self.duration = meter.create_histogram(
            DURATION, unit="s", description="Wall time of a pipeline stage or a whole run")
        self.rows = meter.create_counter(
            ROWS, unit="{row}", description="Rows into (direction=in) and out of a stage")
        self.failures = meter.create_counter(
            VALIDATION_FAILURES, unit="{issue}",
            description="Quality issues found, by rule and severity")
        self.coverage = meter.create_gauge(
            ENRICHMENT_COVERAGE, unit="1", description="Share of output rows enriched (0..1)")

    def attributes(self, stage: str, **extra: str) -> dict[str, str]:
        return {"profile": self.profile, "stage": stage, "flow": self.flow, **extra}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """A span for the stage and its duration, recorded whether it succeeds or fails."""
        start = time.perf_counter()
        outcome = "error"
        with self.tracer.start_as_current_span(name, attributes=self.attributes(name)):
            try:
                yield
                outcome = "ok"
            finally:
                self.duration.record(time.perf_counter() - start,
                                     self.attributes(name, outcome=outcome))

    def record_rows(self, stage: str, direction: str, count: int) -> None:
        self.rows.add(int(count), self.attributes(stage, direction=direction))

    def record_failure(self, stage: str, rule: str, severity: str, count: int = 1) -> None:
        self.failures.add(int(count), self.attributes(stage, rule=rule, severity=severity))

    def record_coverage(self, stage: str, share: float) -> None:
        self.coverage.set(float(share), self.attributes(stage))

    def shutdown(self) -> None:
        """Flush and stop both providers within ``FLUSH_BUDGET_S``; warn once on failure."""
        workers = [
            threading.Thread(target=self.tracer_provider.shutdown, daemon=True,
                             name="hotpass-otel-traces"),
            threading.Thread(target=self.meter_provider.shutdown, daemon=True,
                             kwargs={"timeout_millis": FLUSH_BUDGET_S * 1000},
                             name="hotpass-otel-metrics"),
        ]
        deadline = time.monotonic() + FLUSH_BUDGET_S
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        stalled = any(worker.is_alive() for worker in workers)
        failed = any(r.levelno >= logging.ERROR for r in self._sink.records)
        if self.remote and (stalled or failed):
            log.warning("hotpass: warning: telemetry export to %s failed (is the collector "
                        "running?); this run's metrics and spans were dropped",
                        endpoint_for_display())
        self._sink.records.clear()


@contextmanager
def telemetry_session(flow: str, profile: str,
                      console_file: Path | None = None) -> Iterator[Telemetry]:
    """Start telemetry, make it active, span the whole run, flush at the end; console
    exporters write to ``console_file`` (``HOTPASS_TELEMETRY_FILE``) when given."""
    telemetry = Telemetry(flow=flow, profile=profile, console_file=console_file)
    previous = set_active_telemetry(telemetry)
    start = time.perf_counter()
    outcome = "error"
    try:
        with telemetry.tracer.start_as_current_span(
                f"hotpass.{flow}", attributes=telemetry.attributes("run")):
            try:
                yield telemetry
                outcome = "ok"
            finally:
                telemetry.duration.record(time.perf_counter() - start,
                                          telemetry.attributes("run", outcome=outcome))
    finally:
        set_active_telemetry(previous)
        telemetry.shutdown()
