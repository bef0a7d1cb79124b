"""``hotpass enrich`` / ``invoke enrich``: the enrich procedure and its observed run.

Contract: ``enrich(options, settings, dry_run=..., echo=...)`` -> ``EnrichResult``
(``settings``: the front door's ``HotpassSettings``). It runs the
``Enrich`` procedure (``hotpass.procedure``): prepare (input readable, output an
``.xlsx``, profile and reference tables load, the gates; every gate open needs
``HOTPASS_SEARX_URL``), plan (the enrichment computed in memory: offline sources always,
SearXNG only when every gate is open and not under dry-run), apply (one atomic write of
the output workbook: every input sheet as it was, the refined sheet with the filled
values, split name columns and the five provenance columns, and an *Enrichment* sheet
with one line per field touched) and verify (the written workbook re-read: sheets, rows,
provenance columns and every filled value). The run is an OpenLineage job ``enrich``
(START/COMPLETE/FAIL; COMPLETE carries the input and output datasets and an
``enrichment`` run facet with the coverage) and, with telemetry on, records
``hotpass.enrichment.coverage``. The summary (``EnrichResult.summary()``) is strict JSON.

Pitfalls: the refined sheet is *Refined Data* when present, else the first sheet. Under
``dry_run`` nothing is written (no workbook, no evidence, no research cache) and no
request is sent. An input that already has an *Enrichment* sheet gets it replaced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError
from hotpass.procedure import Change, Evidence, Procedure
from hotpass.procedure import run as run_procedure

MAIN_SHEET = "Refined Data"
CHANGES_SHEET = "Enrichment"


@dataclass
class EnrichOptions:
    input_path: Path
    output_path: Path
    profile: str | None = None
    profile_search_path: tuple[Path, ...] = ()
    allow_network: bool = False
    telemetry: bool | None = None


@dataclass
class EnrichResult:
    options: EnrichOptions
    profile: str
    rows: int = 0
    coverage: float = 0.0
    changes: list[Any] = field(default_factory=list)
    closed_gates: list[str] = field(default_factory=list)
    research_requests: int = 0
    dry_run: bool = False
    evidence: Path | None = None
    sheets: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the enriched sheet's

    def summary(self) -> dict[str, Any]:
        filled = [c for c in self.changes if c.kind == "filled"]
        return {
            "input": str(self.options.input_path), "output": str(self.options.output_path),
            "profile": self.profile, "dry_run": self.dry_run, "rows": self.rows,
            "fields_filled": len(filled),
            "filled_by_field": dict(sorted(Counter(c.field for c in filled).items())),
            "filled_by_source": dict(sorted(Counter(c.source.split(" (")[0]
                                                    for c in filled).items())),
            "names_cased": sum(c.kind == "cased" for c in self.changes),
            "flagged": [{"row": c.row, "organization_id": c.organization_id,
                         "field": c.field, "value": c.old_value,
                         "email_domain": c.new_value} for c in self.changes
                        if c.kind == "flagged"],
            "coverage": self.coverage,
            "network": {"allowed": not self.closed_gates, "closed_gates": self.closed_gates,
                        "requests": self.research_requests},
            "sheets": self.sheets,
            "evidence": str(self.evidence) if self.evidence else None,
        }


def read_workbook(path: Path) -> dict[str, Any]:
    """Every sheet of ``path`` as text-preserving frames; one-line error if unreadable."""
    import pandas as pd

    if not path.is_file():
        raise HotpassError(f"--input {path}: no such file")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise HotpassError(f"--input {path}: enrich reads a refined workbook (.xlsx)")
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=object)
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise HotpassError(f"--input {path}: cannot read the workbook: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
            from None
    if not sheets:
        raise HotpassError(f"--input {path}: the workbook has no sheets")
    return sheets


def main_sheet(sheets: dict[str, Any]) -> str:
    return MAIN_SHEET if MAIN_SHEET in sheets else next(iter(sheets))


class Enrich(Procedure):
    name = "enrich"

    def __init__(self, options: EnrichOptions, settings: Any, *, dry_run: bool = False) -> None:
        self.options, self.settings, self.dry_run = options, settings, dry_run
        self.sheets: dict[str, Any] = {}
        self.enriched = None
        self.closed: list[str] = []

    def prepare(self, ev: Evidence) -> None:
        from hotpass.enrich import gazetteer, research
        from hotpass.enrich.reference import load_tables
        from hotpass.profiles import load_profile, profile_file

        opts = self.options
        if opts.output_path.suffix.lower() != ".xlsx":
            raise HotpassError(f"--output {opts.output_path}: the output must be an .xlsx file")
        name = opts.profile or self.settings.profile
        paths = tuple(opts.profile_search_path) + tuple(self.settings.profile_search_path)
        self.profile = load_profile(name, paths)
        self.tables = load_tables(self.profile, profile_file(name, paths).parent)
        self.closed = research.closed(opts.allow_network, self.settings)
        if not self.closed and not self.settings.searx_url:
            raise HotpassError("every network gate is open but HOTPASS_SEARX_URL is not set "
                               "(the SearXNG instance to ask)")
        self.gazetteer = (gazetteer.Gazetteer(self.profile.locale.default_region,
                                              self.profile.fields.get("province") and
                                              self.profile.fields["province"].allowed_values,
                                              self.profile.region_aliases)
                          if gazetteer.available() else None)
        self.sheets = read_workbook(opts.input_path)

    def plan(self, ev: Evidence) -> list[Change]:
        from hotpass.enrich.engine import Enricher
        from hotpass.enrich.research import SearxClient

        client = None
        if self.closed:
            network = "disabled (closed: " + ", ".join(self.closed) + ")"
        elif self.dry_run:
            network = "allowed, not queried (dry run)"
        else:
            network = "allowed"
            client = SearxClient(self.settings.searx_url, self.profile.enrichment.research,
                                 Path(self.settings.state_dir))
        try:
            enricher = Enricher(self.profile, tables=self.tables, gazetteer=self.gazetteer,
                                research=client, network=network)
            self.enriched = enricher.enrich(self.sheets[main_sheet(self.sheets)])
        finally:
            if client is not None:
                client.close()
        filled = self.enriched.filled()
        target = str(self.options.output_path)
        action = "update" if self.options.output_path.exists() else "create"
        return [Change(target, action, {
            "rows": len(self.enriched.frame), "fields_filled": len(filled),
            "coverage": self.enriched.coverage,
            "sheets": [*[s for s in self.sheets if s != CHANGES_SHEET], CHANGES_SHEET]})]

    def output_sheets(self) -> dict[str, Any]:
        import pandas as pd

        from hotpass.enrich.engine import CHANGE_COLUMNS

        main = main_sheet(self.sheets)
        sheets = {name: (self.enriched.frame if name == main else frame)
                  for name, frame in self.sheets.items() if name != CHANGES_SHEET}
        records = [[getattr(c, col) for col in CHANGE_COLUMNS] for c in self.enriched.changes]
        sheets[CHANGES_SHEET] = pd.DataFrame(records, columns=list(CHANGE_COLUMNS), dtype=object)
        return sheets

    def apply(self, changes: list[Change], ev: Evidence) -> None:
        from hotpass.fileio import atomic_path
        from hotpass.refine.output.export import write_xlsx

        self.options.output_path.parent.mkdir(parents=True, exist_ok=True)
        with ev.step(f"write {self.options.output_path}"), \
                atomic_path(self.options.output_path) as temp:
            write_xlsx(self.output_sheets(), temp)

    def verify(self, changes: list[Change], ev: Evidence) -> list[str]:
        from hotpass.enrich.engine import PROVENANCE_COLUMNS

        path = self.options.output_path
        written = read_workbook(path)
        wanted = list(self.output_sheets())
        differences = []
        if list(written) != wanted:
            differences.append(f"{path}: sheets {list(written)}, expected {wanted}")
            return differences
        frame = written[main_sheet(written)]
        if len(frame) != len(self.enriched.frame):
            differences.append(f"{path}: {len(frame)} rows, expected {len(self.enriched.frame)}")
            return differences
        missing = [c for c in PROVENANCE_COLUMNS if c not in frame.columns]
        if missing:
            differences.append(f"{path}: provenance columns missing: {missing}")
        for change in self.enriched.filled():
            value = frame.iat[change.row, frame.columns.get_loc(change.field)]
            if str(value) != str(change.new_value):
                differences.append(f"{path}: row {change.row + 2} {change.field} is "
                                   f"{value!r}, expected {change.new_value!r}")
        return differences

    def result(self, ev: Evidence) -> EnrichResult:
        """The run's summary (its ``evidence`` is the caller's to fill in: the bundle is
        written after this)."""
        frame = self.enriched.frame
        return EnrichResult(self.options, self.profile.name, len(frame),
                            self.enriched.coverage, self.enriched.changes, self.closed,
                            self.enriched.research_requests, ev.dry_run, None,
                            list(self.output_sheets()), [str(c) for c in frame.columns])


def enrich(options: EnrichOptions, settings: Any, *, dry_run: bool = False,
           echo=None) -> EnrichResult:
    """Run the enrich procedure, observed (lineage always when configured, telemetry
    when asked); see the module contract."""
    from dataclasses import replace

    from hotpass.observability.runs import require_extra

    telemetry = options.telemetry if options.telemetry is not None \
        else settings.telemetry_enabled
    require_extra(telemetry)
    with _observed(options, telemetry, settings.telemetry_file) as record:
        outcome = run_procedure(Enrich(options, settings, dry_run=dry_run), dry_run=dry_run,
                                echo=echo)
        result = replace(outcome.result, evidence=outcome.bundle)
        record(result)
    return result


def _observed(options: EnrichOptions, telemetry: bool, console_file: Path | None):
    """Lineage job ``enrich`` and (when asked) telemetry around the run; yields a
    function that records the finished result."""
    from contextlib import ExitStack, contextmanager

    from hotpass.observability.lineage import file_dataset, lineage_run

    @contextmanager
    def observed():
        with ExitStack() as stack:
            tel = None
            if telemetry:
                from hotpass.observability.telemetry import telemetry_session

                tel = stack.enter_context(telemetry_session(
                    flow="enrich", profile=options.profile or "default",
                    console_file=console_file))
            inputs = [file_dataset(options.input_path)] if options.input_path.is_file() else []
            run = stack.enter_context(lineage_run("enrich", inputs))

            def record(result: EnrichResult) -> None:
                if tel is not None:
                    tel.record_rows("enrich", "in", result.rows)
                    tel.record_rows("enrich", "out", result.rows)
                    tel.record_coverage("enrich", result.coverage)
                if run.enabled:
                    from openlineage.client.facet_v2 import RunFacet

                    summary = result.summary()
                    run.run_facets["enrichment"] = RunFacet().with_additional_properties(
                        coverage=result.coverage, fieldsFilled=summary["fields_filled"],
                        rows=result.rows, networkAllowed=not result.closed_gates)
                    if not result.dry_run:
                        run.outputs = [file_dataset(options.output_path, sheet=MAIN_SHEET,
                                                    columns=result.columns,
                                                    rows=result.rows, output=True)]
            yield record

    return observed()


def summary_lines(result: EnrichResult) -> list[str]:
    """What the CLI and the task print after a run (or a dry run)."""
    summary = result.summary()
    verb = "would fill" if result.dry_run else "filled"
    lines = [f"Enrich {summary['input']} -> {summary['output']} (profile {result.profile}): "
             f"{verb} {summary['fields_filled']} field(s) in {summary['rows']} rows, "
             f"coverage {summary['coverage']:.1%}."]
    for name, count in summary["filled_by_field"].items():
        lines.append(f"  {name:<22} {count}")
    if summary["flagged"]:
        lines.append(f"  {len(summary['flagged'])} website(s) contradicted by an e-mail "
                     "domain (see the Enrichment sheet, kind 'flagged')")
    network = summary["network"]
    lines.append("  network: " + (f"used ({network['requests']} request(s))"
                                  if network["allowed"] else
                                  "off (closed: " + ", ".join(network["closed_gates"]) + ")"))
    if summary["evidence"]:
        lines.append(f"  evidence: {summary['evidence']}")
    return lines
