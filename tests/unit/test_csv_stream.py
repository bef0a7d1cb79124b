"""CSV files are streamed: the rows, decoded and split exactly as the whole-text reader
did (UTF-8 or, for a file with any non-UTF-8 byte, cp1252 throughout; a quoted CRLF kept;
the sniffed delimiter), while the row limit is enforced as rows arrive."""

from __future__ import annotations

import tracemalloc

import pytest

from hotpass.errors import InputError
from hotpass.refine.ingest import csvfile
from hotpass.refine.ingest.csvfile import CHUNK_ROWS, read_csv


def test_a_non_utf8_byte_after_the_first_chunk_reads_the_whole_file_as_cp1252(tmp_path):
    body = "Company;Town\n" + "Café;Cape Town\n" * (CHUNK_ROWS * 2) + "Zoë;Paarl\n"
    path = tmp_path / "late.csv"
    path.write_bytes(body.encode("cp1252"))  # é is 0xE9: not UTF-8, found only late
    rows = read_csv(path, "late.csv").rows
    assert rows[0] == ["Company", "Town"] and rows[1] == ["Café", "Cape Town"]
    assert rows[-1] == ["Zoë", "Paarl"] and len(rows) == CHUNK_ROWS * 2 + 2


def test_bom_quoted_crlf_and_tabs_read_as_before(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes("\ufeffCompany\tPhone\r\n\"Multi\r\nline\"\t012 345\r\nBeta\t\r\n"
                     .encode("utf-8"))
    assert read_csv(path, "crlf.csv").rows == [["Company", "Phone"],
                                               ["Multi\r\nline", "012 345"], ["Beta", ""]]


def test_the_row_limit_is_enforced_while_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_ROWS", 3 * CHUNK_ROWS)
    path = tmp_path / "long.csv"
    path.write_text("Company,Phone\n" + "".join(f"Org {i},{i}\n" for i in range(100_000)))
    tracemalloc.start()
    with pytest.raises(InputError, match=rf"long.csv, row {3 * CHUNK_ROWS + 1:,}: more than"):
        read_csv(path, "long.csv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # stopped after the limit's rows and one chunk: the other ~70,000 rows never held
    all_rows = 100_000 * (56 + 2 * 60)
    assert peak < all_rows / 2, f"peak {peak / 1e6:.1f} MB while reading"


def test_a_malformed_line_names_the_row(tmp_path):
    path = tmp_path / "cell.csv"
    path.write_bytes(b"Company\n" + b"x" * 40_000 + b"\n")
    with pytest.raises(InputError, match=r"cell.csv, row 2: field larger than field limit"):
        read_csv(path, "cell.csv")


def test_a_small_parquet_declaring_millions_of_rows_is_refused_from_its_footer(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hotpass.refine.ingest.files import read_sheets

    rows = 2_000_000  # one repeated value: run-length encoded to a few kilobytes
    table = pa.table({"Organisation Name": pa.array(["Acme"] * rows)})
    path = tmp_path / "many.parquet"
    pq.write_table(table, path)
    del table
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    with pytest.raises(InputError, match=r"many.parquet: 2,000,000 rows, more than the 1,048,576"):
        list(read_sheets(path, "many.parquet"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10_000_000, f"peak {peak / 1e6:.1f} MB: the rows were read"
