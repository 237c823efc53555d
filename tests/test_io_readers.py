"""Readers: CSV, Parquet and Excel give the same typed table, drop columns outside the contract
and number rows the same way (header = row 1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commissioning.io.readers import read_table
from commissioning.io.validation import ValidationFailed
from commissioning.schema.contract import ASSESSMENTS, TABLES
from io_support import records, write


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_round_trips_in_every_format(tmp_path: Path, table: str, suffix: str) -> None:
    rows = records(table, 3)
    valid = read_table(write(rows, tmp_path / f"{table}{suffix}", sheet=table), table)
    spec = TABLES[table]
    assert valid.table.column_names == [c for c in spec.column_names if c in rows[0]]
    assert valid.num_rows == 3
    first_col = spec.columns[0].name
    assert valid.table.column(first_col).to_pylist() == [r[first_col] for r in rows]


def test_columns_are_typed_in_contract_order(tmp_path: Path) -> None:
    rows = records("assessments", 2)
    shuffled = [dict(reversed(list(r.items()))) for r in rows]
    valid = read_table(write(shuffled, tmp_path / "a.csv"), "assessments")
    schema = valid.table.schema
    assert valid.table.column_names == [c for c in ASSESSMENTS.column_names if c in rows[0]]
    assert schema.field("assessment_date").type == pa.date32()
    assert schema.field("previous_sanctions").type == pa.int64()
    assert schema.field("need_drugs").type == pa.bool_()
    assert schema.field("sex").type == pa.string()
    assert valid.table.column("assessment_date")[0].as_py() == dt.date(2012, 6, 1)
    assert valid.table.column("previous_sanctions").to_pylist() == [4, 4]
    assert valid.table.column("need_alcohol").to_pylist() == [False, False]


def test_columns_outside_the_contract_are_dropped_and_reported(tmp_path: Path) -> None:
    rows = records("assessments", 2, pnc_number="12/345678A", home_address="1 High St")
    valid = read_table(write(rows, tmp_path / "a.parquet"), "assessments")
    assert valid.dropped_columns == ("pnc_number", "home_address")
    assert "pnc_number" not in valid.table.column_names


def test_missing_optional_columns_stay_absent(tmp_path: Path) -> None:
    rows = records("assessments", 2)
    for r in rows:
        del r["region"], r["need_drugs"]
    valid = read_table(write(rows, tmp_path / "a.csv"), "assessments")
    assert "region" not in valid.table.column_names
    assert "need_drugs" not in valid.table.column_names


def test_header_names_are_trimmed_and_lower_cased(tmp_path: Path) -> None:
    rows = [{f" {k.upper()} ": v for k, v in r.items()} for r in records("providers", 2)]
    valid = read_table(write(rows, tmp_path / "p.csv"), "providers")
    assert valid.table.column_names == ["provider_id", "name", "kind"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_row_numbers_mean_the_same_in_every_format(tmp_path: Path, suffix: str) -> None:
    rows = records("assessments", 5)
    rows[3]["rosh"] = "extreme"
    with pytest.raises(ValidationFailed) as info:
        read_table(write(rows, tmp_path / f"a{suffix}", sheet="assessments"), "assessments")
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (5, "rosh", "extreme")


def test_native_parquet_types_are_accepted(tmp_path: Path) -> None:
    rows = records("establishments", 2)
    table = pa.table({
        "provider_id": ["BAI", "ACI"],
        "name": ["HMP Bure", "HMP Altcourse"],
        "operator": ["public", "g4s"],
        "operational_capacity": pa.array([600, 1324], type=pa.int32()),
        "open_date": pa.array([dt.date(2010, 11, 1), None], type=pa.date32()),
    })
    pq.write_table(table, tmp_path / "e.parquet")
    valid = read_table(tmp_path / "e.parquet", "establishments")
    assert valid.table.column("operational_capacity").to_pylist() == [600, 1324]
    assert valid.table.column("open_date").to_pylist() == [dt.date(2010, 11, 1), None]
    assert len(rows) == 2


def test_excel_native_cells_are_read_as_contract_values(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "interventions"
    book.create_sheet("notes")
    sheet.append(["offender_id", "intervention_id", "provider_id", "start_date", "end_date",
                  "completed"])
    sheet.append(["A1", "tsp", "N01", dt.datetime(2012, 1, 1), dt.date(2012, 3, 1), True])
    sheet.append(["A2", "tsp", "N01", dt.datetime(2012, 2, 1), None, 0])
    book.save(tmp_path / "i.xlsx")
    valid = read_table(tmp_path / "i.xlsx", "interventions")
    assert valid.sheet == "interventions"
    assert valid.table.column("start_date").to_pylist() == [dt.date(2012, 1, 1),
                                                            dt.date(2012, 2, 1)]
    assert valid.table.column("end_date").to_pylist() == [dt.date(2012, 3, 1), None]
    assert valid.table.column("completed").to_pylist() == [True, False]


def test_excel_without_the_named_sheet_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "one"
    book.create_sheet("two")
    book.save(tmp_path / "w.xlsx")
    with pytest.raises(ValidationFailed) as info:
        read_table(tmp_path / "w.xlsx", "providers")
    assert info.value.problems[0].rule == "sheet_missing"
    assert "one, two" in str(info.value)


def test_duplicated_header_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("provider_id,name,kind,name\nN1,a,partner,b\n")
    with pytest.raises(ValidationFailed) as info:
        read_table(tmp_path / "p.csv", "providers")
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.rule) == (1, "name", "column_duplicated")


@pytest.mark.parametrize("name,content,rule", [
    ("x.txt", b"a,b\n", "file_type_unsupported"),
    ("x.csv", b"", "file_unreadable"),
    ("x.csv", "provider_id,name,kind\nN1,Caf\xe9,partner\n".encode("latin-1"), "file_unreadable"),
])
def test_unreadable_files_are_bad_input(tmp_path: Path, name: str, content: bytes,
                                        rule: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ValidationFailed) as info:
        read_table(tmp_path / name, "providers")
    assert info.value.problems[0].rule == rule


def test_unknown_table_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="assessments"):
        read_table(tmp_path / "x.csv", "offenders")
