"""Give freed heap memory back to the operating system between refine's stages, and
build large object graphs without the cyclic collector.

Contract: ``release_free_memory()`` asks Arrow's memory pool (when pyarrow is loaded)
and glibc (``malloc_trim(0)``) to return the free parts of their heaps. Consolidation
frees hundreds of MB of short-lived arrays and strings, but glibc keeps the fragmented
pages mapped, and the export's writers would add to them. Trimming first gave back ~170 MB
at 200k rows; after the resolution's features, ~150 MB; before the merge, ~170 MB.

``gc_paused()`` runs its block with the cyclic garbage collector off (as it was after):
building a sheet's worth of row lists (hundreds of thousands of container objects) made
the collector run again and again, each older-generation pass walking the whole heap,
3-4x the time of the building itself.

Pitfalls: glibc only; on other C libraries (musl, macOS) it is a no-op. It walks the heap
(tens of milliseconds), so call it at stage boundaries, not in loops.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterator
from functools import lru_cache


def release_free_memory() -> None:
    if "pyarrow" in sys.modules:  # Arrow's own pool (mimalloc) keeps freed pages too
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
