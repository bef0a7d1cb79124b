"""Evidence bundles: what every procedure leaves behind to prove what it did.

A bundle is a directory: captured files, ``cli.sh`` (every command in order, each
followed by its exit status as a comment; replayable), ``cli.log`` (transcripts),
``record.json`` (the procedure record: plan and steps), ``summary.json`` (verdict and the
procedure's own figures) and ``manifest.json`` (every file with size and sha256, child
bundles, git commit, Hotpass version, start and end). Schemas: ``evidence/*.schema.json``.
A bundle is one concept with ``hotpass.procedure.Evidence``: every ``procedure.run``
writes one, and ``Bundle`` is that record with its directory open from the start.

API (what procedures and tasks call)::

    from hotpass.evidence import Bundle, export, list_bundles, verify

    with Bundle.create(root, "incident.capture", "INC-42", owner="ops") as bundle:
        result = bundle.run(["hotpass", "net", "status", "--json"], stdout_to="net.json")
        bundle.capture("logs/app.log")               # redacted copy
        bundle.capture("inputs", verbatim=True)      # data, byte for byte
        bundle.finish({"exit_code": result.exit_code}, "pass")   # or "fail", reason=...
    verify(bundle.directory)                          # raises HotpassError naming the file
    export(bundle.directory, to="s3://bucket/prefix") # or tar=True
    list_bundles("dist")                              # outermost bundles, oldest first

Contract: everything written is redacted first (``hotpass.redact`` plus the values of
secret-named environment variables); ``finish`` validates the bundle against the schemas
and appends one row to ``Next_Steps_Log.md`` (``HOTPASS_NEXT_STEPS_LOG``). A
``hotpass.procedure.run`` inside ``with bundle:`` writes its bundle into
``children/`` and is linked (composite procedures). An exception leaving ``with bundle:``
finishes it with verdict ``fail``: a bundle is written in every case.

Pitfalls: a procedure-specific ``summary.json`` schema lives in
``evidence/summaries/<procedure>.schema.json`` (``allOf`` the common
``summary.schema.json``); without one only the common fields are checked.
"""

from hotpass.evidence.bundle import Bundle, Result
from hotpass.evidence.catalog import append_log, check_name, list_bundles
from hotpass.evidence.export import export
from hotpass.evidence.manifest import problems, verify

__all__ = ["Bundle", "Result", "append_log", "check_name", "export", "list_bundles",
           "problems", "verify"]
