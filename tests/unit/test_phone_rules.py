"""The phone fast path says exactly what phonenumbers says, wherever it says anything.

``refine.phone_rules`` answers for a region's own numbers in plain shapes and passes the
rest to phonenumbers; these tests run both over varied texts (national with and without
the prefix, +CC, +CC (0), 00CC, floats, extensions, letters, short codes, other
countries' numbers, wrong lengths, the numbers every number type's metadata gives as an
example, one digit changed), over the sample generator's phone column (the shapes of the
benchmark's 200k set) and over the exports in ``data/``, and assert the same E.164 or
None for every one, and that the fast path answered for most of them.
"""

from __future__ import annotations

import random
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneMetadata

from hotpass.refine.phone_rules import fast_e164, rules_for
from hotpass.refine.phones import candidates, library_e164, parse_e164, phone_texts

REPO = Path(__file__).resolve().parents[2]
_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip", "uan",
          "personal_number", "pager", "voicemail")
_OTHER_CODES = ("1", "7", "20", "27", "33", "39", "44", "49", "61", "91", "234", "254",
                "263", "264", "267", "353", "971")
_ODD_TEXTS = ("12", "10111", "112", "0800FLOWERS", "082ext123", "0821234567x12", "0821234567#",
              "+", "++27821234567", "+27", "00", "0027", "0", "(0)821234567", "+27(0)(82)1234567",
              "+(27)821234567", "082)1234567", "\u0660\u0668\u0662\u0661\u0662\u0663\u0664"
              "\u0665\u0666\u0667", "\uff10\uff18\uff12\uff11\uff12\uff13\uff14\uff15\uff16"
              "\uff17", "27821234567", "+270821234567", "00270821234567", "000821234567",
              "tel:+27821234567", "+27821234567;ext=5", "0821234567/8", "0821234567.0")


def _national_numbers(rng: random.Random, metadata, count: int) -> list[str]:
    """Each type's example number, some with a digit changed, added or dropped; random
    digit runs of every length."""
    examples = [desc.example_number for desc in (getattr(metadata, t) for t in _TYPES)
                if desc is not None and desc.example_number]
    numbers = []
    for _ in range(count):
        if examples and rng.random() < 0.6:
            number = "".join(c if rng.random() < 0.8 else rng.choice("0123456789")
                             for c in rng.choice(examples))
            roll = rng.random()
            number = number[:-1] if roll < 0.15 else number + "5" if roll < 0.3 else number
        else:
            number = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 14)))
        numbers.append(number)
    return numbers


def _written(rng: random.Random, metadata, national: str) -> str:
    """One national significant number as exports write it, separators removed."""
    code, prefix = str(metadata.country_code), metadata.national_prefix or ""
    idd = metadata.preferred_international_prefix or metadata.international_prefix or "00"
    forms = (prefix + national, national, f"+{code}{national}", f"+{code}({prefix or 0}){national}",
             f"{idd}{code}{national}", f"{idd}{code}{prefix}{national}", f"{code}{national}",
             f"+{code}{prefix}{national}", f"{prefix}{prefix}{national}",
             f"({prefix}{national[:2]}){national[2:]}", f"+{rng.choice(_OTHER_CODES)}{national}",
             f"{prefix}{national}x{rng.randint(1, 999)}", f"{code}{national}.0")
    return rng.choice(forms)


def _assert_same(texts: list[str], region: str) -> int:
    """Every text: the fast path's answer (or phonenumbers') equals phonenumbers' own.
    Returns how many the fast path answered."""
    answered, wrong = 0, []
    for text in texts:
        expected = library_e164(text, region)
        if parse_e164(text, region) != expected:
            wrong.append((text, parse_e164(text, region), expected))
        answered += fast_e164(candidates(text)[0], region) is not None
    assert not wrong, f"{len(wrong)} differ in {region}, e.g. {wrong[:5]}"
    return answered


def _as_parsed(texts: list[str]) -> list[str]:
    return [text for raw in texts for _, text in phone_texts(raw)]


def test_za_texts_of_every_shape_parse_as_phonenumbers_says():
    rng = random.Random(21)
    metadata = PhoneMetadata.metadata_for_region("ZA")
    texts = _as_parsed([_written(rng, metadata, n) for n in _national_numbers(rng, metadata, 20000)]
                       + list(_ODD_TEXTS))
    answered = _assert_same(texts, "ZA")
    assert answered > len(texts) / 5  # the fast path is no bystander


def test_every_region_the_fast_path_takes_parses_as_phonenumbers_says():
    rng = random.Random(7)
    regions = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if rules_for(r) is not None)
    assert len(regions) > 150 and {"ZA", "DE", "FR", "KE", "NG", "IN"} <= set(regions)
    answered = 0
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region)
        texts = _as_parsed([_written(rng, metadata, n)
                            for n in _national_numbers(rng, metadata, 250)])
        answered += _assert_same(texts, region)
    assert answered > 5000


@pytest.mark.parametrize("region", ["US", "GB", "IT", "AU", "BR", "AR"])
def test_regions_where_parse_does_more_are_left_to_phonenumbers(region):
    """Shared calling codes (+1, +44, +39), prefix patterns and transform rules."""
    assert rules_for(region) is None
    metadata = PhoneMetadata.metadata_for_region(region)
    number = metadata.fixed_line.example_number
    assert parse_e164(number, region) == library_e164(number, region) is not None


def test_the_benchmark_generators_phone_column_parses_as_phonenumbers_says():
    """The sample generator's phone cells, as the benchmark's 200k set holds them (CSV
    text and workbook floats), 12,000 rows' worth."""
    from hotpass.bench.samples.maker import Maker

    maker = Maker(random.Random(7), "generic")
    layout = maker.layout(3)
    maker.fill(layout, 12000, 0.3)
    cells = [cells[sheet.fields.index("contact_phone")] for group in layout.values()
             for sheet in group if "contact_phone" in sheet.fields for _, cells in sheet.rows]
    raw = [f"{c:.1f}" if isinstance(c, float) else str(c) for c in cells if c not in ("", None)]
    texts = _as_parsed(raw)
    assert len(texts) > 12000
    assert _assert_same(texts, "ZA") == len(texts)  # all of them the region's own, plain


def test_the_sample_exports_phone_columns_parse_as_phonenumbers_says():
    from hotpass.profiles import load_profile
    from hotpass.refine.pipeline import read_source

    profile = load_profile("generic")
    data = REPO / "data"
    raw = []
    for path in sorted(data.iterdir()):
        if path.suffix.lower() in (".xlsx", ".csv"):
            for source in read_source(path, data, profile).frames:
                if "contact_phone" in source.frame:
                    raw.extend(source.frame["contact_phone"].dropna().tolist())
    texts = _as_parsed(raw)
    assert len(texts) > 20
    assert _assert_same(texts, "ZA") > len(texts) / 2
