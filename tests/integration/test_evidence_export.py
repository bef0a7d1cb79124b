"""`invoke evidence.export --to s3://...` against a real S3 API (moto_server): every file of
the bundle lands with matching checksums, nested child bundles included; a tarball
upload is one object that unpacks to a bundle that verifies."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from hotpass.evidence import Bundle, verify
from hotpass.procedure import Change, Procedure, run
from tests.s3_server import client, moto_s3, s3_env

ROOT = Path(__file__).resolve().parents[2]


class Mark(Procedure):
    name = "test.mark"

    def __init__(self, path: Path) -> None:
        self.path = path

    def plan(self, ev):
        return [Change(str(self.path), "create")]

    def apply(self, changes, ev):
        self.path.write_text("marked\n")

    def verify(self, changes, ev):
        return [] if self.path.exists() else ["not marked"]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with moto_s3(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture
def bundle(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HOTPASS_NEXT_STEPS_LOG", str(tmp_path / "log.md"))
    with Bundle.create(tmp_path / "b", "test.export", "EXP-1") as made:
        made.run(["sh", "-c", "echo captured"], stdout_to="out/captured.txt")
        run(Mark(tmp_path / "mark"))
        made.finish({}, "pass")
    return made.directory


def invoke(args, env, cwd=ROOT):
    return subprocess.run(["invoke", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=300)


def test_every_file_lands_with_its_checksum(s3, bundle, tmp_path):
    env = s3_env(s3, tmp_path)
    s3_client = client(s3)
    s3_client.create_bucket(Bucket="evidence")
    result = invoke(["evidence.export", str(bundle), "--to", "s3://evidence/rehearsals"], env)
    assert result.returncode == 0, result.stderr
    local = {p.relative_to(bundle).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in bundle.rglob("*") if p.is_file()}
    assert any(name.startswith("children/") for name in local)
    listed = s3_client.list_objects_v2(Bucket="evidence", Prefix="rehearsals/EXP-1/")
    remote = {}
    for item in listed["Contents"]:
        body = s3_client.get_object(Bucket="evidence", Key=item["Key"])["Body"].read()
        remote[item["Key"].removeprefix("rehearsals/EXP-1/")] = hashlib.sha256(body).hexdigest()
    assert remote == local
    assert result.stdout.count("exported: s3://evidence/rehearsals/EXP-1/") == len(local)


def test_a_tarball_upload_unpacks_to_a_bundle_that_verifies(s3, bundle, tmp_path):
    env = s3_env(s3, tmp_path)
    s3_client = client(s3)
    s3_client.create_bucket(Bucket="packed")
    result = invoke(["evidence.export", str(bundle), "--to", "s3://packed", "--tar"], env)
    assert result.returncode == 0, result.stderr
    body = s3_client.get_object(Bucket="packed", Key="EXP-1.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as handle:
        handle.extractall(tmp_path / "unpacked", filter="data")
    assert verify(tmp_path / "unpacked" / "EXP-1")["id"] == "EXP-1"


def test_a_missing_bucket_is_one_line(s3, bundle, tmp_path):
    result = invoke(["evidence.export", str(bundle), "--to", "s3://no-such-bucket/x"],
                    s3_env(s3, tmp_path))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bucket no-such-bucket does not exist" in lines[0], result.stderr
