"""The procedure shape on a real (file-based) procedure: plan diffs the live state, dry
runs write nothing and record `not run`, verify re-reads and fails on any difference,
and every record written matches evidence/procedure-record.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from hotpass import shell
from hotpass.errors import HotpassError
from hotpass.procedure import Change, Procedure, ProcedureFailed, plan_lines, run

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "evidence" / "procedure-record.schema.json").read_text())


class WriteSettings(Procedure):
    """Keep a KEY=value file equal to ``wanted``; ``tamper`` simulates a second writer."""

    name = "test.settings"

    def __init__(self, path: Path, wanted: dict[str, str], tamper: bool = False,
                 fail_apply: bool = False) -> None:
        self.path, self.wanted, self.tamper, self.fail_apply = path, wanted, tamper, fail_apply

    def read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return dict(line.split("=", 1) for line in self.path.read_text().splitlines())

    def prepare(self, ev):
        bad = [key for key in self.wanted if not key.isidentifier()]
        if bad:
            raise HotpassError(f"--set {bad[0]}: not a valid key")

    def plan(self, ev):
        live = self.read()
        return [Change(key, "unchanged" if live.get(key) == value else
                       ("update" if key in live else "create"),
                       {"from": live.get(key), "to": value})
                for key, value in sorted(self.wanted.items())]

    def apply(self, changes, ev):
        merged = {**self.read(), **{c.target: c.detail["to"] for c in changes}}
        shell.run(["sh", "-c", 'printf "%s" "$BODY" > "$TARGET"'], ev=ev,
                  env={"BODY": "\n".join(f"{k}={v}" for k, v in merged.items()),
                       "TARGET": str(self.path)})
        if self.fail_apply:
            shell.run(["sh", "-c", "echo 'disk full' >&2; exit 28"], ev=ev)
        if self.tamper:
            self.path.write_text("DB_URL=postgresql://app:other@db/x\n")

    def verify(self, changes, ev):
        live = self.read()
        return [f"{key}: {live.get(key)!r} != {value!r}" for key, value in self.wanted.items()
                if live.get(key) != value]

    def result(self, ev):
        return {"file": self.read(), "dry_run": ev.dry_run}


def records(root: Path) -> list[dict]:
    found = [json.loads(p.read_text()) for p in sorted(root.glob("*/record.json"))]
    for record in found:
        jsonschema.validate(record, SCHEMA)
    return found


def test_dry_run_plans_against_live_state_and_writes_nothing(tmp_path):
    target = tmp_path / "app.env"
    target.write_text("LEVEL=info\nDB_URL=postgresql://app:s3cret@db/x")
    lines = []
    outcome = run(WriteSettings(target, {"LEVEL": "debug",
                                         "DB_URL": "postgresql://app:s3cret@db/x",
                                         "NEW": "1"}),
                  dry_run=True, evidence_root=tmp_path / "ev", echo=lines.append)
    assert {c.target: c.action for c in outcome.changes} == {
        "DB_URL": "unchanged", "LEVEL": "update", "NEW": "create"}
    assert outcome.bundle is None and not (tmp_path / "ev").exists()
    assert target.read_text() == "LEVEL=info\nDB_URL=postgresql://app:s3cret@db/x"
    record = outcome.evidence.to_dict()
    jsonschema.validate(record, SCHEMA)
    assert record["status"] == "planned"
    later = [s for s in record["steps"] if s["phase"] in ("apply", "verify")]
    assert [s["call"] for s in later] == ["update LEVEL", "create NEW", "test.settings.verify"]
    assert all(s["status"] == "not run" and s["exit_code"] is None for s in later)
    assert "s3cret" not in json.dumps(record)  # the detail was redacted too
    assert plan_lines(outcome.changes, dry_run=True)[:2] == [
        'DB_URL: unchanged  from="postgresql://app:***@db/x", to="postgresql://app:***@db/x"',
        'LEVEL: update (would)  from="info", to="debug"']


def test_apply_then_verify_writes_an_honest_record(tmp_path):
    target = tmp_path / "app.env"
    outcome = run(WriteSettings(target, {"LEVEL": "debug"}), evidence_root=tmp_path / "ev",
                  echo=lambda line: None)
    assert target.read_text() == "LEVEL=debug"
    [record] = records(tmp_path / "ev")
    assert outcome.bundle == next((tmp_path / "ev").iterdir())
    assert record["status"] == "ok" and record["differences"] == []
    shell_step = next(s for s in record["steps"] if s["call"].startswith("sh -c"))
    assert shell_step["phase"] == "apply" and shell_step["exit_code"] == 0
    assert [s["phase"] for s in record["steps"]][-1] == "verify"

    again = run(WriteSettings(target, {"LEVEL": "debug"}), evidence_root=tmp_path / "ev2",
                echo=lambda line: None)
    assert [c.action for c in again.changes] == ["unchanged"]
    [second] = records(tmp_path / "ev2")
    apply = [s for s in second["steps"] if s["phase"] == "apply"]
    assert apply == [{"phase": "apply", "call": "test.settings.apply", "status": "not run",
                      "exit_code": None, "output": "nothing to change", "duration_s": 0.0}]


def test_verify_fails_on_any_difference_and_names_the_bundle(tmp_path):
    target = tmp_path / "app.env"
    with pytest.raises(HotpassError) as caught:
        run(WriteSettings(target, {"DB_URL": "postgresql://app:s3cret@db/x"}, tamper=True),
            evidence_root=tmp_path / "ev", echo=lambda line: None)
    assert "verify found the live state differs" in caught.value.message
    assert "(evidence " in caught.value.message and "s3cret" not in caught.value.message
    [record] = records(tmp_path / "ev")
    assert record["status"] == "failed" and record["differences"]
    assert "s3cret" not in json.dumps(record) and "other" not in json.dumps(record)
    assert record["steps"][-1]["phase"] == "verify" and record["steps"][-1]["status"] == "failed"


def test_a_failed_command_is_recorded_with_its_exit_code(tmp_path):
    with pytest.raises(HotpassError, match=r"sh: disk full \(exit 28\)") as caught:
        run(WriteSettings(tmp_path / "app.env", {"A": "1"}, fail_apply=True),
            evidence_root=tmp_path / "ev", echo=lambda line: None)
    assert caught.value.exit_code == 28
    [record] = records(tmp_path / "ev")
    failed = [s for s in record["steps"] if s["status"] == "failed"]
    assert [s["exit_code"] for s in failed] == [28, 28]  # the command, then the apply phase
    assert "disk full" in failed[0]["output"]
    assert not any(s["phase"] == "verify" for s in record["steps"])


def test_bad_input_is_rejected_in_prepare_and_leaves_nothing(tmp_path):
    target = tmp_path / "app.env"
    with pytest.raises(HotpassError, match="--set not-a-key: not a valid key"):
        run(WriteSettings(target, {"not-a-key": "1"}), evidence_root=tmp_path / "ev")
    assert not target.exists() and not (tmp_path / "ev").exists()


def test_run_returns_the_procedures_result_after_verify_and_on_failure(tmp_path):
    target = tmp_path / "app.env"
    planned = run(WriteSettings(target, {"LEVEL": "debug"}), dry_run=True,
                  echo=lambda line: None)
    assert planned.result == {"file": {}, "dry_run": True}  # after the plan, nothing written
    done = run(WriteSettings(target, {"LEVEL": "debug"}), evidence_root=tmp_path / "ev",
               echo=lambda line: None)
    assert done.result == {"file": {"LEVEL": "debug"}, "dry_run": False}  # read after apply
    with pytest.raises(ProcedureFailed) as caught:
        run(WriteSettings(target, {"LEVEL": "x"}, tamper=True), evidence_root=tmp_path / "ev2",
            echo=lambda line: None)
    failed = caught.value.outcome
    assert failed.result["file"] == {"DB_URL": "postgresql://app:other@db/x"}
    assert failed.bundle is not None and str(failed.bundle) in caught.value.message
    assert failed.evidence.status == "failed"
