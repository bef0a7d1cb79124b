"""Evidence bundles: what a bundle holds, that verify catches every tampering (one changed
byte, a missing file, an extra file, a broken schema, a changed child), that procedures
run inside a bundle become linked children, redaction, names and the programme log."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from hotpass.errors import HotpassError
from hotpass.evidence import Bundle, check_name, export, list_bundles, problems, verify
from hotpass.procedure import Change, Procedure, run
from hotpass.settings import load

ROOT = Path(__file__).resolve().parents[2]


class Touch(Procedure):
    """Create one file: a real (small) mutating procedure."""

    name = "test.touch"

    def __init__(self, path: Path) -> None:
        self.path = path

    def plan(self, ev):
        return [Change(str(self.path), "unchanged" if self.path.exists() else "create")]

    def apply(self, changes, ev):
        from hotpass import shell

        shell.run(["touch", str(self.path)], ev=ev)

    def verify(self, changes, ev):
        return [] if self.path.exists() else [f"{self.path}: missing"]


@pytest.fixture
def log(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "Next_Steps_Log.md"
    monkeypatch.setenv("HOTPASS_NEXT_STEPS_LOG", str(path))
    return path


def make(tmp_path: Path, bundle_id: str = "B-1", verdict: str = "pass") -> Path:
    source = tmp_path / "app.log"
    source.write_text("started\nconnect postgresql://app:hunter2@db/x\n")
    with Bundle.create(tmp_path / "bundles", "test.bundle", bundle_id, owner="ops") as bundle:
        bundle.run(["sh", "-c", "echo out; echo err >&2; exit 4"])
        bundle.run(["true"])
        bundle.capture(source, "logs/app.log")
        bundle.write_json("facts.json", {"rows": 3})
        bundle.finish({"rows": 3}, verdict, reason=None if verdict == "pass" else "broke")
    return bundle.directory


def test_a_bundle_holds_every_part_and_verifies(tmp_path, log):
    bundle = make(tmp_path)
    names = {entry["path"] for entry in verify(bundle)["files"]}
    assert names == {"cli.sh", "cli.log", "record.json", "summary.json", "facts.json",
                     "logs/app.log"}
    manifest = json.loads((bundle / "manifest.json").read_text())
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert manifest["git_commit"] == head and manifest["hotpass_version"]
    assert manifest["started_at"] <= manifest["finished_at"]
    cli = (bundle / "cli.sh").read_text().splitlines()
    assert cli[-4:] == ["sh -c 'echo out; echo err >&2; exit 4'", "# exit 4", "true", "# exit 0"]
    transcript = (bundle / "cli.log").read_text()
    assert "out\nerr\n[exit 4" in transcript
    assert "hunter2" not in (bundle / "logs" / "app.log").read_text()
    summary = json.loads((bundle / "summary.json").read_text())
    assert (summary["verdict"], summary["rows"], summary["owner"]) == ("pass", 3, "ops")
    row = log.read_text().splitlines()[-1]
    assert row.split(" | ")[1:6] == ["test.bundle", "B-1", "pass", str(bundle), "ops"]


def test_cli_sh_replays_the_commands(tmp_path, log):
    bundle = make(tmp_path)
    replay = subprocess.run(["bash", str(bundle / "cli.sh")], capture_output=True, text=True)
    assert replay.stdout == "out\n" and replay.returncode == 0


def test_one_changed_byte_is_named(tmp_path, log):
    bundle = make(tmp_path)
    data = bytearray((bundle / "facts.json").read_bytes())
    data[2] ^= 1
    (bundle / "facts.json").write_bytes(bytes(data))
    with pytest.raises(HotpassError, match=r"facts\.json: differs from the manifest"):
        verify(bundle)


def test_a_missing_and_an_extra_file_are_named(tmp_path, log):
    bundle = make(tmp_path)
    (bundle / "logs" / "app.log").unlink()
    (bundle / "stray.txt").write_text("x")
    found = problems(bundle)
    assert any("logs/app.log: missing" in line for line in found)
    assert any("stray.txt: not in the manifest" in line for line in found)


def test_a_summary_against_its_schema(tmp_path, log):
    bundle = make(tmp_path)
    summary = json.loads((bundle / "summary.json").read_text())
    summary["verdict"] = "maybe"
    (bundle / "summary.json").write_text(json.dumps(summary))
    assert any("summary.json: verdict: 'maybe' is not one of" in line
               for line in problems(bundle))


def test_a_failing_bundle_needs_a_reason_and_records_it(tmp_path, log):
    bundle = make(tmp_path, verdict="fail")
    assert json.loads((bundle / "summary.json").read_text())["reason"] == "broke"
    assert log.read_text().splitlines()[-1].endswith("| ops | broke |")


def test_procedures_inside_a_bundle_are_linked_children(tmp_path, log):
    with Bundle.create(tmp_path, "test.composite", "C-1") as parent:
        run(Touch(tmp_path / "a"))
        run(Touch(tmp_path / "b"))
        parent.finish({}, "pass")
    manifest = verify(parent.directory)
    children = manifest["children"]
    assert [c["procedure"] for c in children] == ["test.touch", "test.touch"]
    child = parent.directory / children[0]["path"]
    assert "touch" in (child / "cli.sh").read_text()
    (child / "cli.log").write_text("rewritten")
    with pytest.raises(HotpassError, match="cli.log: differs"):
        verify(parent.directory)


def test_an_exception_still_writes_a_failed_bundle(tmp_path, log):
    with pytest.raises(HotpassError), Bundle.create(tmp_path, "test.crash", "X-1") as bundle:
        bundle.run(["true"])
        raise HotpassError("step exploded")
    summary = json.loads((bundle.directory / "summary.json").read_text())
    assert (summary["verdict"], summary["reason"]) == ("fail", "step exploded")
    verify(bundle.directory)


def test_secret_values_from_the_environment_are_masked(tmp_path, log, monkeypatch):
    monkeypatch.setenv("SERVICE_API_TOKEN", "canary-7f3a9")
    with Bundle.create(tmp_path, "test.secret", "S-1") as bundle:
        bundle.run(["sh", "-c", "echo token is $SERVICE_API_TOKEN"])
        bundle.write_text("notes.txt", "bare canary-7f3a9 here")
        bundle.finish({"seen": "canary-7f3a9"}, "pass")
    for path in bundle.directory.rglob("*"):
        if path.is_file():
            assert b"canary-7f3a9" not in path.read_bytes(), path


def test_dry_run_writes_nothing(tmp_path, log):
    bundle = Bundle.create(tmp_path / "b", "test.dry", "D-1", dry_run=True)
    assert bundle.run(["touch", str(tmp_path / "made")]).exit_code is None
    assert bundle.finish({}, "pass") is None
    assert not (tmp_path / "b").exists() and not (tmp_path / "made").exists()
    assert not log.exists()


@pytest.mark.parametrize("bad", ["../x", "/etc", "", ".hidden", "a/b", "a..b"])
def test_names_that_are_not_plain_are_refused(bad):
    with pytest.raises(HotpassError, match="not a plain name"):
        check_name(bad, "ticket id")


def test_an_existing_bundle_is_never_overwritten(tmp_path, log):
    make(tmp_path)
    with pytest.raises(HotpassError, match="a bundle is already there"):
        Bundle.create(tmp_path / "bundles", "test.bundle", "B-1")


def test_tar_export_round_trips_and_lists(tmp_path, log):
    bundle = make(tmp_path)
    archive = Path(export(bundle, load(), to=str(tmp_path / "out"), tar=True)[0])
    with tarfile.open(archive) as handle:
        handle.extractall(tmp_path / "unpacked", filter="data")
    verify(tmp_path / "unpacked" / bundle.name)
    rows = list_bundles(tmp_path)
    assert [(r["procedure"], r["id"]) for r in rows] == [("test.bundle", "B-1"),
                                                         ("test.bundle", "B-1")]


def test_a_broken_bundle_is_not_exported(tmp_path, log):
    bundle = make(tmp_path)
    (bundle / "cli.sh").unlink()
    with pytest.raises(HotpassError, match="cli.sh: missing"):
        export(bundle, load(), tar=True)
    assert not (tmp_path / "bundles" / "B-1.tar.gz").exists()


def test_a_short_secret_value_that_is_an_ordinary_word_does_not_break_bundles(
        tmp_path, log, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "hotpass")  # the native stack's key id
    with Bundle.create(tmp_path, "test.short", "SH-1") as bundle:
        bundle.run(["echo", "hotpass"])
        bundle.finish({}, "pass")
    assert verify(bundle.directory)["procedure"] == "test.short"
    assert "hotpass\n" in (bundle.directory / "cli.log").read_text()


class Composite(Procedure):
    """A procedure whose apply runs another procedure (as doctor --autofix and the
    rehearsals do)."""

    name = "test.composite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def plan(self, ev):
        return [Change(str(self.path), "create")]

    def apply(self, changes, ev):
        run(Touch(self.path))

    def verify(self, changes, ev):
        return [] if self.path.exists() else ["missing"]


def test_a_procedure_that_runs_a_procedure_links_it(tmp_path, log):
    outcome = run(Composite(tmp_path / "made"), evidence_root=tmp_path / "ev")
    assert [p.name for p in (tmp_path / "ev").iterdir()] == [outcome.bundle.name]
    [child] = verify(outcome.bundle)["children"]
    assert child["procedure"] == "test.touch" and child["path"].startswith("children/")


def test_a_procedure_summary_is_checked_against_its_own_schema(tmp_path):
    import shutil

    copy = tmp_path / "INC-example"
    shutil.copytree(ROOT / "evidence" / "examples" / "INC-example", copy)
    assert problems(copy) == []
    summary = json.loads((copy / "summary.json").read_text())
    del summary["reproduce"]["failing_stage"]
    summary["prefect"] = {"reachable": False}
    (copy / "summary.json").write_text(json.dumps(summary))
    found = "\n".join(problems(copy))
    assert "reproduce: 'failing_stage' is a required property" in found
    assert "prefect: 'why' is a required property" in found
    assert "summaries/incident.capture.schema.json" in found
