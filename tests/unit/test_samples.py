"""The messy sample generator: determinism, ground truth and the mess it promises."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from rapidfuzz import fuzz

from hotpass.bench.samples import generate_workbooks, near_duplicate_rate
from hotpass.errors import InputError
from hotpass.profiles import load_profile

ROWS = 600


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return generate_workbooks(tmp_path_factory.mktemp("gen"), rows=ROWS, seed=11, files=4)


def _sheets(path: Path) -> dict[str, list[list]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return {"": list(csv.reader(handle))}
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names}


def _column_values(sample, field: str) -> list:
    """Every data cell whose header is a synonym of ``field`` (read back from the files)."""
    synonyms = {s.lower() for s in load_profile("generic").fields[field].synonyms}
    rows_by_sheet = defaultdict(set)
    for file, sheet, row, _ in sample.truth:
        rows_by_sheet[(file, sheet)].add(row)
    values = []
    for path in sample.files:
        for sheet, rows in _sheets(path).items():
            data_rows = rows_by_sheet[(path.name, sheet)]
            if not data_rows:
                continue
            header_row = min(data_rows) - 1  # the header sits right above the first data row
            header = [str(h).lower() for h in rows[header_row - 1]]
            columns = [i for i, h in enumerate(header) if h in synonyms]
            values += [rows[r - 1][i] for r in sorted(data_rows) for i in columns]
    return values


def test_same_seed_gives_identical_bytes(tmp_path, sample):
    again = generate_workbooks(tmp_path, rows=ROWS, seed=11, files=4)
    assert [p.name for p in again.files] == [p.name for p in sample.files]
    for first, second in zip(sample.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert again.truth == sample.truth


def test_other_seed_gives_other_data(tmp_path, sample):
    other = generate_workbooks(tmp_path, rows=ROWS, seed=12, files=4)
    assert other.files[0].read_bytes() != sample.files[0].read_bytes()


def test_three_workbooks_and_a_csv(sample):
    suffixes = Counter(p.suffix for p in sample.files)
    assert suffixes == {".xlsx": 3, ".csv": 1}
    assert all(p.is_file() and p.parent == sample.out_dir for p in sample.files)


def test_truth_covers_every_data_row_exactly(sample):
    assert len(sample.truth) == ROWS
    assert len(set((f, s, r) for f, s, r, _ in sample.truth)) == ROWS
    truth_rows = defaultdict(set)
    for file, sheet, row, _ in sample.truth:
        truth_rows[(file, sheet)].add(row)
    for path in sample.files:
        for sheet, rows in _sheets(path).items():
            listed = truth_rows.get((path.name, sheet), set())
            if not listed:
                continue
            header_row = min(listed) - 1
            # every non-blank row below the header is a data row in the truth, and vice versa
            filled = {i + 1 for i, row in enumerate(rows)
                      if i + 1 > header_row and any(str(c).strip() for c in row)}
            assert filled == listed, (path.name, sheet)
            assert any(str(c).strip() for c in rows[header_row - 1])


def test_truth_file_round_trips(tmp_path, sample):
    written = sample.write_truth(tmp_path / "truth.csv")
    with written.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == ROWS
    assert (rows[0]["file"], rows[0]["sheet"], int(rows[0]["row"]), int(rows[0]["entity_id"])) \
        == sample.truth[0]


def test_headers_are_not_on_row_one_and_layout_sheet_exists(sample):
    first_rows = defaultdict(list)
    for file, sheet, row, _ in sample.truth:
        first_rows[(file, sheet)].append(row)
    header_rows = {key: min(rows) - 1 for key, rows in first_rows.items()}
    assert any(row > 1 for row in header_rows.values())
    register = _sheets(sample.out_dir / "supplier_register_q3.xlsx")
    assert "Q3 Supplier Register" in str(register["Register"][0][0])
    assert all(str(c) == "" for c in register["Register"][1])  # blank row above the header
    assert len(register["Notes"]) == 1 and len(str(register["Notes"][0][0])) > 100
    assert ("supplier_register_q3.xlsx", "Notes") not in first_rows


def test_duplicates_span_sources_and_keep_one_entity_id(sample):
    sources = defaultdict(set)
    for file, sheet, _, entity in sample.truth:
        if sheet not in ("Contacts",):
            sources[entity].add((file, sheet))
    spanning = [e for e, where in sources.items() if len(where) >= 2]
    assert len(spanning) >= 0.15 * len(sources)
    assert max(len(where) for where in sources.values()) <= 3
    assert sample.entities == len(sources) == len(sample.names)


def test_headers_are_synonyms_plus_one_unmapped_column(sample):
    fields = load_profile("generic").fields
    synonyms = {s.lower() for spec in fields.values() for s in spec.synonyms}
    first_rows = defaultdict(list)
    for file, sheet, row, _ in sample.truth:
        first_rows[(file, sheet)].append(row)
    name_headers, orders = set(), set()
    for (file, sheet), rows in first_rows.items():
        header = [str(h).strip().lower() for h in _sheets(sample.out_dir / file)[sheet][
            min(rows) - 2] if str(h).strip()]
        unmapped = [h for h in header if h not in synonyms]
        assert len(unmapped) == 1, (file, sheet, unmapped)
        assert all(fuzz.ratio(unmapped[0], s) < 86 for s in synonyms)  # not even fuzzily
        name_headers.update(h for h in header if h in fields["organization_name"].synonyms)
        orders.add(tuple(header))
    assert len(name_headers) >= 2
    assert len(orders) == len(first_rows)
    crm = _sheets(sample.out_dir / "crm_export.xlsx")
    assert crm["Organisations"][0][0] == crm["Contacts"][0][0] == "Org ID"


def test_phone_email_and_date_mess_is_present(sample):
    phones = _column_values(sample, "contact_phone")
    assert any(isinstance(p, float) and p > 27e9 for p in phones)
    assert any(isinstance(p, str) and "\u00a0" in p for p in phones)
    assert any(isinstance(p, str) and p.startswith("+27 (0)") for p in phones)
    assert any(isinstance(p, str) and ("/" in p or ";" in p) for p in phones)
    emails = [e for e in _column_values(sample, "contact_email") if isinstance(e, str)]
    assert any(e.count("@") >= 2 for e in emails)
    assert any(e.startswith("www.") for e in emails)
    assert any(e.strip().lower() in ("n/a", "none", "-") for e in emails)
    assert any(e != e.strip() for e in emails)
    assert any(e != e.lower() and "@" in e for e in emails)
    dates = _column_values(sample, "last_interaction_date")
    kinds = set()
    for value in dates:
        if isinstance(value, dt.date):
            kinds.add("excel date")
        elif isinstance(value, float | int):
            kinds.add("serial")
        elif isinstance(value, str) and value[2:3] == "/":
            kinds.add("day first")
        elif isinstance(value, str) and value[4:5] == "-":
            kinds.add("iso")
        elif isinstance(value, str) and value[-5:-4] == " " and value[:1].isdigit():
            kinds.add("month name")
    assert kinds == {"excel date", "serial", "day first", "iso", "month name"}


def test_provinces_use_profile_aliases(sample):
    aliases = {a.lower() for a in load_profile("generic").region_aliases}
    values = {str(v).lower() for v in _column_values(sample, "province")}
    assert values & aliases


def test_aviation_variant_uses_aoc_numbers(tmp_path):
    generated = generate_workbooks(tmp_path, rows=200, seed=3, profile="aviation")
    assert len(generated.truth) == 200
    names = {p.name for p in generated.files}
    assert "sacaa_aoc_register.xlsx" in names
    cells = {str(c) for p in generated.files for rows in _sheets(p).values()
             for row in rows for c in row}
    assert any(re.fullmatch(r"N\d{3,5}D", c) for c in cells)  # SACAA AOC numbers


def test_distinct_names_are_not_near_duplicates(tmp_path):
    generated = generate_workbooks(tmp_path, rows=20_000, seed=5)
    assert len(generated.truth) == 20_000
    assert near_duplicate_rate(generated.names, sample=1000) < 0.005
    assert near_duplicate_rate(["Naidoo Falcon Logistics", "naidoo falcon logistic"]) == 1.0


def test_rejects_nonsense_arguments(tmp_path):
    with pytest.raises(InputError, match="--rows 0"):
        generate_workbooks(tmp_path, rows=0)
    with pytest.raises(InputError, match="duplicate_share"):
        generate_workbooks(tmp_path, rows=10, duplicate_share=1.5)


def test_real_export_shapes_are_deterministic_and_template_rows_stay_out_of_the_truth(tmp_path):
    first = generate_workbooks(tmp_path / "a", rows=300, seed=4, exports=True)
    again = generate_workbooks(tmp_path / "b", rows=300, seed=4, exports=True)
    assert [p.read_bytes() for p in first.files] == [p.read_bytes() for p in again.files]
    assert len(first.truth) == 300 and first.columns == again.columns
    tracker = _sheets(first.out_dir / "reach_out_tracker.xlsx")["Account list"]
    listed = {r for f, s, r, _ in first.truth if s == "Account list"}
    extra = [row for i, row in enumerate(tracker, start=1)
             if i > min(listed) and i not in listed and any(str(c).strip() for c in row)]
    assert len(extra) == 40 and all(str(r[0]).startswith("ACC-") and not any(
        str(c).strip() for c in r[1:]) for r in extra)
    people = _sheets(first.out_dir / "reach_out_tracker.xlsx")["Key people"]
    assert any(";" in str(c) and "(" in str(c) for row in people for c in row)


def test_a_million_rows_have_names_enough(monkeypatch):
    """Past WIDER_NAMES_AFTER a fourth shape (surname, place, sector) joins the name space,
    still held far from every earlier name sharing two words; below it nothing changes."""
    import random

    from rapidfuzz import fuzz

    from hotpass.bench.samples import entities
    from hotpass.bench.samples.words import places, surnames

    def names(after: int) -> list[str]:
        monkeypatch.setattr(entities, "WIDER_NAMES_AFTER", after)
        made = entities.Entities(random.Random(3), "generic")
        return [made._entity().base for _ in range(600)]

    assert names(10**9) == names(10**9)
    wider = names(100)
    assert wider[:100] == names(10**9)[:100]
    shaped = [n for n in wider[100:] if n.split()[0] in surnames() and
              any(n.startswith(f"{n.split()[0]} {p} ") for p in places())]
    assert len(shaped) > 20
    for i, a in enumerate(shaped):
        for b in shaped[i + 1:]:
            if len(set(a.lower().split()) & set(b.lower().split())) >= 2:
                assert fuzz.ratio(a.lower(), b.lower()) < entities.DISTINCT_NAME_LIMIT
