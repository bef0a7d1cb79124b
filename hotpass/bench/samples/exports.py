"""Real-export shapes for the sample generator: a CRM reach-out tracker whose accounts and
people sheets share only an account number, a call log in another workbook keyed by the
same number, and a regulator's all-caps register.

Contract: ``export_layout(maker)`` returns the extra files (name -> sheets) that
``generate_workbooks(..., exports=True)`` writes; ``PHRASINGS`` holds the headers those
sheets use, written the way CRM, tracker and regulator exports phrase them (none is a
profile synonym verbatim); ``expected_field`` says which field each header must map to,
so tests can check the mapping. ``CHILDREN`` names the sheets that get rows whenever an
organisation lands on a parent sheet, and ``TEMPLATE_ROWS`` how many pre-numbered empty
rows the tracker's account sheet carries below its data.

Pitfalls: the tracker's sheet names match no profile join on purpose ("Account list",
"Key people"), so the link must be inferred from the account number; the "Info" column
holds e-mail addresses under a header that says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hotpass.bench.samples.words import ROLES

TEMPLATE_ROWS = 40
# field -> phrasings, as real exports write them (field "first_name"/"last_name" compose
# contact_name; "people" is a "Name (Role); Name (Role)" cell that maps to contact_name).
PHRASINGS: dict[str, dict[str, str]] = {
    "tracker_orgs": {
        "record_id": "Account #",
        "organization_name": "Registered name of the company",
        "registration_id": "Company Reg. No.",
        "website": "Web page",
        "contact_phone": "Office tel.",
        "province": "Region / province",
        "category": "Sector (per CIPC)",
        "status": "Pipeline stage",
        "last_interaction_date": "Date last touched",
        "contact_email": "Info",
        "extra": "Owner initials",
    },
    "tracker_people": {
        "record_id": "Account #",
        "people": "Key people",
        "contact_email": "E-mail (primary contact)",
        "contact_phone": "Mobile no.",
        "extra": "Do not call?",
    },
    "call_log": {
        "record_id": "Acc. No.",
        "first_name": "First name",
        "last_name": "Surname",
        "contact_phone": "Direct line",
        "notes": "Call outcome / notes",
        "last_interaction_date": "Call date",
        "contact_email": "E-mail used",
        "contact_role": "Their role",
    },
    "caps_register": {
        "organization_name": "ENTITY",
        "registration_id": "REG. NO. (CIPC)",
        "address": "PHYSICAL ADDR.",
        "province": "PROV./REGION",
        "contact_name": "NAME OF CONTACT",
        "contact_role": "POSITION HELD",
        "contact_phone": "TEL (OFFICE)",
        "contact_email": "E-MAIL ADDR.",
        "website": "WEBSITE URL",
        "category": "INDUSTRY / SECTOR",
        "status": "STATUS OF ENTITY",
        "extra": "FILE REF",
    },
}
CHILDREN = {"crm_orgs": ("contacts",), "tracker_orgs": ("tracker_people", "call_log")}
PEOPLE_PER_TRACKER_ORG = (0, 1, 1, 1)
CALLS_PER_TRACKER_ORG = (0, 0, 1)


@dataclass
class Sheet:
    file: str
    name: str  # "" for a CSV
    kind: str  # register | crm_orgs | contacts | regional | csv | notes
    headers: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # profile field per column, or "extra"
    preamble: list[str] = field(default_factory=list)  # lines above the header
    rows: list[tuple[int, list]] = field(default_factory=list)
    template: list[list] = field(default_factory=list)  # pre-numbered empty rows below


def export_layout(maker) -> dict[str, list]:
    def sheet(file: str, name: str, kind: str, preamble: list[str] | None = None) -> Sheet:
        fields = list(PHRASINGS[kind])
        maker.rng.shuffle(fields)
        if "record_id" in fields:
            fields.insert(0, fields.pop(fields.index("record_id")))
        headers = [PHRASINGS[kind][f] for f in fields]
        return Sheet(file, name, kind, headers, fields, preamble or [])

    tracker, calls, caps = "reach_out_tracker.xlsx", "call_log_q2.xlsx", "cipc_register_export.xlsx"
    return {
        tracker: [Sheet(tracker, "Read me", "notes"),
                  sheet(tracker, "Account list", "tracker_orgs",
                        ["Reach-out tracker (exported from the CRM)",
                         "Filter: all accounts, owner = any", ""]),
                  sheet(tracker, "Key people", "tracker_people")],
        calls: [sheet(calls, "Calls", "call_log", ["Call log Q2", ""])],
        caps: [sheet(caps, "EXPORT", "caps_register",
                     ["COMPANIES AND INTELLECTUAL PROPERTY COMMISSION - REGISTER EXTRACT",
                      "RUN DATE 2024-06-30", ""])],
    }


def people_cell(rng, people: list[tuple[str, str, list[str]]], profile: str) -> str:
    """"Jo Smith (Director); Sam Lee (Chief Instructor)" or "Name — Role" / "Name, Role"."""
    roles = ROLES["aviation" if profile == "aviation" else "generic"]
    style = rng.choice((" ({})", " — {}", ", {}"))
    return "; ".join(name + style.format(rng.choice(roles)) for name, _, _ in people)


def expected_field(field: str) -> str | None:
    """The profile field a generated column must map to (None: stays unmapped)."""
    if field in ("first_name", "last_name", "people"):
        return "contact_name"
    return None if field == "extra" else field
