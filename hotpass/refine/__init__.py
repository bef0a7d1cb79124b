"""Refine: ingest -> map columns -> normalise -> de-duplicate -> validate -> export.

Import the steps from their modules; this package root stays import-light.
"""
