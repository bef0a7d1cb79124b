"""The native-writer guard keeps what others write to stderr meanwhile and lets every
error but a Rust panic through unchanged (the panic itself: tests/integration/
test_run_safety.py, a workbook writer past a file size limit)."""

from __future__ import annotations

import os

import pytest

from hotpass.refine.output.native_panic import panics_as_os_error


def test_text_written_to_stderr_meanwhile_comes_out_after(capfd):
    with panics_as_os_error("the writer"):
        os.write(2, b"a line from another thread\n")
        assert capfd.readouterr().err == ""  # held back while the writer runs
    assert capfd.readouterr().err == "a line from another thread\n"


def test_other_errors_pass_unchanged_and_stderr_is_restored(capfd):
    with pytest.raises(ValueError, match="not a panic"), panics_as_os_error("the writer"):
        os.write(2, b"said before failing\n")
        raise ValueError("not a panic")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "said before failing\nafter\n"


def test_a_panic_is_one_os_error_and_its_message_stays_off_stderr(capfd):
    class PanicException(BaseException):  # pyo3's type, matched by name as it is there
        pass

    stopped = "the writer stopped: one of its writes failed"
    with pytest.raises(OSError, match=stopped), panics_as_os_error("the writer"):
        os.write(2, b"thread '<unnamed>' panicked at worksheet.rs\n")
        raise PanicException("called `Result::unwrap()` on an `Err` value")
    assert capfd.readouterr().err == ""
