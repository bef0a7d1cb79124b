"""hotpass.shell (real programs through `sh`), hotpass.procs (real background processes:
ready probe, early exit, escalating stop) and hotpass.redact."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from hotpass import procs, shell
from hotpass.errors import HotpassError
from hotpass.procedure import Evidence
from hotpass.redact import redact


def test_shell_echoes_once_records_and_returns_stdout():
    lines: list[str] = []
    ev = Evidence("t", echo=lines.append)
    assert shell.run(["printf", "%s", "a b"], ev=ev) == "a b"
    assert lines == ["$ printf %s 'a b'"]
    [step] = ev.steps
    assert (step.call, step.status, step.exit_code, step.output) == (
        "printf %s 'a b'", "ok", 0, "a b")


def test_shell_failure_names_the_last_stderr_line_and_exit_code():
    ev = Evidence("t", echo=lambda line: None)
    with pytest.raises(HotpassError) as caught:
        shell.run(["sh", "-c", "echo first >&2; echo 'the real reason' >&2; exit 3"], ev=ev)
    assert caught.value.message == "sh: the real reason (exit 3)"
    assert caught.value.exit_code == 3
    assert ev.steps[0].status == "failed" and "first" in ev.steps[0].output
    with pytest.raises(HotpassError, match="no-such-program-x: not found on PATH") as missing:
        shell.run(["no-such-program-x"], ev=ev)
    assert missing.value.exit_code == 127 and ev.steps[-1].exit_code == 127
    with pytest.raises(HotpassError, match="timed out after 0.5 s"):
        shell.run(["sleep", "5"], ev=ev, timeout=0.5)
    assert shell.run(["sh", "-c", "exit 1"], ev=ev, ok_codes=(0, 1)) == ""


def test_shell_dry_run_runs_nothing_but_reads(tmp_path):
    lines: list[str] = []
    ev = Evidence("t", dry_run=True, echo=lines.append)
    target = tmp_path / "made"
    assert shell.run(["touch", str(target)], ev=ev) == ""
    assert not target.exists()
    assert shell.run(["echo", "status"], ev=ev, mutates=False) == "status\n"
    assert lines == [f"[dry-run] $ touch {target}", "$ echo status"]
    assert [(s.status, s.exit_code) for s in ev.steps] == [("not run", None), ("ok", 0)]


def test_shell_keeps_secrets_in_env_out_of_echo_and_record():
    lines: list[str] = []
    ev = Evidence("t", echo=lines.append)
    out = shell.run(["sh", "-c", 'echo "url=postgresql://u:$PW@db/x"'], ev=ev,
                    env={"PW": "hunter2secret"})
    assert "hunter2secret" in out  # the program got it
    assert "hunter2secret" not in "".join(lines) + ev.steps[0].call + ev.steps[0].output
    assert ev.steps[0].output.startswith("url=postgresql://u:***@db/x")


def test_redact_masks_secret_flags_on_command_lines():
    assert redact("login --password hunter2 -u me") == "login --password *** -u me"
    assert redact("x --api-key=zz9 --token-stdin -v") == "x --api-key=*** --token-stdin -v"
    assert redact(redact("--password hunter2")) == "--password ***"
    plain = "uv sync --locked --extra dev --dry-run --pool p"
    assert redact(plain) == plain


STUBBORN = ("import signal, time\n"
            "signal.signal(signal.SIGTERM, lambda *a: print('draining', flush=True))\n"
            "print('up', flush=True)\n"
            "while True:\n    time.sleep(0.05)\n")


def test_procs_start_status_and_escalating_stop(tmp_path):
    script = tmp_path / "stubborn.py"
    script.write_text(STUBBORN)
    handle = procs.start("stubborn", [sys.executable, str(script)], state_dir=tmp_path,
                         settle=0.5)
    assert procs.running_pid("stubborn", tmp_path) == handle.pid
    assert procs.status(tmp_path) == [{"name": "stubborn", "pid": handle.pid, "alive": True,
                                       "log": str(tmp_path / "stubborn.log")}]
    with pytest.raises(HotpassError, match="already running"):
        procs.start("stubborn", [sys.executable, str(script)], state_dir=tmp_path)
    result = procs.stop("stubborn", state_dir=tmp_path, timeout=1, grace=0.5)
    assert result["stopped"] and result["how"] == "SIGKILL"
    assert not procs.alive(handle.pid) and not handle.pidfile.exists()
    assert "draining" in handle.log.read_text()
    assert procs.stop("stubborn", state_dir=tmp_path)["how"] == "no pidfile"


def test_procs_waits_for_the_ready_probe(tmp_path):
    port_file = tmp_path / "port"
    server = ("import http.server, sys\n"
              "s = http.server.HTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\n"
              f"open({str(port_file)!r}, 'w').write(str(s.server_port))\n"
              "s.serve_forever()\n")
    probe_calls = []

    def ready() -> bool:
        probe_calls.append(time.monotonic())
        return port_file.exists() and procs.http_ready(
            f"http://127.0.0.1:{port_file.read_text()}/")()

    handle = procs.start("web", [sys.executable, "-c", server], state_dir=tmp_path,
                         cwd=tmp_path, ready=ready, timeout=30)
    try:
        assert procs.http_ready(f"http://127.0.0.1:{port_file.read_text()}/")()
        assert len(probe_calls) >= 1
    finally:
        assert procs.stop("web", state_dir=tmp_path)["how"] == "SIGTERM"
    assert not procs.alive(handle.pid)


def test_procs_early_exit_and_ready_timeout_fail_with_the_log(tmp_path):
    with pytest.raises(HotpassError, match=r"exited with 4: .*bad config line 3"):
        procs.start("broken", [sys.executable, "-c",
                               "import sys; print('bad config line 3'); sys.exit(4)"],
                    state_dir=tmp_path, settle=3)
    assert not (tmp_path / "broken.pid").exists()
    with pytest.raises(HotpassError, match=r"not ready after 1 s"):
        procs.start("never", [sys.executable, "-c", "import time; time.sleep(30)"],
                    state_dir=tmp_path, ready=lambda: False, timeout=1)
    assert not (tmp_path / "never.pid").exists() and procs.status(tmp_path) == []
    with pytest.raises(HotpassError, match="cannot start"):
        procs.start("nothing", [str(Path(tmp_path) / "no-such-binary")], state_dir=tmp_path)
