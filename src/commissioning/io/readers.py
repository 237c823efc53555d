"""Readers for contract tables in CSV, Parquet and Excel (DATA_MODEL.md).

`read_table(path, table_name)` reads a file, validates it against the contract and returns a
typed :class:`~commissioning.io.validation.ValidTable`; any problem raises
:class:`~commissioning.io.validation.ValidationFailed` listing file, row, column, value and rule.

Column names are matched after trimming spaces and lower-casing. CSV files are UTF-8 (a byte
order mark is fine), comma-separated, with a header row; a semicolon-separated file is refused
with a hint. Excel workbooks hold one sheet per table, named after the table; a workbook with a
single sheet is read whatever its name. Every reader returns every row of the file, whatever
its width: a table is as wide as its widest row.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from commissioning.io.validation import (
    HEADER_ROW,
    Problem,
    RawTable,
    ValidationFailed,
    ValidTable,
    validate,
)
from commissioning.schema.contract import table_spec

SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".xlsx")


def _unreadable(path: Path, why: str, rule: str = "file_unreadable") -> ValidationFailed:
    return ValidationFailed(path.name, [Problem(path.name, None, None, None, rule, why)], 1)


def _normalise(path: Path, table: pa.Table, sheet: str | None = None) -> RawTable:
    """Trim and lower-case column names; keep the first of duplicated names (and say so)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    keep: list[int] = []
    names: list[str] = []
    source = path.name if sheet is None else f"{path.name} [{sheet}]"
    for i, name in enumerate(table.column_names):
        clean = (name or "").strip().lower()
        if not clean:
            column = table.column(i)
            if column.null_count == len(column) or all(
                (v is None or str(v).strip() == "") for v in column.to_pylist()
            ):
                continue  # an empty, unnamed column (e.g. trailing spreadsheet columns)
            clean = f"unnamed_column_{i + 1}"
        if clean in seen:
            problems.append(Problem(source, HEADER_ROW, clean, name, "column_duplicated",
                                    "this column name appears more than once in the header; "
                                    "keep one"))
            continue
        seen.add(clean)
        keep.append(i)
        names.append(clean)
    selected = pa.Table.from_arrays([table.column(i) for i in keep], names=names)
    return RawTable(path, _without_trailing_empty_rows(selected), sheet, tuple(problems))


def _without_trailing_empty_rows(table: pa.Table) -> pa.Table:
    """Drop the rows at the end whose every cell is empty (spreadsheets keep them around),
    the same way in every format; an empty row before a filled one stays a row."""
    if table.num_rows == 0 or table.num_columns == 0:
        return table
    filled = np.zeros(table.num_rows, dtype=bool)
    for column in table.columns:
        present = pc.is_valid(column)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            text = pc.utf8_trim_whitespace(column)
            present = pc.and_(present, pc.fill_null(pc.not_equal(text, ""), False))
        filled |= present.to_numpy(zero_copy_only=False)
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return table if last == table.num_rows else table.slice(0, last)


def read_csv_raw(path: Path) -> RawTable:
    """Read a CSV file with every column as text (validation types them)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError:
        raise _unreadable(path, "the file is not UTF-8 text; save it as CSV UTF-8") from None
    if not header:
        raise _unreadable(path, "the file is empty; it needs a header row naming the columns")
    if any(";" in name for name in header):
        raise _unreadable(
            path,
            "the header row is separated by semicolons (" + "; ".join(
                n.strip() for n in ";".join(header).split(";")[:3]) + " …); this is how Excel "
            "saves CSV where the decimal mark is a comma. Save it again as \"CSV UTF-8 "
            "(Comma delimited)\", or save it as .xlsx",
            rule="csv_semicolon_separated",
        )
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=convert,
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _unreadable(path, f"the CSV could not be parsed: {exc}") from None
    return _normalise(path, table)


def read_parquet_raw(path: Path) -> RawTable:
    """Read a Parquet file keeping its native column types."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, f"the Parquet file could not be read: {exc}") from None
    return _normalise(path, table)


def _cell_text(value: Any) -> str | None:
    """An Excel cell as contract text: dates ISO, booleans true/false, whole floats as ints."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    return str(value)


def _used_width(row: tuple[Any, ...]) -> int:
    """The number of cells up to the last one holding a value."""
    for i in range(len(row), 0, -1):
        value = row[i - 1]
        if value is not None and str(value).strip() != "":
            return i
    return 0


def read_excel_raw(path: Path, table_name: str) -> RawTable:
    """Read the sheet named after the table (or the only sheet) from an .xlsx workbook."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _unreadable(path, f"the Excel workbook could not be opened: {exc}") from None
    try:
        sheets = list(book.sheetnames)
        if table_name in sheets:
            sheet_name = table_name
        elif len(sheets) == 1:
            sheet_name = sheets[0]
        else:
            raise _unreadable(
                path,
                f"no sheet named {table_name!r}; the workbook has {', '.join(sheets)}. "
                "Name the sheet after the table.",
                rule="sheet_missing",
            )
        rows = list(book[sheet_name].iter_rows(values_only=True))
    finally:
        book.close()
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()  # trailing empty rows that spreadsheets keep around
    if not rows:
        raise _unreadable(path, f"sheet {sheet_name!r} is empty; it needs a header row")
    # The table is as wide as its widest row (a value under an unnamed header cell becomes an
    # unnamed column, as in a CSV); every row is padded to that width, never cut.
    width = max(_used_width(r) for r in rows)
    header = ["" if v is None else str(v) for v in rows[0][:width]]
    header += [""] * (width - len(header))
    body = [tuple(r[:width]) + (None,) * (width - len(r)) for r in rows[1:]]
    # One array per header column, each holding every row of the sheet.
    arrays = [pa.array([_cell_text(r[i]) for r in body], type=pa.string())
              for i in range(width)]
    table = pa.Table.from_arrays(arrays, names=[f"{i}:{h}" for i, h in enumerate(header)])
    table = table.rename_columns(header)
    return _normalise(path, table, sheet_name)


def read_raw(path: Path | str, table_name: str) -> RawTable:
    """Read a CSV, Parquet or Excel file without validating it."""
    path = Path(path)
    if not path.is_file():
        raise _unreadable(path, f"no such file: {path}", rule="file_missing")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv_raw(path)
    if suffix == ".parquet":
        return read_parquet_raw(path)
    if suffix == ".xlsx":
        return read_excel_raw(path, table_name)
    raise _unreadable(path, f"unsupported file type {suffix or '(none)'!r}; use "
                      + ", ".join(SUFFIXES), rule="file_type_unsupported")


def read_table(path: Path | str, table_name: str) -> ValidTable:
    """Read and validate one contract table; raises ValidationFailed on any problem.

    Raises KeyError for a table name the contract does not have.
    """
    spec = table_spec(table_name)
    return validate(read_raw(path, table_name), spec)
