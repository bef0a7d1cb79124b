"""Unpacking an input bundle for a replay: the whole bundle is validated before one byte is
extracted, and every malformed kind is one line.

Contract: ``extract_input_bundle(bundle_path, target_dir)`` checks, in order: a readable
zip; no member encrypted, none with a compression method other than stored, deflate,
bzip2 or lzma, no name absolute, with ``..`` or listed twice, none both a file and a
folder; each member and all of them together under the memory budget
(``ingest.limits.memory_budget``: a replayed input is read whole later); ``SHA256SUMS``
present, UTF-8, every line ``<64 hex>  <name>`` naming a member, every member listed.
Only then it streams each ``inputs/`` member to ``target_dir`` (never more than one
chunk in memory), hashing as it goes; a mismatch (or a damaged stream) is one
``HotpassError`` naming the member. Returns ``target_dir``.

Pitfalls: a member's declared size is checked before extraction and the stream is cut at
that size, so a header that understates it cannot fill the disk.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from hotpass.errors import HotpassError

CHECKSUMS = "SHA256SUMS"
CHUNK = 1 << 20
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_SUM_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")


def extract_input_bundle(bundle_path: Path, target_dir: Path) -> Path:
    """Validate the whole bundle, then unpack its inputs; see the module docstring."""
    bundle_path, target_dir = Path(bundle_path), Path(target_dir)
    where = f"--input-dir {bundle_path}"
    try:
        with zipfile.ZipFile(bundle_path) as bundle:
            infos = _check_members(bundle.infolist(), where)
            sums = _read_sums(bundle, infos, where)
            for name, digest in sums.items():  # every listed member verifies; inputs land
                _extract(bundle, infos[name], digest, target_dir, where)
    except zipfile.BadZipFile as exc:
        raise HotpassError(f"{where}: not a readable zip ({exc})") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise HotpassError(f"{where}: cannot unpack it ({exc})") from None
    return target_dir


def _check_members(infos: list[zipfile.ZipInfo], where: str) -> dict[str, zipfile.ZipInfo]:
    from hotpass.refine.ingest.limits import memory_budget

    budget, members, total = memory_budget(), {}, 0
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise HotpassError(f"{where}: member {name} is encrypted; a Hotpass bundle never is")
        if info.compress_type not in _METHODS:
            raise HotpassError(f"{where}: member {name} uses compression method "
                               f"{info.compress_type}, which is not one zip readers share")
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or "\\" in name:
            raise HotpassError(f"{where}: member {name} would land outside the folder")
        key = name.rstrip("/")
        if key in members:
            raise HotpassError(f"{where}: member {key} is listed twice")
        members[key] = info
        total += info.file_size
        if info.file_size > budget or total > budget:
            raise HotpassError(f"{where}: member {name} unpacks to "
                               f"{info.file_size / 2**30:.1f} GiB ({total / 2**30:.1f} GiB so "
                               f"far), more than the {budget / 2**30:.1f} GiB a replay may hold")
    for key, info in members.items():
        for parent in PurePosixPath(key).parents:
            other = members.get(str(parent))
            if other is not None and not other.is_dir():
                raise HotpassError(f"{where}: {parent} is both a file and a folder "
                                   f"(member {info.filename})")
    return {info.filename: info for info in members.values()}


def _read_sums(bundle: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
               where: str) -> dict[str, str]:
    if CHECKSUMS not in infos:
        raise HotpassError(f"{where}: no {CHECKSUMS}; not a Hotpass input bundle")
    try:
        text = bundle.read(CHECKSUMS).decode("utf-8")
    except UnicodeDecodeError:
        raise HotpassError(f"{where}: {CHECKSUMS} is not UTF-8 text") from None
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if match is None:
            raise HotpassError(f"{where}: {CHECKSUMS} line {number} is not a sha256sum line "
                               f"(64 hex digits, two spaces, a name): {line[:80]!r}")
        digest, name = match.groups()
        if name not in infos:
            raise HotpassError(f"{where}: {CHECKSUMS} line {number} names {name}, which the "
                               "bundle does not hold")
        sums[name] = digest
    unlisted = [n for n, i in infos.items() if n != CHECKSUMS and not i.is_dir() and n not in sums]
    if unlisted:
        raise HotpassError(f"{where}: member {unlisted[0]} is not in {CHECKSUMS}")
    return sums


def _extract(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, digest: str, target_dir: Path,
             where: str) -> None:
    """Hash one member as it streams; an ``inputs/`` member is written as it goes."""
    dest = None
    if info.filename.startswith("inputs/"):
        dest = (target_dir / info.filename.removeprefix("inputs/")).resolve()
        if not dest.is_relative_to(target_dir.resolve()):
            raise HotpassError(f"{where}: member {info.filename} escapes the target")
        dest.parent.mkdir(parents=True, exist_ok=True)
    hasher, left = hashlib.sha256(), info.file_size
    with bundle.open(info) as source, (dest.open("wb") if dest else _Discard()) as out:
        while left > 0 and (chunk := source.read(min(CHUNK, left))):
            hasher.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    if hasher.hexdigest() != digest:
        if dest:
            dest.unlink(missing_ok=True)
        raise HotpassError(f"{where}: checksum mismatch for member {info.filename}")


class _Discard:
    def __enter__(self) -> _Discard:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, chunk: bytes) -> None:
        return None
