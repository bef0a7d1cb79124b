"""The ``data`` gate: refine the sample data, then check what the dataset must say.

Contract: ``check(context)`` refines ``context.data`` into a fresh run directory and
``check_dataset(refined, provenance, profile)`` the result:

- the profile's expectations: required fields filled in every record; values in the
  format their kind promises (e-mail, E.164 phone, ``https://host`` website, ISO date, a
  region or any field with ``allowed_values`` among them); each ``quality.fill_rates``
  threshold met;
- the dataset's own truths: ``organization_id`` unique; no record without a name; every
  row a record names in *Provenance* (``primary_source``, ``field_sources``,
  ``match_evidence``) is one of its ``source_rows`` and every record has its line; no
  person field holds a placeholder (``n/a``, ``TBC``) or a label (a field's label or
  synonym such as ``Contact person``).

``details`` carries ``fill_rates`` (field -> share, for the report's chart) and every
failed check with up to ``EXAMPLES`` examples.

Pitfall: a failure here on today's refine output is the gate doing its job: the gate is
not tuned to what refine happens to write.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hotpass.qa.model import GateResult

EXAMPLES = 5
FORMATS = {
    "email": re.compile(r"^[^@\s;]+@[^@\s;]+\.[a-z]{2,}$", re.I),
    "phone": re.compile(r"^\+[1-9]\d{6,14}$"),
    "website": re.compile(r"^https://[a-z0-9.-]+\.[a-z]{2,}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}
PLACEHOLDERS = {"n/a", "na", "none", "nil", "null", "-", "--", "?", "tbc", "tba", "unknown",
                "test", "x", "xx", "xxx", "name", "contact", "first name", "surname",
                "last name", "full name", "person", "someone", "todo", "to be confirmed"}
SECONDARY_NAMES = "secondary_contact_names"
_MULTI = re.compile(r"\s*;\s*")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or \
        (isinstance(value, str) and not value.strip())


def check(context) -> GateResult:
    import pandas as pd

    from hotpass.profiles import load_profile
    from hotpass.qa.sample import fresh_run_dir, refine_sample

    profile = load_profile(context.profile, context.profile_search_path)
    refined_path = refine_sample(context, fresh_run_dir(context, "data"))
    sheets = pd.read_excel(refined_path, sheet_name=["Refined Data", "Provenance"],
                           engine="calamine", dtype=object)
    result = check_dataset(sheets["Refined Data"], sheets["Provenance"], profile)
    result.details["dataset"] = str(refined_path)
    return result


def check_dataset(refined, provenance, profile) -> GateResult:
    records = refined.astype(object).where(refined.notna(), None).to_dict("records")
    failures: dict[str, list[Any]] = {}

    def fail(check_name: str, example: Any) -> None:
        failures.setdefault(check_name, []).append(example)

    fill_rates = {}
    for name, spec in profile.fields.items():
        values = [r.get(name) for r in records]
        filled = [v for v in values if not _empty(v)]
        fill_rates[name] = round(len(filled) / len(records), 4) if records else 0.0
        if spec.required:
            for index, value in enumerate(values):
                if _empty(value):
                    fail(f"required:{name}", f"row {index + 2}")
        for value in filled:
            if not _format_ok(spec, str(value)):
                fail(f"format:{name}", str(value))
    for name, minimum in profile.quality.fill_rates.items():
        if fill_rates.get(name, 0.0) < minimum:
            fail(f"fill_rate:{name}", f"{fill_rates.get(name, 0.0):.1%} < {minimum:.0%}")
    _truths(records, provenance, profile, fail)
    order = ("truth:", "required:", "format:", "fill_rate:")
    checks = sorted(failures, key=lambda k: (next(i for i, o in enumerate(order)
                                                  if k.startswith(o)), k))
    details = {"records": len(records), "fill_rates": fill_rates,
               "failed_checks": {k: {"count": len(v), "examples": v[:EXAMPLES]}
                                 for k, v in sorted(failures.items())}}
    if checks:
        first = checks[0]
        return GateResult(False, f"{len(checks)} check(s) failed, e.g. {first} "
                          f"({len(failures[first])}x: {failures[first][0]})", details)
    return GateResult(True, f"{len(records)} records: required fields, formats, fill rates "
                      "and dataset truths hold", details)


def _format_ok(spec, value: str) -> bool:
    if spec.allowed_values:
        return value in spec.allowed_values
    pattern = FORMATS.get(spec.kind)
    if pattern is None:
        return True
    return all(pattern.match(part) for part in _MULTI.split(value) if part)


def _truths(records: list[dict[str, Any]], provenance, profile, fail) -> None:
    ids = [r.get("organization_id") for r in records]
    seen: set[Any] = set()
    for value in ids:
        if value in seen:
            fail("truth:organization_id_unique", value)
        seen.add(value)
    for index, record in enumerate(records):
        if _empty(record.get("organization_name")):
            fail("truth:named", f"row {index + 2} ({record.get('organization_id')})")
    lines = {row["organization_id"]: row for row in
             provenance.astype(object).where(provenance.notna(), None).to_dict("records")}
    for value in ids:
        line = lines.get(value)
        if line is None:
            fail("truth:traceable", f"{value}: no Provenance line")
            continue
        sources = {"|".join(str(p) for p in row) for row in _json(line.get("source_rows"), [])}
        named = [line.get("primary_source"),
                 *(_json(line.get("field_sources"), {}) or {}).values(),
                 *(row for ev in _json(line.get("match_evidence"), []) or []
                   for row in ev.get("rows", []))]
        for row in named:
            if row and row not in sources:
                fail("truth:traceable", f"{value}: {row} is not one of its source rows")
    labels = PLACEHOLDERS | {w.casefold() for spec in profile.fields.values()
                             for w in [spec.label, *spec.synonyms]}
    person_fields = [*profile.fields_of_kind("person"), SECONDARY_NAMES]
    for index, record in enumerate(records):
        for name in person_fields:
            value = record.get(name)
            for part in _MULTI.split(value) if isinstance(value, str) else ():
                if part.strip().casefold() in labels or (part and not re.search("[^\\W\\d_]",
                                                                                  part)):
                    fail("truth:person_not_placeholder", f"row {index + 2} {name}={part!r}")


def _json(text: Any, default: Any) -> Any:
    if not isinstance(text, str) or not text.strip():
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default
