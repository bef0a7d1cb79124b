"""``hotpass plan research``: for one row, what is missing and who would be asked.

Contract: ``research_plan(dataset, row_id, settings, allow_network=..., profile=...)``
(``settings``: the front door's ``HotpassSettings``) returns a
JSON-ready dict: the row (``row_id``, ``organization_id``, ``organization_name``),
``missing`` (the profile's fields empty in that row), ``sources`` in the order enrichment
consults them, each with ``kind`` (offline/network), ``available`` (and ``reason`` when
not), ``would_consult`` and ``could_fill`` (field -> the value an offline source would
write, computed by running the real sources on that row; ``null`` for research, whose
answer is not known before asking), and ``network`` (``allowed``, every gate with its
state, ``closed_gates``). ``save_plan(plan, state_dir)`` writes it atomically to
``<state_dir>/research_runs/<UTC stamp>-row<N>.json`` and returns the path. Nothing is
sent over the network: a plan only reads.

Pitfalls: ``row_id`` is the 0-based position in the refined sheet (*Refined Data*, else
the first sheet), as the Enrichment sheet's ``row`` column counts. Values are made strict
JSON (NaN -> null).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from hotpass.errors import HotpassError


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def research_plan(dataset: Path, row_id: int, settings: Any, *, allow_network: bool = False,
                  profile: str | None = None,
                  profile_search_path: tuple[Path, ...] = ()) -> dict[str, Any]:
    from hotpass.enrich import gazetteer, research
    from hotpass.enrich.engine import Enricher, _empty
    from hotpass.enrich.reference import load_tables
    from hotpass.enrich.run import main_sheet, read_workbook
    from hotpass.profiles import load_profile, profile_file

    name = profile or settings.profile
    paths = tuple(profile_search_path) + tuple(settings.profile_search_path)
    prof = load_profile(name, paths)
    sheets = read_workbook(Path(dataset))
    frame = sheets[main_sheet(sheets)]
    if not 0 <= row_id < len(frame):
        raise HotpassError(f"--row-id {row_id}: {dataset} has rows 0..{len(frame) - 1} in "
                           f"sheet '{main_sheet(sheets)}'")
    row = frame.iloc[[row_id]]
    record = {k: _plain(v) for k, v in row.iloc[0].to_dict().items()}
    missing = [f for f in prof.fields if _empty(record.get(f))]
    tables = load_tables(prof, profile_file(name, paths).parent)
    geo = gazetteer.available()
    gaz = gazetteer.Gazetteer(prof.locale.default_region,
                              prof.fields["province"].allowed_values
                              if "province" in prof.fields else None,
                              prof.region_aliases) if geo else None
    gates = research.gates(allow_network, settings)
    closed = [g.name for g in gates if not g.open]
    offline = Enricher(prof, tables=tables, gazetteer=gaz).enrich(row)
    by_source: dict[str, dict[str, Any]] = {}
    for change in offline.filled():
        key = change.source.split(" (")[0]
        by_source.setdefault(key, {})[change.field] = _plain(change.new_value)
    sources = [{"source": f"reference:{t.label}", "kind": "offline", "available": True,
                "path": str(t.path), "fills": sorted(t.fields)} for t in tables]
    sources += [
        {"source": "email-domain", "kind": "offline", "available": True,
         "fills": prof.fields_of_kind("website")},
        {"source": "gazetteer:geonames", "kind": "offline", "available": geo,
         **({} if geo else {"reason": "the geospatial extra is not installed"}),
         "fills": prof.fields_of_kind("region")},
        {"source": "nameparser", "kind": "offline", "available": True,
         "fills": prof.fields_of_kind("person")},
        {"source": "searxng", "kind": "network", "available": not closed and
         bool(settings.searx_url), "fills": prof.fields_of_kind("website"),
         **({"reason": "closed gates: " + ", ".join(closed)} if closed else
            {} if settings.searx_url else {"reason": "HOTPASS_SEARX_URL is not set"})},
    ]
    for source in sources:
        wanted = [f for f in source["fills"] if f in missing]
        source["would_consult"] = bool(source["available"] and wanted)
        if source["kind"] == "network":
            source["could_fill"] = {f: None for f in wanted
                                    if f not in by_source.get("email-domain", {})}
            source["would_consult"] = bool(source["available"] and source["could_fill"])
        else:
            prefix = source["source"]
            source["could_fill"] = next((v for k, v in by_source.items()
                                         if k == prefix or k.startswith(prefix)), {})
    return {
        "dataset": str(dataset), "row_id": row_id, "profile": prof.name,
        "organization_id": record.get("organization_id"),
        "organization_name": record.get("organization_name"),
        "missing": missing, "sources": sources,
        "network": {"allowed": not closed, "gates": [g.to_dict() for g in gates],
                    "closed_gates": closed},
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def save_plan(plan: dict[str, Any], state_dir: Path) -> Path:
    from hotpass.fileio import atomic_write_text

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = Path(state_dir) / "research_runs" / f"{stamp}-row{plan['row_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(plan, indent=2, sort_keys=True, allow_nan=False) + "\n")
    return path
