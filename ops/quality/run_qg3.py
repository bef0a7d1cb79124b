"""QG-3 as the incident runbook calls it: ``uv run python ops/quality/run_qg3.py --json``.

Refines the sample data, enriches it offline into a fresh run directory under
``dist/quality-gates/`` and prints the enrichment gate's payload (run dir, input and
output paths, configuration, per-step status and duration, checks, passed); exit 1 when
it did not pass. The logic is ``hotpass.qa.enrichment_gate.qg3``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="Print the payload as JSON.")
    parser.add_argument("--profile", default=None, help="Profile (default generic).")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="Where run directories go (default dist/quality-gates).")
    args = parser.parse_args(argv)
    from hotpass.errors import HotpassError
    from hotpass.front_door import install
    from hotpass.paths import SOURCE_ROOT
    from hotpass.qa.enrichment_gate import qg3
    from hotpass.qa.gates import WORK_DIR
    from hotpass.qa.model import Context
    from hotpass.settings import load

    try:
        settings = load()  # this script is a front door: its one settings load
        install(lambda: settings)  # where the procedures' evidence goes
        profile = args.profile or settings.profile
        from hotpass.profiles import load_profile

        load_profile(profile)
        payload = qg3(Context(profile, SOURCE_ROOT, args.work_dir or WORK_DIR, settings))
    except HotpassError as exc:
        print(f"run_qg3: error: {exc.message}", file=sys.stderr)
        return exc.exit_code or 1
    if args.json:
        print(json.dumps(payload, indent=2, sort_keys=True, allow_nan=False))
    else:
        for step in payload["steps"]:
            print(f"{step['name']:<8} {step['status']:<8} {step['duration_seconds']:.2f}s "
                  f"{step['message']}")
        print(f"QG-3 {'passed' if payload['passed'] else 'FAILED'}: {payload['run_dir']}")
    return 0 if payload["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
