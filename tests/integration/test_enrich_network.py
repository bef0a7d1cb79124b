"""The three network gates with a loopback SearXNG-compatible server (canned JSON):
closed, no socket is even attempted; open, research fills, is cached and rate-limited by
the profile. Also the enrich job's telemetry (coverage gauge) and lineage, and
``hotpass plan research``'s strict JSON."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from hotpass.enrich.run import EnrichOptions, enrich
from hotpass.settings import load
from tests import observability_receivers as receivers
from tests.unit.test_enrich import refined_workbook

otlp_receiver = receivers.otlp_receiver
lineage_receiver = receivers.lineage_receiver
GATE_ENV = {"FEATURE_ENABLE_REMOTE_RESEARCH": "1", "ALLOW_NETWORK_RESEARCH": "1"}


class Searx:
    """Answers ``GET /search?q=...&format=json`` like SearXNG, from canned results."""

    def __init__(self, answers: dict[str, list[dict[str, str]]]) -> None:
        self.answers, self.queries = answers, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                query = parse_qs(urlsplit(self.path).query)
                owner.queries.append(query)
                text = query.get("q", [""])[0]
                results = next((r for k, r in owner.answers.items() if k in text), [])
                body = json.dumps({"query": text, "number_of_results": len(results),
                                   "results": results}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def searx():
    server = Searx({"Kestrel Avionics": [
        {"url": "https://www.facebook.com/kestrel", "title": "Kestrel on Facebook",
         "content": "social"},
        {"url": "https://www.kestrelavionics.co.za/contact", "title": "Kestrel Avionics",
         "content": "Avionics workshop, Lanseria"}]})
    yield server
    server.close()


@pytest.fixture
def refined(tmp_path) -> Path:
    return refined_workbook(tmp_path / "refined.xlsx", [
        ["org-1", "Kestrel Avionics", None, None, "Gauteng", "Lanseria Airport", "Jo Smith",
         "jo.smith@gmail.com", None, "+27821234567"],
        ["org-2", "Vryheid Timber", None, None, "KwaZulu-Natal", None, "Sam Lee",
         "sam@vryheidtimber.co.za", None, "+27821234568"],
    ])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "OPENLINEAGE", "HOTPASS_", "FEATURE_ENABLE",
                                "ALLOW_NETWORK"))}
    return {**env, **extra}


def hotpass(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hotpass.cli", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


@pytest.mark.parametrize("closed", ["--allow-network", "FEATURE_ENABLE_REMOTE_RESEARCH",
                                    "ALLOW_NETWORK_RESEARCH"])
def test_a_closed_gate_opens_no_socket(closed, searx, refined, tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith(("OTEL_", "OPENLINEAGE", "HOTPASS_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOTPASS_SEARX_URL", searx.url)
    monkeypatch.setenv("HOTPASS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOTPASS_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv("HOTPASS_NEXT_STEPS_LOG", str(tmp_path / "Next_Steps_Log.md"))
    for name, value in GATE_ENV.items():
        monkeypatch.setenv(name, "0" if name == closed else value)
    attempts = []

    def refuse(sock, address):  # the guard: any connection attempt fails the test
        attempts.append(address)
        raise AssertionError(f"socket connect to {address} with {closed} closed")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    result = enrich(EnrichOptions(refined, tmp_path / "enriched.xlsx",
                                  allow_network=closed != "--allow-network"),
                    load(), echo=lambda line: None)
    assert attempts == [] and searx.queries == []
    assert result.closed_gates == [closed]
    frame = pd.read_excel(tmp_path / "enriched.xlsx", engine="calamine", dtype=object)
    assert (frame["provenance_network_status"] == f"disabled (closed: {closed})").all()
    assert pd.isna(frame.loc[0, "website"])  # only research could have filled it
    assert frame.loc[1, "website"] == "https://vryheidtimber.co.za"  # offline still works
    assert not (tmp_path / "state").exists()  # no research cache either


def test_all_gates_open_research_fills_and_caches(searx, refined, tmp_path):
    env = clean_env(HOTPASS_SEARX_URL=searx.url, HOTPASS_STATE_DIR=str(tmp_path / "state"),
                    HOTPASS_EVIDENCE_DIR=str(tmp_path / "evidence"), **GATE_ENV)
    out = tmp_path / "enriched.xlsx"
    args = ("enrich", "--input", str(refined), "--output", str(out),
            "--allow-network=true", "--json")
    first = hotpass(*args, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["network"] == {"allowed": True, "closed_gates": [], "requests": 1}
    assert [q["format"] for q in searx.queries] == [["json"]]
    assert "Kestrel Avionics" in searx.queries[0]["q"][0]
    frame = pd.read_excel(out, engine="calamine", dtype=object)
    assert frame.loc[0, "website"] == "https://kestrelavionics.co.za"  # not facebook.com
    assert frame.loc[0, "provenance_strategy"] == "network"
    assert frame.loc[0, "provenance_network_status"] == "used"
    assert float(frame.loc[0, "provenance_confidence"]) == 0.6
    assert frame.loc[1, "provenance_network_status"] == "allowed, not needed"
    assert (tmp_path / "state" / "research-cache.sqlite").is_file()
    again = hotpass(*args, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(searx.queries) == 1  # answered from the cache
    assert pd.read_excel(out, engine="calamine").loc[0, "website"] == \
        "https://kestrelavionics.co.za"


def test_open_gates_without_a_searx_url_is_one_line(refined, tmp_path):
    result = hotpass("enrich", "--input", str(refined), "--output", str(tmp_path / "e.xlsx"),
                     "--allow-network", env=clean_env(**GATE_ENV), cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "hotpass: error: every network gate is open but HOTPASS_SEARX_URL is not set (the "
        "SearXNG instance to ask)"]
    assert not (tmp_path / "e.xlsx").exists()


def test_coverage_reaches_the_metric_and_the_lineage_run(refined, tmp_path, otlp_receiver,
                                                         lineage_receiver):
    env = clean_env(HOTPASS_TELEMETRY_ENABLED="1", OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver.url,
                    OPENLINEAGE_URL=lineage_receiver.url,
                    HOTPASS_EVIDENCE_DIR=str(tmp_path / "evidence"))
    out = tmp_path / "enriched.xlsx"
    result = hotpass("enrich", "--input", str(refined), "--output", str(out), "--json",
                     env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    coverage = json.loads(result.stdout)["coverage"]
    assert coverage == 0.5  # one of the two rows filled (the website from company mail)
    gauges = [point.as_double for name, _, attrs, point in otlp_receiver.metric_points()
              if name == "hotpass.enrichment.coverage" and attrs.get("flow") == "enrich"]
    assert gauges == [coverage]
    events = [event for _, event in lineage_receiver.events]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert {e["job"]["name"] for e in events} == {"enrich"}
    complete = events[-1]
    assert complete["run"]["facets"]["enrichment"]["coverage"] == coverage
    assert complete["outputs"][0]["name"] == f"{out.resolve().as_posix()}#Refined Data"
    assert complete["inputs"][0]["name"] == refined.resolve().as_posix()
    for event in events:
        receivers.validate_openlineage(event)


def test_plan_research_prints_strict_json_and_saves_it(refined, tmp_path):
    state = tmp_path / "state"
    result = hotpass("plan", "research", "--dataset", str(refined), "--row-id", "0", "--json",
                     env=clean_env(HOTPASS_STATE_DIR=str(state)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    def no_nan(value):
        raise AssertionError(f"not strict JSON: {value}")

    plan = json.loads(result.stdout, parse_constant=no_nan)  # stdout is the JSON, only
    assert plan["organization_name"] == "Kestrel Avionics"
    assert plan["missing"] == ["registration_id", "record_id", "website", "category",
                               "status", "last_interaction_date", "contact_role", "notes"]
    by_source = {s["source"]: s for s in plan["sources"]}
    assert list(by_source) == ["email-domain", "gazetteer:geonames", "nameparser", "searxng"]
    assert by_source["email-domain"]["could_fill"] == {}  # gmail says nothing
    assert by_source["searxng"]["available"] is False
    assert plan["network"]["closed_gates"] == ["--allow-network",
                                               "FEATURE_ENABLE_REMOTE_RESEARCH",
                                               "ALLOW_NETWORK_RESEARCH"]
    saved = list((state / "research_runs").glob("*-row0.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text()) == plan
    bad = hotpass("plan", "research", "--dataset", str(refined), "--row-id", "7",
                  env=clean_env(HOTPASS_STATE_DIR=str(state)), cwd=tmp_path)
    assert bad.returncode != 0
    assert bad.stderr.strip() == (f"hotpass: error: --row-id 7: {refined} has rows 0..1 in "
                                  "sheet 'Refined Data'")
