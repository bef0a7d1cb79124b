"""Benchmarks and the sample generator with its truth.

Contract: ``refine`` times the real ``hotpass refine`` command as a child process beside a
naive pipeline; ``dedupe`` runs Hotpass's resolution beside Splink (``splink``) on generated
data or the public FEBRL reference (``febrl``); ``samples`` writes messy workbooks with
truth. Nothing here imports the CLI.
"""
