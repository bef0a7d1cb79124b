"""Quality gates: each passes on a sound input and fails on one broken for it; the report
(JSON, table, history, HTML rendered by headless Chromium) and the runbook entry points
(`hotpass qa`, `invoke qa`, `ops/quality/run_qg3.py --json`) from any directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hotpass.profiles import load_profile
from hotpass.qa import cli_gate, data_gate, docs_gate, enrichment_gate, manifests_gate
from hotpass.qa.model import Context
from tests.workbooks import write_xlsx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
HEADER = ["Company Name", "Registration No", "Website", "Province", "Contact Person",
          "Email", "Phone"]
SOUND = [
    ["Acme Flight (Pty) Ltd", "2001/123456/07", "www.acmeflight.co.za", "Gauteng",
     "Thandi Nkosi", "thandi@acmeflight.co.za", "082 123 4567"],
    ["Blue Sky Charter CC", "1999/000001/23", None, "KZN", "Sam Lee",
     "sam.lee@blueskycharter.co.za", "011 555 1234"],
    ["Cape Condor Aviation", "2010/555555/07", "https://capecondor.com/", "W Cape",
     "Anne McDonald", "anne@capecondor.com", "+27 21 555 0101"],
    ["Durban Kite Works", "2015/777777/07", "durbankite.co.za", "Durban", "Jo Smith",
     "jo@durbankite.co.za", "031 555 0199"],
]


@pytest.fixture(autouse=True)
def logs_in_tmp(tmp_path, monkeypatch):
    """Procedures the gates run keep their evidence and programme log out of the checkout."""
    monkeypatch.setenv("HOTPASS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("HOTPASS_NEXT_STEPS_LOG", str(tmp_path / "Next_Steps_Log.md"))


def context(tmp_path: Path, **where) -> Context:
    from hotpass.cli import programs
    from hotpass.settings import load

    return Context("generic", ROOT, tmp_path / "work", load(), **where,
                   programs=programs())


def inputs(tmp_path: Path, rows: list[list[object]]) -> Path:
    write_xlsx(tmp_path / "in" / "register.xlsx", {"Register": [HEADER, *rows]})
    return tmp_path / "in"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "OPENLINEAGE", "HOTPASS_", "FEATURE_ENABLE",
                                "ALLOW_NETWORK"))}
    return {**env, **extra}


# --------------------------------------------------------------------------- data


def test_data_gate_passes_on_sound_data_and_names_every_broken_truth(tmp_path):
    good = data_gate.check(context(tmp_path, input_dir=inputs(tmp_path, SOUND)))
    assert good.passed, good.details
    assert good.details["fill_rates"]["organization_name"] == 1.0
    refined = pd.read_excel(good.details["dataset"], sheet_name=None, engine="calamine",
                            dtype=object)
    data, provenance = refined["Refined Data"], refined["Provenance"]
    profile = load_profile("generic")

    broken = data.copy()
    broken.loc[1, "organization_id"] = broken.loc[0, "organization_id"]
    broken.loc[2, "organization_name"] = None
    broken.loc[3, "contact_name"] = "Contact Person"
    result = data_gate.check_dataset(broken, provenance, profile)
    assert not result.passed
    assert set(result.details["failed_checks"]) == {
        "truth:organization_id_unique", "truth:named", "truth:person_not_placeholder",
        "required:organization_name", "fill_rate:organization_name"}
    assert result.message.startswith("5 check(s) failed, e.g. truth:")

    untraceable = provenance.copy()
    untraceable.loc[0, "field_sources"] = json.dumps({"website": "elsewhere.xlsx|Sheet1|9"})
    result = data_gate.check_dataset(data, untraceable, profile)
    assert list(result.details["failed_checks"]) == ["truth:traceable"]


def test_data_gate_checks_profile_fill_rates(tmp_path):
    rows = [[*row[:2], None, *row[3:]] for row in SOUND]  # no website anywhere
    result = data_gate.check(context(tmp_path, input_dir=inputs(tmp_path, rows)))
    assert not result.passed
    assert list(result.details["failed_checks"]) == ["fill_rate:website"]


# --------------------------------------------------------------------------- QG-3


def test_enrichment_gate_passes_when_a_gap_is_really_filled(tmp_path):
    result = enrichment_gate.check(context(tmp_path, input_dir=inputs(tmp_path, SOUND)))
    assert result.passed, result.details
    assert result.details["checks"] == {"provenance_columns": True, "confidence_in_0_1": True,
                                        "field_filled": True, "no_network": True}
    assert [s["name"] for s in result.details["steps"]] == ["refine", "enrich", "checks"]
    enriched = pd.read_excel(result.details["output"], engine="calamine")
    assert "https://blueskycharter.co.za" in set(enriched["website"])


def test_enrichment_gate_fails_when_nothing_could_be_filled(tmp_path):
    rows = [list(row) for row in SOUND]
    rows[1][2] = "blueskycharter.co.za"  # no gap left that any offline source can fill
    result = enrichment_gate.check(context(tmp_path, input_dir=inputs(tmp_path, rows)))
    assert not result.passed
    assert result.message == "QG-3 check(s) failed: field_filled"


def test_enrichment_gate_fails_when_refine_fails(tmp_path):
    (tmp_path / "empty").mkdir()
    result = enrichment_gate.check(context(tmp_path, input_dir=tmp_path / "empty"))
    assert not result.passed and result.message.startswith("refine failed: ")
    assert [s["status"] for s in result.details["steps"]] == ["failed", "not run", "not run"]


# --------------------------------------------------------------------------- manifests


def test_manifests_gate_passes_on_the_project_and_fails_on_a_broken_copy(tmp_path):
    assert manifests_gate.check(context(tmp_path)).passed
    copy = tmp_path / "prefect"
    shutil.copytree(ROOT / "prefect", copy)
    backfill = copy / "backfill.yaml"
    backfill.write_text(backfill.read_text().replace("  until: null\n", ""))
    result = manifests_gate.check(context(tmp_path, manifest_dir=copy))
    assert not result.passed
    assert any("backfill needs parameter(s) until" in p for p in result.details["problems"])
    overlay = copy / "staging" / "refinement.yaml"
    overlay.write_text(overlay.read_text() + "\nno_such_key: 1\n")
    result = manifests_gate.check(context(tmp_path, manifest_dir=copy))
    assert any("staging/refinement.yaml" in p and "no_such_key" in p
               for p in result.details["problems"])


# --------------------------------------------------------------------------- docs, cli


def test_docs_gate_passes_on_the_docs_and_fails_on_a_flag_that_does_not_parse(tmp_path):
    assert docs_gate.check(context(tmp_path)).passed
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    page = docs / "how-to" / "refine-a-folder.md"
    page.write_text(page.read_text() + "\n```bash\nhotpass refine --no-such-flag\n"
                    "invoke qa --gatee all\n```\n")
    result = docs_gate.check(context(tmp_path, docs_dir=docs))
    assert not result.passed
    assert [p.split(": ", 1)[0] for p in result.details["problems"]] == [
        f"how-to/refine-a-folder.md:{len(page.read_text().splitlines()) - 2}",
        f"how-to/refine-a-folder.md:{len(page.read_text().splitlines()) - 1}"]


def test_docs_gate_fails_on_an_undocumented_command(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    for page in (docs / "reference").glob("*.md"):
        page.write_text(page.read_text().replace("## `hotpass qa`", "## qa"))
    result = docs_gate.check(context(tmp_path, docs_dir=docs))
    assert not result.passed
    assert "`hotpass qa` has no section in docs/reference/" in result.details["problems"]


def test_cli_gate_passes_and_fails_on_a_documented_command_that_is_missing(tmp_path):
    good = cli_gate.check(context(tmp_path))
    assert good.passed, good.details
    assert good.details["tasks"] >= 2 and good.details["commands"] >= 3
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "reference" / "cli.md").write_text(
        (docs / "reference" / "cli.md").read_text() + "\n## `hotpass frobnicate`\n\n"
        "Frobnicates.\n\n## `invoke frobnicate`\n")
    result = cli_gate.check(context(tmp_path, docs_dir=docs))
    assert result.details["problems"] == ["documented `hotpass frobnicate` is not a command",
                                          "documented `invoke frobnicate` is not a task"]


# --------------------------------------------------------------------------- report


def non_blank_pixels(png: Path, box: tuple[int, int, int, int], rgb: tuple[int, int, int]):
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        region = np.asarray(image.convert("RGB").crop(box))
    return int((region == np.array(rgb, dtype=np.uint8)).all(axis=2).sum())


@pytest.mark.integration
def test_qa_ta_from_any_directory_writes_report_history_and_a_page_chromium_renders(
        tmp_path):
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "qa", "ta", "--output", "report.json",
         "--html", "report.html"], capture_output=True, text=True, cwd=cwd,
        env=clean_env(HOTPASS_EVIDENCE_DIR=str(tmp_path / "evidence")), timeout=600)
    report = json.loads((cwd / "report.json").read_text())
    assert result.returncode == (0 if report["summary"]["all_passed"] else 1), result.stderr
    assert "Traceback" not in result.stderr
    assert set(report) == {"timestamp", "profile", "gates", "summary"}
    assert [g["id"] for g in report["gates"]] == ["cli", "data", "enrichment", "manifests",
                                                 "docs"]
    for gate in report["gates"]:
        assert set(gate) == {"id", "name", "passed", "message", "duration_seconds", "details"}
        assert gate["id"] in result.stdout and gate["message"][:20] in result.stdout
    summary = report["summary"]
    assert summary["total"] == 5 and summary["passed"] + summary["failed"] == 5
    history = (cwd / "dist" / "quality-gates" / "history.ndjson").read_text().splitlines()
    assert [json.loads(line)["passed"] for line in history] == [summary["passed"]]
    page = (cwd / "report.html").read_text()
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page

    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}",
                    f"--screenshot={shot}", "--window-size=1000,1400",
                    (cwd / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    # Below the gate table: the fill-rate bars (green, amber or red) and the trend's point.
    bars = sum(non_blank_pixels(shot, (150, 380, 700, 1400), colour)
               for colour in ((46, 125, 50), (249, 168, 37), (198, 40, 40)))
    assert bars > 3000, bars
    assert non_blank_pixels(shot, (0, 700, 1000, 1400), (198, 40, 40)) + \
        non_blank_pixels(shot, (0, 700, 1000, 1400), (46, 125, 50)) > 20


def test_run_qg3_prints_the_runbook_payload(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "ops" / "quality" / "run_qg3.py"), "--json"],
        capture_output=True, text=True, cwd=tmp_path,
        env=clean_env(HOTPASS_EVIDENCE_DIR=str(tmp_path / "evidence")), timeout=300)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["passed"] is True
    assert {"run_dir", "input", "output", "configuration", "steps", "passed"} <= set(payload)
    assert payload["configuration"]["allow_network"] is False
    assert [(s["name"], s["status"]) for s in payload["steps"]] == [
        ("refine", "ok"), ("enrich", "ok"), ("checks", "ok")]
    assert Path(payload["output"]).is_file()
    assert Path(payload["run_dir"]).parent == tmp_path / "dist" / "quality-gates"


def test_invoke_qa_runs_the_same_gates_and_exits_1_on_a_failure(tmp_path):
    out = tmp_path / "report.json"
    result = subprocess.run(["invoke", "--search-root", str(ROOT), "qa", "--gate", "manifests",
                             "--output", str(out)], capture_output=True, text=True,
                            cwd=tmp_path, env=clean_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["gates"][0]["id"] == "manifests"
    assert "manifests" in result.stdout
    assert (ROOT / "Makefile").read_text().count("\tinvoke qa") == 1
