"""Telemetry and lineage around one refine run (``hotpass refine``, ``orchestrate``, the
Prefect flow: all composed by ``hotpass.refine.run``).

Contract: ``observe_refine(profile=..., telemetry=..., namespace=..., flow=...)`` is a
context manager that first checks the ``observability`` extra is installed for what is
asked (``require_extra``: telemetry, or lineage configured), then starts telemetry when
asked, wraps the run in ``lineage_run("refine", ...)`` and yields a
``RefineObservation``. The caller names the files it is about to read
(``observation.reading(paths)``), runs the refine inside it and, when
``observation.wanted``, hands a ``RunFacts`` (what the run read, wrote and found; built by
``hotpass.refine.summary.run_facts``) to ``observation.completed(facts)``; that records
the row counts, the
quality issues and the enrichment coverage (0 for refine: enrichment is a separate
command) and names the lineage inputs (one dataset per file and sheet, with its columns
and rows) and outputs (xlsx, csv, parquet). A run that raises gets a FAIL event naming
the input files it was reading, and the error propagates.

Pitfalls: with neither telemetry nor lineage configured this module imports neither
OpenTelemetry nor OpenLineage and adds no work to the run. This package never imports
``hotpass.refine`` (refine imports observability, not the other way round): the run's
result arrives as the typed ``RunFacts`` below.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.observability.lineage import (
    DEFAULT_NAMESPACE,
    LineageRun,
    file_dataset,
    lineage_configured,
    lineage_run,
)

OUTPUT_KINDS = ("xlsx", "csv", "parquet")
_INGEST_RULES = ("file.", "sheet.", "column.", "join.")
INSTALL = "pip install 'hotpass[observability]'"


def require_extra(telemetry: bool) -> None:
    """One ``HotpassError`` naming the extra when what is asked for cannot be imported."""
    import importlib

    wanted = []
    if telemetry:
        wanted.append(("--enable-observability (or HOTPASS_TELEMETRY_ENABLED)",
                       "hotpass.observability.telemetry"))
    if lineage_configured():
        source = ("OPENLINEAGE_URL" if os.environ.get("OPENLINEAGE_URL", "").strip()
                  else "the OpenLineage configuration")
        wanted.append((f"{source} (lineage)", "openlineage.client"))
    for asked, module in wanted:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            raise HotpassError(f"{asked} needs the observability extra, which is not "
                               f"installed (no module {exc.name!r}): {INSTALL}") from None


@dataclass(frozen=True)
class InputSheet:
    """One sheet (or CSV file) a run read: the lineage input dataset."""

    path: Path
    sheet: str
    columns: list[str]
    rows: int


@dataclass(frozen=True)
class RunFacts:
    """What a finished run reports to telemetry and lineage."""

    rows_in: int
    rows_out: int
    columns: list[str]  # of the refined output
    issues: list[tuple[str, str]]  # (rule, severity) per quality issue
    outputs: dict[str, Path]  # kind (xlsx, csv, parquet, ...) -> file
    inputs: list[InputSheet]


@dataclass
class RefineObservation:
    lineage: LineageRun
    telemetry: Any = None  # hotpass.observability.telemetry.Telemetry | None
    tried: list[Path] = field(default_factory=list)

    def reading(self, paths: list[Path]) -> None:
        """The input files the run is about to read (named by a FAIL event)."""
        self.tried = list(paths)

    @property
    def wanted(self) -> bool:
        """Whether ``completed`` records anything (telemetry on or lineage configured)."""
        return self.telemetry is not None or self.lineage.enabled

    def completed(self, facts: RunFacts | None) -> None:
        """Record what the run did; call once (``None``: the run found nothing to do and
        wrote nothing)."""
        if facts is None:
            return
        if self.telemetry is not None:
            self._record_metrics(facts)
        if self.lineage.enabled:
            self.lineage.inputs = [file_dataset(item.path, sheet=item.sheet,
                                                columns=item.columns, rows=item.rows)
                                   for item in facts.inputs]
            self.lineage.outputs = [
                file_dataset(facts.outputs[kind], columns=facts.columns, rows=facts.rows_out,
                             output=True)
                for kind in OUTPUT_KINDS if kind in facts.outputs]

    def _record_metrics(self, facts: RunFacts) -> None:
        tel = self.telemetry
        tel.record_rows("ingest", "in", facts.rows_in)
        tel.record_rows("consolidate", "in", facts.rows_in)
        tel.record_rows("consolidate", "out", facts.rows_out)
        tel.record_rows("export", "out", facts.rows_out)
        counts: dict[tuple[str, str, str], int] = {}
        for rule, severity in facts.issues:
            stage = "ingest" if rule.startswith(_INGEST_RULES) else "consolidate"
            key = (stage, rule, severity)
            counts[key] = counts.get(key, 0) + 1
        for (stage, rule, severity), count in sorted(counts.items()):
            tel.record_failure(stage, rule, severity, count)
        tel.record_coverage("run", 0.0)

    def failed(self) -> None:
        if self.lineage.enabled and not self.lineage.inputs:
            self.lineage.inputs = [file_dataset(path) for path in self.tried]


@contextmanager
def observe_refine(*, profile: str, telemetry: bool = False,
                   namespace: str = DEFAULT_NAMESPACE, flow: str = "refine",
                   console_file: Path | None = None) -> Iterator[RefineObservation]:
    require_extra(telemetry)
    with ExitStack() as stack:
        tel = None
        if telemetry:
            from hotpass.observability.telemetry import telemetry_session

            tel = stack.enter_context(telemetry_session(flow=flow, profile=profile,
                                                        console_file=console_file))
        run = stack.enter_context(lineage_run("refine", namespace=namespace))
        observation = RefineObservation(lineage=run, telemetry=tel)
        try:
            yield observation
        except BaseException:
            observation.failed()
            raise
