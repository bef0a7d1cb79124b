"""Name nameless rows by their domain: a row that names no organisation (a contact, a call)
takes the name of the organisation whose website or e-mail domain it shares.

Contract: ``attach_by_domain(frame, profile)`` fills ``organization_name`` in place and
returns how many rows it named. Free-mail hosts (``resolve.features.FREE_MAIL``) and the
profile's ``dedupe.shared_domains`` are no evidence.

Pitfalls: the first named row holding a domain wins; websites are compared by host
(scheme and ``www.`` dropped).
"""

from __future__ import annotations

from hotpass.profiles.model import Profile
from hotpass.refine.resolve.features import FREE_MAIL


def attach_by_domain(frame, profile: Profile) -> int:
    """Name nameless rows after the organisation sharing their web/e-mail domain."""
    if "organization_name" not in frame:
        return 0
    nameless = frame["organization_name"].isna()
    if not nameless.any():
        return 0
    ignored = FREE_MAIL | {d.lower() for d in profile.dedupe.shared_domains}
    domains = _row_domains(frame, ignored)
    named = frame.loc[~nameless, "organization_name"]
    by_domain: dict[str, str] = {}
    for column in domains:
        for domain, name in zip(column[~nameless], named, strict=True):
            if domain:
                by_domain.setdefault(domain, name)
    filled = 0
    for index in frame.index[nameless]:
        for column in domains:
            name = by_domain.get(column[index]) if column[index] else None
            if name:
                frame.at[index, "organization_name"] = name
                filled += 1
                break
    return filled


def _row_domains(frame, ignored: frozenset[str]):
    import pandas as pd

    out = []
    if "website" in frame:
        out.append(frame["website"].astype("string").str.replace(
            r"^[a-z]+://(www\.)?", "", regex=True).str.split("/").str[0])
    if "contact_email" in frame:
        out.append(frame["contact_email"].astype("string").str.split("@").str[1])
    cleaned = []
    for series in out:
        series = series.str.lower()
        series = series.where(~series.isin(ignored))
        cleaned.append(pd.Series(series.astype(object).where(series.notna(), None),
                                 index=frame.index))
    return cleaned
