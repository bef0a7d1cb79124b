"""``python -m hotpass``: the same as ``hotpass``."""

from hotpass.cli import main

main(prog_name="hotpass")
