"""Every reader returns exactly the rows of its file, whatever the table's width.

The regression: Excel workbooks were cut to as many rows as they had columns (a 40-row,
22-column assessments sheet was "valid … rows 22"). Fixtures here are deliberately not square,
and a property test writes the same table as CSV, Parquet and xlsx and reads it back.
"""

from __future__ import annotations

import random
import string
import tempfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from commissioning.io.readers import read_raw, read_table
from commissioning.io.validation import ValidationFailed
from io_support import records, write

FORMATS = (".csv", ".parquet", ".xlsx")
# Text an analyst's cells hold: separators, quotes, line breaks, £ and ≥; no leading "="
# (openpyxl would write a formula) and no control characters (xlsx cannot hold them).
ALPHABET = string.ascii_letters + string.digits + " ,;\"'.-/£→≥é\n"


def _write_text_table(table: pa.Table, path: Path) -> Path:
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    elif path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(table.column_names)
        columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
        for row in zip(*columns, strict=True):
            sheet.append(list(row))
        book.save(path)
    return path


def _cells(raw: pa.Table) -> dict[str, list[str | None]]:
    """Column → values, an empty cell as None (CSV has no null; every format means 'missing')."""
    return {name: [None if v in (None, "") else v for v in raw.column(name).to_pylist()]
            for name in raw.column_names}


def _random_table(rows: int, cols: int, seed: int, empty_share: float) -> pa.Table:
    rng = random.Random(seed)

    def cell() -> str | None:
        if rng.random() < empty_share:
            return None
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
        return text.strip() or "x"

    if cols == 1:
        empty_share = 0.0  # one column: an empty cell is an empty line, which CSV skips
    columns = {f"col_{j}": [cell() for _ in range(rows)] for j in range(cols)}
    columns["col_0"][-1] = "last"  # trailing wholly empty rows are not rows (tested below)
    return pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(1, 5000),
    cols=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    empty_share=st.sampled_from([0.0, 0.1, 0.5]),
)
@example(rows=40, cols=22, seed=1, empty_share=0.0)  # the reported workbook's shape
@example(rows=22, cols=40, seed=2, empty_share=0.1)
@example(rows=5000, cols=3, seed=3, empty_share=0.0)
@example(rows=1, cols=1, seed=4, empty_share=0.0)
def test_csv_parquet_and_xlsx_of_one_table_read_back_identical(
    rows: int, cols: int, seed: int, empty_share: float
) -> None:
    table = _random_table(rows, cols, seed, empty_share)
    expected = _cells(table)
    with tempfile.TemporaryDirectory() as folder:
        for suffix in FORMATS:
            raw = read_raw(_write_text_table(table, Path(folder) / f"t{suffix}"), "data")
            assert raw.table.num_rows == rows, suffix
            assert raw.table.column_names == list(expected), suffix
            assert _cells(raw.table) == expected, suffix


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("n", [1, 16, 17, 40, 301])
def test_a_valid_table_keeps_every_row_whatever_its_width(tmp_path: Path, suffix: str,
                                                          n: int) -> None:
    # assessments have 17 columns: fewer, as many and more rows than columns.
    rows = records("assessments", n)
    valid = read_table(write(rows, tmp_path / f"a{suffix}", sheet="assessments"), "assessments")
    assert valid.num_rows == n
    assert valid.table.column("offender_id").to_pylist() == [r["offender_id"] for r in rows]


def test_the_same_contract_table_reads_identically_from_every_format(tmp_path: Path) -> None:
    rows = records("assessments", 40, pnc_number="1/2A")  # 40 rows, 18 columns
    tables = [read_table(write(rows, tmp_path / f"a{s}", sheet="assessments"), "assessments")
              for s in FORMATS]
    assert tables[0].table.equals(tables[1].table)
    assert tables[0].table.equals(tables[2].table)
    assert {t.dropped_columns for t in tables} == {("pnc_number",)}


def test_an_error_in_the_last_row_of_a_long_sheet_is_found(tmp_path: Path) -> None:
    # Before the fix, rows after the 17th were never read, so this error went unseen.
    rows = records("assessments", 40)
    rows[-1]["rosh"] = "extreme"
    with pytest.raises(ValidationFailed) as info:
        read_table(write(rows, tmp_path / "a.xlsx", sheet="assessments"), "assessments")
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (41, "rosh")


def test_a_ragged_sheet_is_padded_never_cut(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "providers"
    sheet.append(["provider_id", "name", "kind"])
    sheet.append(["N1", "One"])  # a short row: kind missing
    sheet.append(["N2", "Two", "partner", "a note"])  # a value under an unnamed column
    for i in range(3, 8):
        sheet.append([f"N{i}", f"Name {i}", "partner"])
    book.save(tmp_path / "p.xlsx")
    raw = read_raw(tmp_path / "p.xlsx", "providers")
    assert raw.table.num_rows == 7
    assert raw.table.column_names == ["provider_id", "name", "kind", "unnamed_column_4"]
    assert raw.table.column("kind").to_pylist()[:2] == [None, "partner"]
    assert raw.table.column("unnamed_column_4").to_pylist()[:2] == [None, "a note"]


def test_a_csv_cell_with_a_line_break_stays_one_row(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(
        'provider_id,name,kind\nN1,"Two\nlines",partner\nN2,Plain,partner\n', encoding="utf-8")
    valid = read_table(tmp_path / "p.csv", "providers")
    assert valid.table.column("name").to_pylist() == ["Two\nlines", "Plain"]


def test_a_semicolon_separated_csv_gets_a_hint(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("provider_id;name;kind\nN1;One;partner\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        read_table(tmp_path / "p.csv", "providers")
    (problem,) = info.value.problems
    assert problem.rule == "csv_semicolon_separated"
    assert "p.csv" in str(info.value)
    assert "CSV UTF-8 (Comma delimited)" in str(info.value)


@pytest.mark.parametrize("suffix", FORMATS)
def test_trailing_empty_rows_are_not_rows_in_any_format(tmp_path: Path, suffix: str) -> None:
    table = pa.table({"a": ["1", None, "3", None, ""], "b": ["x", None, None, "  ", None]})
    raw = read_raw(_write_text_table(table, tmp_path / f"t{suffix}"), "data")
    # the empty second row stays (a filled row follows); the two at the end go
    assert raw.table.num_rows == 3
    assert _cells(raw.table) == {"a": ["1", None, "3"], "b": ["x", None, None]}
