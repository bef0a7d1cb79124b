"""``python -m hotpass``: the same as ``hotpass``."""

from hotpass.entry import main

main()
