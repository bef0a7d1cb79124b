"""The fresh interpreter ``refine.isolation`` starts when forking is unsafe (threads).

Contract: ``python -m hotpass.refine.isolated_child`` reads one pickled
``(parent_pid, result_fd, function, args)`` from stdin, runs it as a forked child would
(``isolation._child``: follows the parent, writes the pickled result to ``result_fd``,
leaves with ``os._exit``).

Pitfalls: the stdin comes from the parent alone (a pipe it wrote and closed), so
unpickling it runs nothing a user's file could choose.
"""

from __future__ import annotations

import pickle
import sys

from hotpass.refine.isolation import _child


def main() -> None:
    parent, result_fd, function, args = pickle.loads(sys.stdin.buffer.read())
    _child(parent, None, result_fd, function, args)


if __name__ == "__main__":
    main()
