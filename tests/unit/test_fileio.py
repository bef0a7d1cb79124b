"""Atomic writes: targets change only on success; temps never outlive the write."""

from __future__ import annotations

import hashlib

import pytest

from hotpass.fileio import (
    AtomicBatch,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    sha256_file,
)


def test_atomic_path_replaces_target_from_a_hidden_temp_beside_it(tmp_path):
    target = tmp_path / "nested" / "deeper" / "out.txt"
    with atomic_path(target) as temp:
        assert temp.parent == target.parent
        assert temp.name.startswith(".out.txt.")
        assert not target.exists()
        temp.write_text("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_atomic_path_failure_keeps_old_target_and_removes_temp(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as temp:
        temp.write_text("half-written")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_bytes_and_text_round_trip(tmp_path):
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01\xff")
    atomic_write_text(tmp_path / "t.txt", "línea\nline\r\n")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01\xff"
    assert (tmp_path / "t.txt").read_bytes() == "línea\nline\r\n".encode()


def test_batch_commits_every_target_together(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.parquet"
    first.write_text("old a")
    with AtomicBatch() as batch:
        batch.path_for(first).write_text("new a")
        batch.path_for(second).write_text("new b")
        assert first.read_text() == "old a" and not second.exists()
    assert (first.read_text(), second.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.parquet"]


def test_batch_failure_touches_no_target_and_removes_temps(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a")
    second.write_text("old b")
    with pytest.raises(ValueError, match="second write failed"), AtomicBatch() as batch:
        batch.path_for(first).write_text("new a")
        batch.path_for(second).write_text("partial")
        raise ValueError("second write failed")
    assert (first.read_text(), second.read_text()) == ("old a", "old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_batch_with_an_unwritten_temp_fails_before_any_rename(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a")
    with pytest.raises(FileNotFoundError), AtomicBatch() as batch:
        batch.path_for(first).write_text("new a")
        batch.path_for(second)  # reserved but never written
    assert first.read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_batch_refuses_a_directory_target_without_renaming_others(tmp_path):
    first, blocked = tmp_path / "a.csv", tmp_path / "out.xlsx"
    blocked.mkdir()
    with pytest.raises(IsADirectoryError, match="out.xlsx"), AtomicBatch() as batch:
        batch.path_for(first).write_text("new a")
        batch.path_for(blocked).write_text("xlsx")
    assert not first.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_batch_rejects_the_same_target_twice(tmp_path):
    batch = AtomicBatch()
    batch.path_for(tmp_path / "a.csv")
    with pytest.raises(ValueError, match="already part of this batch"):
        batch.path_for(tmp_path / "a.csv")
    batch.discard()


def test_sha256_file_matches_hashlib_across_chunks(tmp_path):
    data = bytes(range(256)) * 9000  # ~2.2 MiB: spans several read chunks
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
