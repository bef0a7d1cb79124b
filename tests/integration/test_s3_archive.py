"""``refine --archive`` with ``HOTPASS_S3_ENDPOINT``: the bundle lands in a real S3 API
(moto_server), byte for byte, and every way the upload can fail is one line."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import pytest

from hotpass.artifacts import archive_key, upload_archive
from hotpass.errors import HotpassError
from hotpass.settings import HotpassSettings
from tests.integration.test_refine_cli import hotpass
from tests.s3_server import client, free_port, moto_s3, s3_env

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "hotpass-artifacts"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with moto_s3(tmp_path_factory.mktemp("moto")) as endpoint:
        client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint


def test_refine_archive_uploads_the_bundle_and_says_where(s3, tmp_path):
    out = tmp_path / "out" / "refined.xlsx"
    result = hotpass("refine", "--input-dir", str(ROOT / "data"), "--output-path", str(out),
                     "--archive", env=s3_env(s3, tmp_path))
    assert result.returncode == 0, result.stderr
    match = re.search(r"archive\s+uploaded to (s3://\S+)", result.stdout)
    assert match, result.stdout
    uri = match.group(1)
    assert re.fullmatch(rf"s3://{BUCKET}/refine/\d{{8}}T\d{{6}}Z/refined-bundle\.zip", uri)
    key = uri.removeprefix(f"s3://{BUCKET}/")
    body = client(s3).get_object(Bucket=BUCKET, Key=key)
    data = body["Body"].read()
    local = (out.parent / "refined-bundle.zip").read_bytes()
    assert data == local
    assert body["Metadata"]["sha256"] == hashlib.sha256(local).hexdigest()
    assert "hotpass-test-secret" not in result.stdout + result.stderr


def test_json_summary_names_the_upload_and_is_empty_without_an_endpoint(s3, tmp_path):
    out = tmp_path / "refined.xlsx"
    args = ("refine", "--input-dir", str(ROOT / "data"), "--output-path", str(out), "--archive",
            "--json")
    uploaded = json.loads(hotpass(*args, env={**s3_env(s3, tmp_path),
                                              "HOTPASS_S3_PREFIX": "nightly/eu"}).stdout)
    assert uploaded["uploads"]["archive"].startswith(f"s3://{BUCKET}/nightly/eu/")
    local = json.loads(hotpass(*args, env={"HOTPASS_S3_ENDPOINT": ""}).stdout)
    assert local["uploads"] == {} and Path(local["outputs"]["archive"]).is_file()


def test_a_missing_bucket_is_one_line_and_the_local_bundle_stays(s3, tmp_path):
    out = tmp_path / "refined.xlsx"
    result = hotpass("refine", "--input-dir", str(ROOT / "data"), "--output-path", str(out),
                     "--archive", env={**s3_env(s3, tmp_path), "HOTPASS_S3_BUCKET": "no-such"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "s3://no-such/refine/" in lines[0], result.stderr
    assert "NoSuchBucket" in lines[0] and "local bundle is complete" in lines[0]
    assert (tmp_path / "refined-bundle.zip").is_file()


def test_no_credentials_and_a_dead_endpoint_fail_fast_with_one_line(s3, tmp_path, monkeypatch):
    bundle = tmp_path / "b.zip"
    bundle.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(HotpassError, match="no S3 credentials; set AWS_ACCESS_KEY_ID"):
        upload_archive(bundle, HotpassSettings(s3_endpoint=s3))
    for name, value in s3_env(s3, tmp_path).items():
        monkeypatch.setenv(name, value)
    dead = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(HotpassError, match=r"upload of .*b\.zip to s3://hotpass-artifacts/"):
        upload_archive(bundle, HotpassSettings(s3_endpoint=dead))
    assert time.monotonic() - started < 20
    assert upload_archive(bundle, HotpassSettings(s3_endpoint=None)) is None


def test_archive_keys_are_dated_and_never_start_with_a_slash():
    from datetime import UTC, datetime

    when = datetime(2026, 11, 25, 14, 30, 5, tzinfo=UTC)
    assert archive_key("refine", "x.zip", when) == "refine/20261125T143005Z/x.zip"
    assert archive_key("/a/b/", "x.zip", when) == "a/b/20261125T143005Z/x.zip"
    assert archive_key("", "x.zip", when) == "20261125T143005Z/x.zip"


def test_orchestrate_archive_uploads_too_and_its_summary_says_where(s3, tmp_path):
    out = tmp_path / "orch" / "refined.xlsx"
    result = hotpass("orchestrate", "--input-dir", str(ROOT / "data"), "--output-path", str(out),
                     "--archive", "--json",
                     env={**s3_env(s3, tmp_path), "HOTPASS_ENABLE_PREFECT_RUNTIME": "0"})
    assert result.returncode == 0, result.stderr
    uri = json.loads(result.stdout)["outputs"]["archive_s3"]
    key = uri.removeprefix(f"s3://{BUCKET}/")
    data = client(s3).get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert data == (out.parent / "refined-bundle.zip").read_bytes()


def test_credentials_come_from_the_store_when_the_environment_has_none(s3, tmp_path):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HOTPASS_"))}
    env = {**clean, "HOTPASS_STATE_DIR": str(tmp_path / "state"), "HOTPASS_S3_ENDPOINT": s3,
           "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"}
    secret = "store-canary-secret-7d1f"
    for name, value in (("AWS_ACCESS_KEY_ID", "hotpass"), ("AWS_SECRET_ACCESS_KEY", secret)):
        stored = subprocess.run([sys.executable, "-m", "hotpass.cli", "credentials", "set", name,
                                 "--stdin"], input=value + "\n", capture_output=True, text=True,
                                env=env, timeout=60)
        assert stored.returncode == 0, stored.stderr
    result = subprocess.run(
        [sys.executable, "-m", "hotpass.cli", "refine", "--input-dir", str(ROOT / "data"),
         "--output-path", str(tmp_path / "out" / "refined.xlsx"), "--archive"],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "uploaded to s3://hotpass-artifacts/refine/" in result.stdout
    assert secret not in result.stdout + result.stderr
