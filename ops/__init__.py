"""Invoke task modules, one namespace per procedure area. Tasks parse and compose; the
logic they call lives in ``hotpass/``."""
