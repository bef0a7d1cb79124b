"""Malformed replay bundles are refused before anything is extracted, each with one line:
a bad SHA256SUMS line, non-UTF-8 sums, a member that is both file and folder, an unknown
compression method, the encrypted flag, and a 1 MB bundle holding a 1 GiB member (memory
stays under 1 GB)."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from tests.peak import run_with_peak

pytestmark = pytest.mark.integration

SMALL_BUDGET = ("import hotpass.refine.ingest.limits as l; l.MAX_BUDGET_BYTES = 256 * 2**20; "
                "from hotpass.cli import main; main(prog_name='hotpass')")
CSV = b"Company Name,E-mail\nAcme Ltd,info@acme.co.za\n"
GOOD_SUM = "a" * 64


def _bundle(path: Path, members: dict[str, bytes], sums: bytes | None = None,
            method: int = zipfile.ZIP_DEFLATED) -> Path:
    import hashlib

    if sums is None:
        sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n"
                       for n, d in members.items()).encode()
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("SHA256SUMS", sums)
    return path


def _patch_headers(path: Path, offset_local: int, offset_central: int, value: int,
                   mask: bool = False) -> None:
    """Rewrite one 2-byte field of every local and central header (flag bits, method)."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", offset_local), (b"PK\x01\x02", offset_central)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            field = start + offset
            old = int.from_bytes(data[field:field + 2], "little")
            data[field:field + 2] = ((old | value) if mask else value).to_bytes(2, "little")
            start += 4
    path.write_bytes(bytes(data))


def _replay(bundle: Path, tmp_path: Path, *, small_budget: bool = False):
    """The refine's result and its peak memory in MiB."""
    launcher = ["-c", SMALL_BUDGET] if small_budget else ["-m", "hotpass"]
    return run_with_peak([sys.executable, *launcher, "refine", "--input-dir", str(bundle),
                          "--output-path", str(tmp_path / "out" / "refined.xlsx")],
                         timeout=300)


def _make(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.zip"
    if kind == "bad sums line":
        return _bundle(path, {"inputs/a.csv": CSV}, b"not-a-digest inputs/a.csv\n")
    if kind == "non-utf8 sums":
        return _bundle(path, {"inputs/a.csv": CSV}, b"\xff\xfe\x00garbage\n")
    if kind == "file and folder":
        return _bundle(path, {"inputs/a.csv": CSV, "inputs/a.csv/b.csv": CSV})
    if kind == "unknown method":
        _bundle(path, {"inputs/a.csv": CSV}, method=zipfile.ZIP_STORED)
        _patch_headers(path, 8, 10, 99)
        return path
    if kind == "encrypted":
        _bundle(path, {"inputs/a.csv": CSV})
        _patch_headers(path, 6, 8, 0x1, mask=True)
        return path
    raise AssertionError(kind)


@pytest.mark.parametrize(("kind", "says"), [
    ("bad sums line", "SHA256SUMS line 1 is not a sha256sum line"),
    ("non-utf8 sums", "SHA256SUMS is not UTF-8 text"),
    ("file and folder", "inputs/a.csv is both a file and a folder"),
    ("unknown method", "uses compression method 99"),
    ("encrypted", "is encrypted"),
])
def test_each_malformed_bundle_is_one_line(tmp_path, kind, says):
    result, _ = _replay(_make(kind, tmp_path), tmp_path)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and says in result.stderr, result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_small_bundle_with_a_huge_member_is_refused_before_extraction(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("inputs/big.csv", "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(1024):
                member.write(block)
        archive.writestr("SHA256SUMS", f"{GOOD_SUM}  inputs/big.csv\n")
    assert path.stat().st_size < 2 * 2**20
    result, peak_mib = _replay(path, tmp_path, small_budget=True)
    assert result.returncode == 2, result.stderr
    assert "unpacks to 1.0 GiB" in result.stderr and len(result.stderr.splitlines()) == 1
    assert 0 < peak_mib < 1024, f"peak memory {peak_mib:.0f} MiB"


def test_a_good_bundle_still_replays(tmp_path):
    bundle = _bundle(tmp_path / "good.zip", {"inputs/a.csv": CSV, "manifest.json": b"{}"})
    result, _ = _replay(bundle, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Acme Ltd" in (tmp_path / "out" / "refined.csv").read_text()
