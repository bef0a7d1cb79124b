"""Quality gates that check content, and the QA report.

Rooms: ``gates`` (the registry: id -> name and check function, and ``run_gates``),
``cli_gate``, ``data_gate``, ``enrichment_gate`` (QG-3), ``manifests_gate``,
``docs_gate`` (one check each), ``report`` (JSON shape, history, terminal table) and
``html`` (the self-contained page with inline SVG charts).

Pitfall: this package module imports nothing heavy; the CLI imports it at ``--help``.
"""
