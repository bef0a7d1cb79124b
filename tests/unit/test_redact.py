"""``hotpass.redact``: credentials in URLs, DSNs and key=value text are masked wherever
Hotpass prints them (error lines, logs, JSON, lineage warnings, deploy and workers)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest

from hotpass.observability.lineage import lineage_run
from hotpass.redact import MASK, install_log_redaction, redact, redact_data
from tests.observability_receivers import closed_port

SECRET = "s3cr3t-Pw"


@pytest.mark.parametrize(("text", "expected"), [
    (f"http://admin:{SECRET}@127.0.0.1:4200/api",
     "http://admin:***@127.0.0.1:4200/api"),
    (f"postgresql+asyncpg://prefect:{SECRET}@db:5432/prefect?sslmode=require",
     "postgresql+asyncpg://prefect:***@db:5432/prefect?sslmode=require"),
    (f"https://{SECRET}@github.com/org/repo.git", "https://***@github.com/org/repo.git"),
    (f"http://h/api?token={SECRET}&page=2", "http://h/api?token=***&page=2"),
    (f"http://h/api?page=2&password={SECRET}", "http://h/api?page=2&password=***"),
    (f"http://h/x?api_key={SECRET}", "http://h/x?api_key=***"),
    (f"s3://b/k?X-Amz-Credential=AKIA1&X-Amz-Signature={SECRET}",
     "s3://b/k?X-Amz-Credential=***&X-Amz-Signature=***"),
    (f"host=db user=prefect password={SECRET} dbname=x",
     "host=db user=prefect password=*** dbname=x"),
    (f"AWS_SECRET_ACCESS_KEY={SECRET}", "AWS_SECRET_ACCESS_KEY=***"),
    (f"error at http://u:{SECRET}@h:1/api: [Errno 111] refused; retry",
     "error at http://u:***@h:1/api: [Errno 111] refused; retry"),
])
def test_credentials_in_urls_dsns_and_pairs_are_masked(text, expected):
    assert redact(text) == expected
    assert redact(expected) == expected  # idempotent


@pytest.mark.parametrize("text", [
    "http://127.0.0.1:4200/api", "design=3 author=jane sort_key=name",
    "jane@acme.co.za wrote to sales@acme.co.za", "dist/refined.xlsx: 12 rows",
])
def test_text_without_credentials_is_unchanged(text):
    assert redact(text) == text


def test_json_data_is_redacted_by_value_and_by_key():
    data = {"api_url": f"http://a:{SECRET}@h/api", "password": SECRET, "count": 3,
            "notes": [f"token={SECRET}", None], "nested": {"client_secret": SECRET}}
    out = redact_data(data)
    assert SECRET not in json.dumps(out)
    assert out["count"] == 3 and out["notes"][1] is None and out["password"] == MASK


def test_log_records_are_redacted_once_installed(caplog):
    install_log_redaction()
    with caplog.at_level(logging.INFO, logger="hotpass.test"):
        logging.getLogger("hotpass.test").info("connecting to %s", f"http://u:{SECRET}@h/")
    assert caplog.records[-1].getMessage() == "connecting to http://u:***@h/"


def test_lineage_warning_names_the_endpoint_without_its_credentials(monkeypatch, tmp_path,
                                                                    caplog):
    for key in list(os.environ):
        if key.startswith(("OPENLINEAGE", "OTEL_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    port = closed_port()
    monkeypatch.setenv("OPENLINEAGE_URL", f"http://lineage:{SECRET}@127.0.0.1:{port}/"
                                          f"?api_key={SECRET}")
    try:
        with caplog.at_level(logging.WARNING, logger="hotpass"), lineage_run("refine") as run:
            pass
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("hotpass")]
    assert run.broken and len(warnings) == 1
    assert f"127.0.0.1:{port}" in warnings[0] and "lineage:***@" in warnings[0]
    assert SECRET not in warnings[0]


def _env_with_api_url(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=f"http://admin:{SECRET}@127.0.0.1:{closed_port()}/api"
                               f"?token={SECRET}", PREFECT_HOME=str(tmp_path / "prefect"))
    return env


def test_deploy_dry_run_never_prints_the_api_password(tmp_path):
    started = time.perf_counter()
    for extra in ([], ["--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "hotpass", "deploy", "--flow", "refinement", "--dry-run",
             *extra], capture_output=True, text=True, env=_env_with_api_url(tmp_path),
            timeout=120)
        output = done.stdout + done.stderr
        assert "server unreachable: cannot compare" in output, output  # exit 0, offline
        assert "admin:***@" in output, output
        assert SECRET not in output and "Traceback" not in output
    assert time.perf_counter() - started < 120


def test_workers_status_json_never_prints_the_api_password(tmp_path, repo_root):
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "-r", str(repo_root), "workers.status", "--json",
         "--state-dir", str(tmp_path / "workers")],
        capture_output=True, text=True, env=_env_with_api_url(tmp_path), timeout=120)
    report = json.loads(done.stdout)
    assert report["server"] is None and "admin:***@127.0.0.1" in report["note"]
    assert SECRET not in done.stdout + done.stderr
