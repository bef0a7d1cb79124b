"""Real-export shapes end to end: headers nobody listed, id-linked sheets within and across
workbooks, template rows, "Name (Role); Name (Role)" cells, an all-caps register, and a
hand-written CRM workbook with a dozen sheets. Checked against the generator's truth."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hotpass.bench.samples import generate_workbooks
from hotpass.bench.samples.exports import PHRASINGS
from hotpass.bench.scoring import pairwise_precision_recall, read_provenance
from hotpass.profiles import available_profiles, load_profile
from hotpass.refine.ingest.header_words import normalise_header
from tests.workbooks import refine_cli as refine

pytestmark = pytest.mark.filterwarnings("error")  # no warning reaches a user

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exports_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("exports")
    generated = generate_workbooks(base / "in", rows=900, seed=21, files=4, exports=True)
    out = base / "out" / "refined.xlsx"
    result = refine(base / "in", out)
    assert result.returncode == 0, result.stderr
    report = json.loads((out.parent / "quality-report.json").read_text())
    return generated, out, report, pd.read_parquet(out.with_suffix(".parquet"))


def test_phrasings_are_not_profile_synonyms():
    listed = {normalise_header(s) for name in available_profiles()
              for spec in load_profile(name).fields.values()
              for s in [*spec.synonyms, spec.label]}
    phrasings = {h for sheet in PHRASINGS.values() for f, h in sheet.items() if f != "extra"}
    unlisted = {h for h in phrasings if normalise_header(h) not in listed}
    assert len(unlisted) >= 30, sorted(phrasings - unlisted)


def test_every_column_maps_as_the_generator_intended(exports_run):
    generated, _, report, _ = exports_run
    got = {(s["file"], s["sheet"], c["header"]): (c["field"] or "").split(" (")[0] or None
           for s in report["sources"] for c in s["columns"]}
    wrong = [(f, s, h, want, got.get((f, s, h))) for f, s, h, want in generated.columns
             if got.get((f, s, h)) != want]
    assert not wrong, wrong
    info = next(c for s in report["sources"] if s["sheet"] == "Account list"
                for c in s["columns"] if c["header"] == "Info")
    assert info["decision"] == "values" and info["sample_share"] >= 0.9  # typed by content


def test_rows_resolve_to_the_right_organisations(exports_run):
    generated, out, _, _ = exports_run
    predicted = read_provenance(out)
    truth = {(f, s, r): e for f, s, r, e in generated.truth if e}
    assert set(truth) <= set(predicted)
    precision, recall = pairwise_precision_recall(predicted, truth)
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)


def _record_rows(out: Path) -> dict[tuple[str, str, int], int]:
    """(file, sheet, row) -> position of its record in Refined Data (the Provenance sheet
    has one row per record in the same order; ids are not used, they may repeat)."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Provenance").to_python()
    at = rows[0].index("source_rows")
    return {(f, s, int(r)): position for position, line in enumerate(rows[1:])
            for f, s, r in json.loads(line[at])}


def test_every_organisation_is_named_and_people_are_attached(exports_run):
    generated, out, _, refined = exports_run
    position = _record_rows(out)
    records_of: dict[int, set[int]] = {}
    for f, s, r, e in generated.truth:
        if e:
            records_of.setdefault(e, set()).add(position[(f, s, r)])
    unnamed = {e for e, at in records_of.items()
               if any(pd.isna(refined.iloc[i]["organization_name"]) for i in at)}
    assert not unnamed  # every row of every organisation the truth knows is named
    assert len(generated.people) >= 50
    for entity, person in generated.people:
        held = " ".join(str(refined.iloc[i][c]) for i in records_of[entity]
                        for c in ("contact_name", "secondary_contact_names"))
        assert person.lower() in held.lower(), (entity, person, held)


def test_the_unknown_account_is_an_error_naming_file_sheet_and_row(exports_run):
    generated, _, report, refined = exports_run
    (orphan,) = [(f, s, r) for f, s, r, e in generated.truth if e == 0]
    assert refined["organization_name"].notna().all()  # reported, never emitted nameless
    errors = [i for i in report["sample_issues"] if i["severity"] == "error"]
    assert [(i["file"], i["sheet"], i["row"]) for i in errors] == [orphan]
    assert "left out of the outputs" in errors[0]["message"]
    result = refine(generated.out_dir, generated.out_dir.parent / "strict" / "r.xlsx", "--strict")
    assert result.returncode == 2 and "call_log_q2.xlsx, sheet Calls, row" in result.stderr


def test_template_rows_are_dropped_and_counted(exports_run):
    _, _, report, refined = exports_run
    tracker = next(s for s in report["sources"] if s["sheet"] == "Account list")
    assert tracker["template_rows"] == 40
    assert refined["organization_name"].notna().all()


def test_links_are_inferred_within_and_across_workbooks(exports_run):
    _, _, report, _ = exports_run
    links = {(x["child_file"], x["child_sheet"], x["parent_file"], x["parent_sheet"], x["how"])
             for x in report["links"]}
    assert ("reach_out_tracker.xlsx", "Key people", "reach_out_tracker.xlsx", "Account list",
            "inferred") in links
    assert ("call_log_q2.xlsx", "Calls", "reach_out_tracker.xlsx", "Account list",
            "inferred") in links
    calls = next(x for x in report["links"] if x["child_sheet"] == "Calls")
    assert len(calls["unmatched_rows"]) == 1 and calls["share_matched"] < 1


@pytest.mark.parametrize("name", ["aviation"])
def test_specific_profiles_map_at_least_what_generic_maps(tmp_path, name):
    """Every bundled profile that extends generic maps >= columns on every sample file."""
    from hotpass.refine.ingest.column_types import ColumnTyper
    from hotpass.refine.ingest.files import discover_inputs, read_sheets
    from hotpass.refine.ingest.mapping import frame_from_sheet

    assert load_profile(name).extends == "generic"
    assert {p for p in available_profiles() if load_profile(p).extends} == {name}
    folders = [ROOT / "data"]
    generate_workbooks(tmp_path / "av", rows=300, seed=5, profile="aviation", files=4,
                       exports=True)
    folders.append(tmp_path / "av")
    counts: dict[str, dict[tuple[str, str], int]] = {}
    for profile_name in ("generic", name):
        profile = load_profile(profile_name)
        typer = ColumnTyper(profile)
        counts[profile_name] = {}
        for folder in folders:
            for path in discover_inputs(folder):
                for sheet in read_sheets(path, path.name):
                    outcome = frame_from_sheet(sheet, path.name, profile, typer)
                    report = getattr(outcome, "report", outcome)
                    counts[profile_name][(str(path), sheet.name)] = len(report.mapped_columns)
    worse = {k: (counts["generic"][k], v) for k, v in counts[name].items()
             if v < counts["generic"][k]}
    assert not worse, worse
