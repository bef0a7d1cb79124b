"""Telemetry and lineage around one refine run (``hotpass refine``, ``orchestrate``, the
Prefect flow: all composed by ``hotpass.refine.run``).

Contract: ``observe_refine(profile=..., telemetry=..., namespace=..., flow=...)`` is a
context manager that first checks the ``observability`` extra is installed for what is
asked (``require_extra``: telemetry, or lineage configured), then starts telemetry when
asked, wraps the run in ``lineage_run("refine", ...)`` and yields a
``RefineObservation``. The caller names the files it is about to read
(``observation.reading(paths)``), runs the refine inside it and hands the
``RefineResult`` to ``observation.completed(result)``; that records the row counts, the
quality issues and the enrichment coverage (0 for refine: enrichment is a separate
command) and names the lineage inputs (one dataset per file and sheet, with its columns
and rows) and outputs (xlsx, csv, parquet). A run that raises gets a FAIL event naming
the input files it was reading, and the error propagates.

Pitfalls: with neither telemetry nor lineage configured this module imports neither
OpenTelemetry nor OpenLineage and adds no work to the run. This package never imports
``hotpass.refine`` (refine imports observability, not the other way round): results are
read by attribute only.
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


@dataclass
class RefineObservation:
    lineage: LineageRun
    telemetry: Any = None  # hotpass.observability.telemetry.Telemetry | None
    tried: list[Path] = field(default_factory=list)

    def reading(self, paths: list[Path]) -> None:
        """The input files the run is about to read (named by a FAIL event)."""
        self.tried = list(paths)

    def completed(self, result) -> None:
        """Record what the run did; call once, with the ``RefineResult`` (``None``: the
        run found nothing to do and wrote nothing)."""
        if result is None:
            return
        if self.telemetry is not None:
            self._record_metrics(result)
        if self.lineage.enabled:
            self.lineage.inputs = _input_datasets(result)
            self.lineage.outputs = [
                file_dataset(result.outputs[kind], columns=[str(c) for c in result.refined.columns],
                             rows=len(result.refined), output=True)
                for kind in OUTPUT_KINDS if kind in result.outputs]

    def _record_metrics(self, result) -> None:
        tel = self.telemetry
        tel.record_rows("ingest", "in", result.rows_in)
        tel.record_rows("consolidate", "in", result.rows_in)
        tel.record_rows("consolidate", "out", len(result.refined))
        tel.record_rows("export", "out", len(result.refined))
        counts: dict[tuple[str, str, str], int] = {}
        for issue in result.issues:
            stage = "ingest" if issue.rule.startswith(_INGEST_RULES) else "consolidate"
            key = (stage, issue.rule, issue.severity)
            counts[key] = counts.get(key, 0) + 1
        for (stage, rule, severity), count in sorted(counts.items()):
            tel.record_failure(stage, rule, severity, count)
        tel.record_coverage("run", 0.0)

    def failed(self) -> None:
        if self.lineage.enabled and not self.lineage.inputs:
            self.lineage.inputs = [file_dataset(path) for path in self.tried]


def _input_datasets(result) -> list[Any]:
    root = result.options.input_dir
    by_label = {}
    for path in result.inputs:
        label = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        by_label[label] = path
    datasets = []
    for sheet in result.sheets:
        path = by_label.get(sheet.file, root / sheet.file)
        columns = [c for c in sheet.mapped_columns if not c.startswith("(")]
        columns += [c for c in sheet.unmapped_columns if c not in columns]
        datasets.append(file_dataset(path, sheet=sheet.sheet, columns=columns,
                                     rows=sheet.rows_in))
    return datasets


@contextmanager
def observe_refine(*, profile: str, telemetry: bool = False,
                   namespace: str = DEFAULT_NAMESPACE,
                   flow: str = "refine") -> Iterator[RefineObservation]:
    require_extra(telemetry)
    with ExitStack() as stack:
        tel = None
        if telemetry:
            from hotpass.observability.telemetry import telemetry_session

            tel = stack.enter_context(telemetry_session(flow=flow, profile=profile))
        run = stack.enter_context(lineage_run("refine", namespace=namespace))
        observation = RefineObservation(lineage=run, telemetry=tel)
        try:
            yield observation
        except BaseException:
            observation.failed()
            raise
