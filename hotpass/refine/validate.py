"""Validate: check refined records against the profile's contract.

Contract: ``validate_records(merged, profile)`` returns issues for required fields that
are empty and values outside a field's ``allowed_values``, each naming the source file,
sheet and row the value (or the record) came from, with the profile's severity for the
rule. Format rules (email, phone, website, date) are enforced while normalising, where
the offending raw text is still at hand. ``merge.conflict`` issues list fields whose
merged sources disagreed.

``check_keys(merged)`` is the contract's uniqueness rule: every record has an
``organization_id`` no other record carries, and the Provenance table lists the same ids
in the same order; anything else is a ``HotpassError`` (exit 1, a defect: nothing is
published). ``leave_out_unnamed(merged)`` drops records that name no organisation after
linking (each is already a ``required.missing`` error naming its source row).
"""

from __future__ import annotations

from hotpass.errors import HotpassError
from hotpass.profiles.model import Profile
from hotpass.refine.merge import Merged, merged_fields
from hotpass.refine.model import Issue


def validate_records(merged: Merged, profile: Profile) -> list[Issue]:
    refined = merged.refined
    issues: list[Issue] = []
    for field in merged_fields(profile):
        spec = profile.fields[field]
        if field not in refined.columns:
            if spec.required:
                issues.append(Issue(
                    severity=profile.severity("required.missing"), rule="required.missing",
                    field=field, message=f"{field}: required, but no input column maps to it",
                ))
            continue
        column = refined[field]
        if spec.required:
            for record in refined.loc[column.isna(), "organization_id"]:
                file, sheet, row = merged.source_of(record)
                why = ("; no linked sheet, website or e-mail domain names its organisation,"
                       " so the row is left out of the outputs"
                       if field == "organization_name" else "")
                issues.append(Issue(
                    severity=profile.severity("required.missing"), rule="required.missing",
                    field=field, file=file, sheet=sheet, row=row,
                    message=f"{field}: required but empty{why}",
                ))
        if spec.allowed_values and spec.kind != "region":  # regions: checked per row already
            allowed = set(spec.allowed_values)
            outside = refined.loc[column.notna() & ~column.isin(allowed),
                                  ["organization_id", field]]
            for record, value in outside.itertuples(index=False, name=None):
                file, sheet, row = merged.source_of(record, field)
                issues.append(Issue(
                    severity=profile.severity("allowed.value"), rule="allowed.value",
                    field=field, value=str(value),
                    file=file, sheet=sheet, row=row,
                    message=f"{field}: '{value}' is not one of {', '.join(spec.allowed_values)}",
                ))
    for (record, field), values in merged.conflicts.items():
        file, sheet, row = merged.source_of(record, field)
        issues.append(Issue(
            severity=profile.severity("merge.conflict"), rule="merge.conflict", field=field,
            file=file, sheet=sheet, row=row, value=" | ".join(values),
            message=f"{field}: sources disagree ({len(values)} values); kept the one from here",
        ))
    return issues


def leave_out_unnamed(merged: Merged) -> int:
    """Drop the records without an organisation name; returns how many."""
    refined = merged.refined
    if "organization_name" not in refined:
        return 0
    named = refined["organization_name"].notna().to_numpy()
    if named.all():
        return 0
    merged.refined = refined[named].reset_index(drop=True)
    merged.provenance = merged.provenance[named].reset_index(drop=True)
    return int((~named).sum())


def check_keys(merged: Merged) -> None:
    """Fail loudly if ``organization_id`` is not a key of the refined records."""
    ids = merged.refined["organization_id"]
    repeated = ids[ids.duplicated(keep=False) | ids.isna()]
    if len(repeated):
        first = repeated.iloc[0]
        raise HotpassError(
            f"contract broken: organization_id {first} is carried by "
            f"{int((ids == first).sum())} records; nothing was published", exit_code=1)
    cited = merged.provenance["organization_id"]
    if len(cited) != len(ids) or (cited.to_numpy() != ids.to_numpy()).any():
        raise HotpassError("contract broken: the Provenance ids are not the refined records' "
                           "ids; nothing was published", exit_code=1)
