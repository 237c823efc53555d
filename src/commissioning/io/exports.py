"""One writer for every table the product exports: CSV an analyst opens in Excel, and XLSX.

`write_table(frame, path)` writes ``path`` (CSV, UTF-8 with a byte-order mark so Excel shows
£, → and ≥ as they are) and, with ``xlsx=True``, the same table as ``path`` with ``.xlsx``:
numbers as numbers, the header row frozen, and withheld cells blank with a note saying why.
Missing values in published output are withheld cells (written ``*`` in CSV).

Output written with ``internal=True`` (the commands' ``--internal``) is unsuppressed: its file
name carries ``.not-for-publication`` and its first line says "NOT FOR PUBLICATION".

Tables that withhold nothing (forecasts, plans, ratings) are written with ``missing=""``:
an empty value there is "not applicable", never a withheld cell, so it is blank, not ``*``.
``write_tables`` writes a folder of such tables (each CSV, and each XLSX with ``xlsx``).

Units: ``_pct`` is a percentage (0-100), ``_rate`` a proportion (0-1); every numeric column's
unit is in :mod:`commissioning.io.units`, and each XLSX header cell carries it as a note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from commissioning.io.units import unit_of

SUPPRESSED = "*"
#: What marks unsuppressed output: in its file name and its first line.
INTERNAL_MARK = "NOT FOR PUBLICATION"
INTERNAL_SUFFIX = ".not-for-publication"
INTERNAL_NOTE = (
    f"{INTERNAL_MARK}: internal analysis, small cells NOT withheld (written with --internal). "
    "Do not publish or share outside the commissioning team."
)
#: The note on a withheld cell in XLSX.
WITHHELD_NOTE = (
    "Withheld: based on fewer than {threshold} people, or needed to stop recovery by "
    "subtraction (docs/disclosure.md)."
)
CSV_ENCODING = "utf-8-sig"


def internal_path(path: Path) -> Path:
    """Where unsuppressed output goes: ``x.csv`` becomes ``x.not-for-publication.csv``."""
    path = Path(path)
    if path.stem.endswith(INTERNAL_SUFFIX):
        return path
    return path.with_name(f"{path.stem}{INTERNAL_SUFFIX}{path.suffix}")


def _rounded(frame: pd.DataFrame, decimals: Mapping[str, int] | None) -> pd.DataFrame:
    view = frame.copy()
    for col in view.columns:
        places = (decimals or {}).get(col)
        if places is None and str(col).endswith("_pct"):
            places = 2
        if places is not None and pd.api.types.is_numeric_dtype(view[col]):
            view[col] = view[col].round(places)
    return view


def write_csv(
    frame: pd.DataFrame,
    path: Path,
    *,
    internal: bool = False,
    decimals: Mapping[str, int] | None = None,
    float_format: str | None = "%.6g",
    missing: str | None = None,
) -> Path:
    """Write one CSV (UTF-8 with BOM); withheld (missing) cells are ``*`` unless internal, or
    ``missing`` when given (``""`` for a table that withholds nothing)."""
    path = internal_path(Path(path)) if internal else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    view = _rounded(frame, decimals)
    with path.open("w", encoding=CSV_ENCODING, newline="") as fh:
        if internal:
            fh.write(f"# {INTERNAL_NOTE}\n")
        na_rep = missing if missing is not None else ("" if internal else SUPPRESSED)
        view.to_csv(fh, index=False, na_rep=na_rep,
                    float_format=float_format, lineterminator="\n")
    return path


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_xlsx(
    sheets: Sequence[tuple[str, pd.DataFrame]],
    path: Path,
    *,
    internal: bool = False,
    threshold: int | None = None,
    decimals: Mapping[str, int] | None = None,
) -> Path:
    """Write one workbook, a sheet per table: numbers as numbers, header row frozen, withheld
    cells blank with a note (published output), a first row saying so when internal."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    path = internal_path(Path(path)) if internal else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    note = WITHHELD_NOTE.format(threshold=threshold if threshold is not None else "the threshold")
    bold = Font(bold=True)
    for name, frame in sheets:
        sheet = book.create_sheet(name[:31])
        view = _rounded(frame, decimals)
        header_row = 1
        if internal:
            sheet.append([INTERNAL_NOTE])
            sheet.cell(1, 1).font = Font(bold=True, color="C00000")
            header_row = 2
        sheet.append([str(c) for c in view.columns])
        for col, cell in zip(view.columns, sheet[header_row], strict=True):
            cell.font = bold
            unit = unit_of(str(col), f"{name}.csv")
            if unit is not None and pd.api.types.is_numeric_dtype(view[col]):
                cell.comment = Comment(f"Unit: {unit}", "commissioning")
        for row in view.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        if not internal:
            for j, col in enumerate(view.columns, start=1):
                missing = view[col].isna().to_numpy()
                for i in missing.nonzero()[0]:
                    sheet.cell(header_row + 1 + int(i), j).comment = Comment(note, "commissioning")
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
        for j, col in enumerate(view.columns, start=1):
            letter = sheet.cell(header_row, j).column_letter
            sheet.column_dimensions[letter].width = max(10, min(40, len(str(col)) + 2))
    book.save(path)
    return path


def write_table(
    frame: pd.DataFrame,
    path: Path,
    *,
    internal: bool = False,
    xlsx: bool = False,
    threshold: int | None = None,
    decimals: Mapping[str, int] | None = None,
    sheet: str | None = None,
    float_format: str | None = "%.6g",
    missing: str | None = None,
) -> list[Path]:
    """Write ``frame`` as CSV at ``path`` and, with ``xlsx``, beside it as XLSX; the paths."""
    path = Path(path)
    written = [write_csv(frame, path, internal=internal, decimals=decimals,
                         float_format=float_format, missing=missing)]
    if xlsx:
        written.append(write_xlsx([(sheet or path.stem, frame)], path.with_suffix(".xlsx"),
                                  internal=internal, threshold=threshold, decimals=decimals))
    return written


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    folder: Path,
    *,
    xlsx: bool = False,
    float_format: str | None = None,
    decimals: Mapping[str, int] | None = None,
) -> list[Path]:
    """Write each ``name.csv: frame`` of a step or command that withholds nothing into
    ``folder`` (CSV with BOM, empty values blank; with ``xlsx`` an XLSX beside each); the paths
    in order. ``float_format=None`` keeps every digit, as ``DataFrame.to_csv`` does."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in tables.items():
        written += write_table(frame, folder / name, xlsx=xlsx, float_format=float_format,
                               decimals=decimals, missing="")
    return written
