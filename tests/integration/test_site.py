"""The web UI on real runs, in real headless Chromium (Debian ``/usr/bin/chromium`` driven
by Playwright's client; no browser download): pages and their JSON twins, charts drawn
(non-blank pixels), the runs listed in the DOM, nothing requested beyond ``file://``,
incremental builds at 200 runs, and on the served site a decision saved through the page
changing the next refine both ways, behind its CSRF check."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLOW_RUN = "5f0c1a52-8d0e-4c53-9a7e-0d6c3c1f2b11"
UIS = {"PREFECT_UI_URL": "http://127.0.0.1:4200", "HOTPASS_MARQUEZ_WEB_URL": "http://127.0.0.1:5003"}
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed", allow_module_level=True)


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = os.environ | {"PYTHONPATH": str(ROOT)} | (env or {})
    return subprocess.run([sys.executable, "-m", "hotpass", *args], capture_output=True,
                          text=True, env=full, cwd=ROOT, timeout=300)


def refine(tmp: Path, env: dict | None = None) -> None:
    done = cli("refine", "--input-dir", str(tmp / "in"), "--output-path",
               str(tmp / "dist" / "refined.xlsx"), env=env)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """Two refine runs of the bundled sample data, the second with lineage to the file
    sink the native stack uses, started as a Prefect flow run's child would be."""
    tmp = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "data", tmp / "in", ignore=shutil.ignore_patterns("*.md"))
    refine(tmp)
    (tmp / "dist" / "lineage").mkdir()
    refine(tmp, env={"OPENLINEAGE_PARENT_ID": f"prefect/hotpass-refinement/{FLOW_RUN}",
                     "OPENLINEAGE__TRANSPORT__TYPE": "file",
                     "OPENLINEAGE__TRANSPORT__APPEND": "true",
                     "OPENLINEAGE__TRANSPORT__LOG_FILE_PATH":
                         str(tmp / "dist" / "lineage" / "events.ndjson")})
    return tmp


@pytest.fixture(scope="module")
def site(runs) -> Path:
    done = cli("site", "build", "--out", str(runs / "site"), "--runs", str(runs / "dist"),
               "--json", env=UIS)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["rendered"]) == 2
    return runs / "site"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def run_ids(site: Path) -> list[str]:
    return [r["id"] for r in json.loads((site / "index.json").read_text())["runs"]]


def test_every_page_has_its_json_twin_with_the_runs_facts(site, runs):
    pages = sorted(site.rglob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "review.html", "qa.html",
                                       "evidence.html", "lineage.html"}
    assert all(p.with_suffix(".json").is_file() for p in pages)
    report = json.loads((runs / "dist" / "quality-report.json").read_text())
    latest = run_ids(site)[-1]
    facts = json.loads((site / "runs" / latest / "index.json").read_text())
    assert facts["records_out"] == report["totals"]["records_out"]
    assert facts["fill_rates"] == report["fill_rates"]
    lineage = json.loads((site / "runs" / latest / "lineage.json").read_text())
    names = [n["label"] for column in lineage["depth_1"]["columns"] for n in column]
    assert "refine" in names and "crm_export.xlsx#Contacts" in names


def test_runs_link_to_prefect_and_marquez_when_configured(site, browser):
    first, second = json.loads((site / "index.json").read_text())["runs"]
    assert first["prefect_url"] is None and first["marquez_url"] is None  # no lineage
    assert second["prefect_url"] == f"http://127.0.0.1:4200/runs/flow-run/{FLOW_RUN}"
    assert second["marquez_url"] == "http://127.0.0.1:5003/lineage/job/hotpass/refine"
    page = browser.new_page()
    page.goto((site / "index.html").as_uri())
    row = page.locator(f'tr.run[data-run="{second["id"]}"]')
    assert row.locator("a", has_text="Prefect").get_attribute("href") == second["prefect_url"]
    page.goto((site / "lineage.html").as_uri())
    assert page.locator("#view-1").is_visible() and not page.locator("#view-2").is_visible()
    page.click("label[for=depth-2]")
    assert page.locator("#view-2").is_visible() and not page.locator("#view-1").is_visible()
    page.close()


def chart_pixels(element) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(element.screenshot())).convert("L")
    return sum(1 for value in image.get_flattened_data() if value < 200)


@pytest.mark.parametrize("page_name, charts", [
    ("index.html", ".trends .chart"), ("run", "#fill-chart .chart"),
    ("run", "#issues-chart .chart"), ("review", ".pair table")])
def test_screenshots_show_charts_and_tables_drawn(site, browser, page_name, charts):
    latest = run_ids(site)[-1]
    path = {"run": f"runs/{latest}/index.html",
            "review": f"runs/{latest}/review.html"}.get(page_name, page_name)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((site / path).as_uri())
    page.screenshot(path=str(site.parent / f"shot-{page_name}.png"), full_page=True)
    drawn = page.locator(charts)
    assert drawn.count() >= 1
    assert chart_pixels(drawn.first) > 200  # ink, not a blank box
    page.close()


def test_the_index_lists_every_run_and_requests_nothing_beyond_file(site, browser):
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests, failed, errors = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in ["index.html", "review.html", "qa.html", "evidence.html", "lineage.html",
                 *(f"runs/{i}/index.html" for i in run_ids(site))]:
        page.goto((site / path).as_uri())
        page.wait_for_load_state("load")
    page.goto((site / "index.html").as_uri())
    assert not page.locator("#health-link").is_visible()  # static: no health page
    listed = page.locator("tr.run").evaluate_all("rows => rows.map(r => r.dataset.run)")
    assert sorted(listed) == sorted(run_ids(site)) and len(listed) == 2
    assert requests and all(url.startswith("file://") for url in requests)
    assert failed == [] and errors == []
    context.close()


def test_the_review_page_downloads_the_decisions_as_a_review_file(site, browser, tmp_path):
    from hotpass.refine.resolve.review_file import read_decisions

    page = browser.new_page()
    page.goto((site / "review.html").as_uri())
    page.fill("#reviewer", "ana")
    page.locator(".pair").nth(0).locator("input[value=different]").check()
    with page.expect_download() as download:
        page.click("#download")
    target = tmp_path / "review-decisions.csv"
    download.value.save_as(target)
    (decision,) = read_decisions(target)
    pair = json.loads((site / "review.json").read_text())["near_threshold"]["merged"][0]
    assert (decision.left, decision.right, decision.decision, decision.reviewer) == (
        pair["rows"][0], pair["rows"][1], "different", "ana")
    page.close()


def test_builds_are_incremental_with_200_runs(runs, tmp_path):
    from hotpass.settings import load
    from hotpass.site.build import build

    many = tmp_path / "many"
    run_dir = (runs / "dist" / "quality-report.json").resolve().parent
    for number in range(200):
        shutil.copytree(run_dir, many / f"run-{number:03d}",
                        ignore=shutil.ignore_patterns("*.xlsx", "*.parquet", "*.csv"))
    first = build(tmp_path / "site", [many], load())
    assert len(first.rendered) == 200 and first.runs == 200
    index = (tmp_path / "site" / "index.html").stat().st_mtime_ns
    page = tmp_path / "site" / "runs" / first.rendered[0] / "index.html"
    before = page.stat().st_mtime_ns
    shutil.copytree(run_dir, many / "run-200",
                    ignore=shutil.ignore_patterns("*.xlsx", "*.parquet", "*.csv"))
    second = build(tmp_path / "site", [many], load())
    assert second.rendered == [r for r in second.rendered if r.endswith("run-200")] != []
    assert second.runs == 201 and page.stat().st_mtime_ns == before
    assert (tmp_path / "site" / "index.html").stat().st_mtime_ns != index
    print(f"\nsite build: 200 runs {first.seconds} s, then 1 new run {second.seconds} s")


def records_by_row(workbook: Path) -> dict[str, int]:
    """``file|sheet|row`` -> the refined record (Provenance row) that row went into."""
    import pandas as pd

    provenance = pd.read_excel(workbook, sheet_name="Provenance", engine="openpyxl")
    return {"|".join(map(str, cite)): record
            for record, rows in enumerate(provenance["source_rows"])
            for cite in json.loads(rows)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(runs, site):
    port = free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "hotpass", "site", "serve", "--out", str(site), "--runs",
         str(runs / "dist"), "--port", str(port), "--state-dir", str(runs / "state")],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    import httpx

    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    yield base
    server.terminate()
    server.communicate(timeout=10)  # reads and closes both pipes (no ResourceWarning)


def test_a_decision_saved_through_the_served_page_changes_the_next_refine(
        runs, served, browser):
    page = browser.new_page()
    page.goto(served + "/review.html")
    page.wait_for_selector("#save:not([hidden])")
    review = json.loads((runs / "site" / "review.json").read_text())
    merged, apart = review["near_threshold"]["merged"][0], review["near_threshold"][
        "not_merged"][0]
    page.fill("#reviewer", "ana")
    page.locator(f'.pair[data-left="{merged["rows"][0]}"][data-right="{merged["rows"][1]}"]'
                 ' input[value=different]').check()
    page.locator(f'.pair[data-left="{apart["rows"][0]}"][data-right="{apart["rows"][1]}"]'
                 ' input[value=same]').check()
    assert page.locator("#health-link").is_visible()  # served: the health page exists
    page.click("#save")
    page.wait_for_selector("#status.ok")
    assert "Saved 2 decision(s)" in page.inner_text("#status")
    page.close()

    def record_of(cite: str) -> int:
        return records_by_row(runs / "dist" / "refined.xlsx")[cite]

    assert record_of(merged["rows"][0]) == record_of(merged["rows"][1])
    assert record_of(apart["rows"][0]) != record_of(apart["rows"][1])
    refine(runs)
    assert record_of(merged["rows"][0]) != record_of(merged["rows"][1])
    assert record_of(apart["rows"][0]) == record_of(apart["rows"][1])
    report = json.loads((runs / "dist" / "quality-report.json").read_text())
    assert {d["effect"] for d in report["dedupe"]["review_decisions"]} == {"kept apart",
                                                                          "merged"}
    (runs / "dist" / "review-decisions.csv").unlink()  # later tests see the plain runs


def test_the_review_endpoint_refuses_requests_without_the_csrf_token(served):
    import httpx

    body = {"run": "x", "decisions": [{"left": "a||1", "right": "b||2", "decision": "same"}]}
    assert httpx.post(served + "/api/review", json=body).status_code == 403
    with httpx.Client(base_url=served) as client:
        token = client.get("/api/session").json()["csrf"]
        headers = {"X-CSRF-Token": token}
        assert client.post("/api/review", json=body, headers=headers | {
            "Origin": "http://evil.example"}).status_code == 403
        wrong = client.post("/api/review", json=body, headers=headers)
        assert wrong.status_code == 400 and "not in this site's runs log" in wrong.text
    assert httpx.get(served + "/index.html", headers={"Host": "evil.example"}
                     ).status_code == 400
    health = httpx.get(served + "/health.json").json()
    assert health["mode"] == "down" and {s["service"] for s in health["services"]} >= {
        "prefect-server", "marquez"}


def test_qa_heatmap_and_evidence_pages_read_other_commands_files(runs, browser, tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(runs / "dist", dist, symlinks=True)
    from hotpass.qa.report import append_history

    for stamp, data_passed in (("2026-12-06T10:00:00Z", False), ("2026-12-06T11:00:00Z", True)):
        append_history(dist / "quality-gates" / "history.ndjson", {  # as `hotpass qa ta`
            "timestamp": stamp, "profile": "generic",
            "summary": {"total": 2, "passed": 1 + data_passed, "failed": 1 - data_passed},
            "gates": [{"id": "cli", "passed": True}, {"id": "data", "passed": data_passed}]})
    env = {"HOTPASS_EVIDENCE_DIR": str(tmp_path / "evidence"),
           "HOTPASS_NEXT_STEPS_LOG": str(tmp_path / "Next_Steps_Log.md")}
    site = tmp_path / "site"
    done = cli("site", "build", "--out", str(site), "--runs", str(dist), "--archive",
               "--json", env=env)
    assert done.returncode == 0, done.stderr
    bundle = Path(json.loads(done.stdout)["bundle"])
    assert (bundle / "site" / "index.html").is_file()
    qa = json.loads((site / "qa.json").read_text())
    assert {(c["gate"], c["run"][11:13], c["status"]) for c in qa["cells"]} == {
        ("cli", "10", "pass"), ("data", "10", "fail"), ("cli", "11", "pass"),
        ("data", "11", "pass")}
    page = browser.new_page()
    page.goto((site / "qa.html").as_uri())
    assert page.locator("#qa-heatmap rect").count() == 4
    assert chart_pixels(page.locator("#qa-heatmap .chart")) > 200
    page.close()

    (bundle / "site" / "index.html").write_text("tampered")
    assert cli("site", "build", "--out", str(site), "--runs", str(dist), env=env
               ).returncode == 0
    (listed,) = json.loads((site / "evidence.json").read_text())["bundles"]
    assert listed["procedure"] == "site.build" and listed["verdict"] == "pass"
    assert not listed["verified"] and "index.html: differs from the manifest" in listed[
        "verify"]
