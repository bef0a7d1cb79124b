"""One refine-run composition behind ``refine`` and ``orchestrate`` (local mode), run as
the real CLI in subprocesses on the bundled sample exports: incremental runs publish the
full dataset, the day's input bundle keeps every input, ``--since`` means the same in
both commands, the profile search path, missing extras, and the Prefect API being down."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from hotpass.refine.cache_codec import decode

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
LOCAL = {"HOTPASS_ENABLE_PREFECT_RUNTIME": "0"}
# A real missing module: a finder that refuses the named top-level packages, installed
# before Hotpass starts (as if the extra were never installed).
BLOCKED_RUN = """
import sys
blocked = set(sys.argv[1].split(","))

class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Missing())
from hotpass.cli import main
main(sys.argv[2:], prog_name="hotpass")
"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "OPENLINEAGE", "HOTPASS_", "PREFECT_"))}
    return {**env, **extra}


def hotpass(*args, env=None, blocked: str = "", cwd: Path = ROOT):
    command = ([sys.executable, "-c", BLOCKED_RUN, blocked] if blocked
               else [sys.executable, "-m", "hotpass.cli"])
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=clean_env(**(env or {})), timeout=180)


def ok(result) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr + result.stdout
    return result


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(ROOT / "data", folder, ignore=shutil.ignore_patterns("*.md"))
    old = time.time() - 3 * 86400  # days before today: --since today leaves them out
    for path in folder.iterdir():
        os.utime(path, (old, old))
    return folder


def records(out: Path) -> pd.DataFrame:
    frame = pd.read_csv(out.with_suffix(".csv"), dtype=str, keep_default_na=False)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def bundle_members(out: Path) -> list[str]:
    day = dt.datetime.now(dt.UTC).date()
    bundle = out.parent / "input-archives" / f"hotpass-inputs-{day:%Y%m%d}.zip"
    with zipfile.ZipFile(bundle) as archive:
        assert archive.testzip() is None
        manifest = json.loads(archive.read("manifest.json"))
        names = sorted(n for n in archive.namelist() if n.startswith("inputs/"))
    assert [e["path"] for e in manifest["inputs"]] == names
    return [n.removeprefix("inputs/") for n in names]


def test_incremental_run_publishes_the_full_dataset_and_bundle(inputs, tmp_path):
    out = tmp_path / "orch" / "refined.xlsx"
    args = ["orchestrate", "--input-dir", inputs, "--output-path", out, "--incremental",
            "--archive", "--json"]
    first = json.loads(ok(hotpass(*args, env=LOCAL)).stdout)
    files = len(list(inputs.iterdir()))
    assert len(first["processed"]) == files
    (inputs / "crm_export.xlsx").touch()
    second = json.loads(ok(hotpass(*args, env=LOCAL)).stdout)
    assert second["processed"] == ["crm_export.xlsx"] and len(second["reused"]) == files - 1

    full = tmp_path / "full" / "refined.xlsx"
    ok(hotpass("refine", "--input-dir", inputs, "--output-path", full))
    assert second["records_out"] == first["records_out"] == len(records(full))
    pd.testing.assert_frame_equal(records(out), records(full))
    expected = sorted(p.name for p in inputs.iterdir())
    assert bundle_members(out) == expected
    report = json.loads((out.parent / "quality-report.json").read_text())
    assert sorted(report["inputs"]) == expected

    third = json.loads(ok(hotpass(*args, env=LOCAL)).stdout)
    assert third["status"] == "unchanged"
    pd.testing.assert_frame_equal(records(out), records(full))

    (inputs / "association_members.csv").unlink()  # a removed input is a change too
    fourth = json.loads(ok(hotpass(*args, env=LOCAL)).stdout)
    assert fourth["status"] == "refined" and fourth["processed"] == []
    assert len(fourth["reused"]) == files - 1
    smaller = tmp_path / "smaller" / "refined.xlsx"
    ok(hotpass("refine", "--input-dir", inputs, "--output-path", smaller))
    pd.testing.assert_frame_equal(records(out), records(smaller))
    assert "association_members.csv" in bundle_members(out)  # still that day's input


def test_an_incremental_resume_from_a_date_still_publishes_everything(inputs, tmp_path):
    out = tmp_path / "orch" / "refined.xlsx"
    args = ["orchestrate", "--input-dir", inputs, "--output-path", out, "--incremental",
            "--json"]
    ok(hotpass(*args, env=LOCAL))
    full = tmp_path / "full" / "refined.xlsx"
    ok(hotpass("refine", "--input-dir", inputs, "--output-path", full))
    (inputs / "crm_export.xlsx").touch()
    today = json.loads(ok(hotpass(*args, "--since", dt.date.today().isoformat(),
                                  env=LOCAL)).stdout)
    files = len(list(inputs.iterdir()))
    assert today["processed"] == ["crm_export.xlsx"] and len(today["reused"]) == files - 1
    pd.testing.assert_frame_equal(records(out), records(full))
    again = json.loads(ok(hotpass(*args, "--since", "2000-01-01", env=LOCAL)).stdout)
    assert len(again["processed"]) == files and again["since"] == "2000-01-01"
    pd.testing.assert_frame_equal(records(out), records(full))


def test_a_since_run_merges_into_the_days_bundle(inputs, tmp_path):
    out = tmp_path / "dist" / "refined.xlsx"
    ok(hotpass("refine", "--input-dir", inputs, "--output-path", out, "--archive"))
    (inputs / "crm_export.xlsx").touch()
    today = dt.date.today().isoformat()
    summary = json.loads(ok(hotpass("refine", "--input-dir", inputs, "--output-path", out,
                                    "--archive", "--since", today, "--partial", "--json")).stdout)
    assert summary["totals"]["files"] == 1
    assert bundle_members(out) == sorted(p.name for p in inputs.iterdir())


def test_a_damaged_cache_entry_is_prepared_again(inputs, tmp_path):
    out = tmp_path / "orch" / "refined.xlsx"
    args = ["orchestrate", "--input-dir", inputs, "--output-path", out, "--incremental",
            "--json"]
    ok(hotpass(*args, env=LOCAL))
    entries = sorted((out.parent / "refined.prepared").glob("*.entry.zip"))
    assert len(entries) == len(list(inputs.iterdir()))
    # damage another input's entry than the one touched below (keys order by hash)
    torn = next(e for e in entries if decode(e.read_bytes()).relative != "crm_export.xlsx")
    torn.write_bytes(b"torn")
    (inputs / "crm_export.xlsx").touch()
    again = json.loads(ok(hotpass(*args, env=LOCAL)).stdout)
    assert len(again["processed"]) == 2 and len(again["reused"]) == len(entries) - 2
    full = tmp_path / "full" / "refined.xlsx"
    ok(hotpass("refine", "--input-dir", inputs, "--output-path", full))
    pd.testing.assert_frame_equal(records(out), records(full))


def test_since_means_local_midnight_on_or_after_in_both_commands(inputs, tmp_path):
    zone = {"TZ": "Africa/Johannesburg", **LOCAL}  # UTC+2 all year
    midnight = dt.datetime(2024, 11, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    stamps = {"association_members.csv": midnight,  # exactly local midnight: in
              "crm_export.xlsx": midnight + dt.timedelta(hours=1, minutes=30),  # in
              "regional_list_1.xlsx": midnight - dt.timedelta(seconds=1)}  # out
    for name, when in stamps.items():
        os.utime(inputs / name, (when.timestamp(), when.timestamp()))
    read = {}
    for command in ("refine", "orchestrate"):
        out = tmp_path / command / "refined.xlsx"
        ok(hotpass(command, "--input-dir", inputs, "--output-path", out, "--since",
                   "2024-11-01", env=zone))
        read[command] = json.loads((out.parent / "quality-report.json").read_text())["inputs"]
    assert sorted(read["refine"]) == sorted(read["orchestrate"]) == sorted(
        p.name for p in inputs.iterdir() if p.name != "regional_list_1.xlsx")


def test_orchestrate_honours_the_profile_search_path(inputs, tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    text = (ROOT / "profiles" / "generic.yaml").read_text()
    (folder / "house.yaml").write_text(text.replace("name: generic", "name: house", 1))
    out = tmp_path / "out" / "refined.xlsx"
    result = ok(hotpass("orchestrate", "--input-dir", inputs, "--output-path", out,
                        "--profile", "house", "--json",
                        env={"HOTPASS_PROFILE_SEARCH_PATH": str(folder), **LOCAL}))
    assert json.loads(result.stdout)["records_out"] > 0
    assert json.loads((out.parent / "quality-report.json").read_text())["profile"] == "house"


@pytest.mark.parametrize(("command", "env", "blocked", "asked"), [
    ("refine", {}, "opentelemetry", "--enable-observability"),
    ("refine", {"OPENLINEAGE_URL": "http://127.0.0.1:9"}, "openlineage", "OPENLINEAGE_URL"),
    ("orchestrate", LOCAL, "opentelemetry", "--enable-observability"),
    ("orchestrate", {"OPENLINEAGE_URL": "http://127.0.0.1:9", **LOCAL}, "openlineage",
     "OPENLINEAGE_URL"),
])
def test_a_missing_observability_extra_is_one_line(inputs, tmp_path, command, env, blocked,
                                                   asked):
    out = tmp_path / "out" / "refined.xlsx"
    flags = ["--enable-observability"] if asked.startswith("--") else []
    result = hotpass(command, "--input-dir", inputs, "--output-path", out, *flags, env=env,
                     blocked=blocked)
    assert result.returncode == 2, result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("hotpass: error: " + asked)
    assert "pip install 'hotpass[observability]'" in lines[0] and blocked in lines[0]
    assert not out.parent.exists()


def test_orchestrate_with_the_prefect_api_down_is_one_line(inputs, tmp_path):
    out = tmp_path / "out" / "refined.xlsx"
    result = hotpass("orchestrate", "--input-dir", inputs, "--output-path", out,
                     env={"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()], result.stderr
    assert "cannot reach the Prefect API at http://127.0.0.1:9/api" in result.stderr
    assert not out.parent.exists()


def test_orchestrate_honours_the_active_prefect_profile(inputs, tmp_path):
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        'active = "ops"\n\n[profiles.ops]\nPREFECT_API_URL = "http://127.0.0.1:9/api"\n')
    result = hotpass("orchestrate", "--input-dir", inputs, "--output-path",
                     tmp_path / "out" / "refined.xlsx", env={"PREFECT_HOME": str(home)})
    assert result.returncode == 2, result.stdout
    assert "cannot reach the Prefect API at http://127.0.0.1:9/api" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_bad_since_on_the_prefect_runtime_is_only_the_one_line(inputs, tmp_path):
    result = hotpass("orchestrate", "--input-dir", inputs, "--since", "2024-02-30",
                     env={"HOTPASS_ENABLE_PREFECT_RUNTIME": "1"})
    assert result.returncode == 2
    assert result.stderr == "hotpass: error: --since 2024-02-30: not a date like 2024-11-01\n"
    assert result.stdout == ""


def test_deploy_dry_run_with_the_server_down_validates_offline(tmp_path):
    down = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}
    result = ok(hotpass("deploy", "--flow", "refinement", "--flow", "backfill", "--dry-run",
                        env=down, cwd=tmp_path))
    assert result.stdout.count("server unreachable: cannot compare with what is "
                               "registered") == 2
    assert "unknown (would)" in result.stdout and result.stderr == ""
    offline = ok(hotpass("deploy", "--flow", "refinement", "--no-upload", "--dry-run",
                         env=down, cwd=tmp_path))
    assert "create (would)" in offline.stdout
    bad = tmp_path / "manifests"
    shutil.copytree(ROOT / "prefect", bad, ignore=shutil.ignore_patterns("staging", "prod"))
    text = (bad / "backfill.yaml").read_text()
    (bad / "backfill.yaml").write_text(text.replace("parameters:", "parameters:\n  nope: 1", 1))
    failed = hotpass("deploy", "--flow", "backfill", "--manifest-dir", bad, "--dry-run",
                     env=down, cwd=tmp_path)
    assert failed.returncode == 2 and "parameters.nope" in failed.stderr
    assert list(tmp_path.iterdir()) == [bad]  # nothing written by any dry run
