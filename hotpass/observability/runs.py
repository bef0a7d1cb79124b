"""Telemetry and lineage around one ``hotpass refine`` run.

Contract: ``observe_refine(options, telemetry=..., namespace=...)`` is a context manager
for the CLI (and flows) that starts telemetry when asked, wraps the run in
``lineage_run("refine", ...)`` and yields a ``RefineObservation``. The caller runs the
refine inside it and hands the ``RefineResult`` to ``observation.completed(result)``;
that records the row counts, the quality issues and the enrichment coverage (0 for
refine: enrichment is a separate command) and names the lineage inputs (one dataset per
file and sheet, with its columns and rows) and outputs (xlsx, csv, parquet). A run that
raises gets a FAIL event naming the input files it tried, and the error propagates.

Pitfalls: with neither telemetry nor lineage configured this module imports neither
OpenTelemetry nor OpenLineage and adds no work to the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from hotpass.errors import HotpassError
from hotpass.observability.lineage import DEFAULT_NAMESPACE, LineageRun, file_dataset, lineage_run

OUTPUT_KINDS = ("xlsx", "csv", "parquet")
_INGEST_RULES = ("file.", "sheet.", "column.", "join.")


@dataclass
class RefineObservation:
    lineage: LineageRun
    telemetry: Any = None  # hotpass.observability.telemetry.Telemetry | None

    def completed(self, result) -> None:
        """Record what the run did; call once, with the ``RefineResult``."""
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

    def failed(self, options) -> None:
        if self.lineage.enabled and not self.lineage.inputs:
            from hotpass.refine.ingest import discover_inputs

            try:
                paths = discover_inputs(options.input_dir, options.since)
            except HotpassError:
                paths = []
            self.lineage.inputs = [file_dataset(path) for path in paths]


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
def observe_refine(options, *, telemetry: bool = False, namespace: str = DEFAULT_NAMESPACE,
                   flow: str = "refine") -> Iterator[RefineObservation]:
    with ExitStack() as stack:
        tel = None
        if telemetry:
            from hotpass.observability.telemetry import telemetry_session

            tel = stack.enter_context(telemetry_session(flow=flow,
                                                        profile=options.profile_name))
        run = stack.enter_context(lineage_run("refine", namespace=namespace))
        observation = RefineObservation(lineage=run, telemetry=tel)
        try:
            yield observation
        except BaseException:
            observation.failed(options)
            raise
