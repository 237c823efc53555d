"""Validation of a contract table, all-or-nothing and vectorised (DATA_MODEL.md).

Every check runs over whole Arrow columns (pyarrow compute and numpy), never a Python loop per
row, so a million rows validate in seconds. Problems are collected from every check, then the
first :data:`KEEP_PROBLEMS` by row are turned into :class:`Problem` records; the total is always
counted. Any problem means :class:`ValidationFailed`: nothing is imported.

Row numbers follow the spreadsheet convention for every format: the header is row 1 and the
first record is row 2 (for CSV this is the record number + 1, which differs from the physical
line only when a quoted value spans lines; for Parquet it is the record index + 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from commissioning.schema.contract import Column, ColumnType, TableSpec
from commissioning.schema.validation_rules import CROSS_COLUMN_RULES, TABLE_KEYS

#: How many problems are kept as records (the total is always counted).
KEEP_PROBLEMS = 1000
#: How many problems an error message lists before "… and N more".
SHOW_PROBLEMS = 20
HEADER_ROW = 1
FIRST_RECORD_ROW = 2

TRUE_WORDS: tuple[str, ...] = ("true", "1", "yes")
FALSE_WORDS: tuple[str, ...] = ("false", "0", "no")

# Whole numbers, allowing a zero fraction ("3.0") that spreadsheets and pandas often write.
_INTEGER = r"^[+-]?\d{1,18}(\.0*)?$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"

Rows = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Problem:
    """One validation problem: where it is, what the value was, which rule it breaks."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def describe(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}" + (" (header)" if self.row == HEADER_ROW else ""))
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return f"{', '.join(where)}: {self.message} [rule {self.rule}]"


class ValidationFailed(Exception):
    """The input breaks the data contract; nothing was imported.

    `problems` holds the first problems by row (up to :data:`KEEP_PROBLEMS`); `total` counts all.
    """

    def __init__(self, source: str, problems: list[Problem], total: int) -> None:
        self.source = source
        self.problems = problems
        self.total = total
        super().__init__(self._message())

    def _message(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"{self.source}: {self.total} {noun} found; nothing was imported."]
        lines += [f"  {p.describe()}" for p in self.problems[:SHOW_PROBLEMS]]
        hidden = self.total - min(len(self.problems), SHOW_PROBLEMS)
        if hidden > 0:
            lines.append(f"  … and {hidden} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class RawTable:
    """A file as read, before validation: column names normalised, values untyped or native.

    `problems` are file-level problems found while reading (e.g. a duplicated header).
    """

    source: Path
    table: pa.Table
    sheet: str | None = None
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class ValidTable:
    """A validated contract table: typed columns in contract order, plus what was dropped."""

    table_name: str
    source: Path
    table: pa.Table
    dropped_columns: tuple[str, ...] = ()
    sheet: str | None = None

    @property
    def num_rows(self) -> int:
        return int(self.table.num_rows)


@dataclass
class _Finding:
    """Rows breaking one rule in one column, kept as index arrays until reported."""

    rows: Rows
    column: str | None
    rule: str
    message: str
    context: tuple[str, ...] = ()
    detail: Callable[[str], str] | None = None
    notes: npt.NDArray[np.int64] | None = None


@dataclass
class _Collector:
    findings: list[_Finding] = field(default_factory=list)

    def add(self, mask: npt.NDArray[np.bool_], column: str | None, rule: str, message: str,
            **kwargs: object) -> None:
        rows = np.flatnonzero(mask).astype(np.int64)
        notes = kwargs.get("notes")
        if isinstance(notes, np.ndarray):
            kwargs["notes"] = notes[rows]  # notes come per record; keep those of flagged rows
        if rows.size:
            self.findings.append(_Finding(rows, column, rule, message, **kwargs))  # type: ignore[arg-type]


def _np_mask(values: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def _text(values: pa.Array) -> pa.Array:
    """Values as trimmed text, empty text as null (an empty cell means 'absent')."""
    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, values.type.value_type)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        if pa.types.is_boolean(values.type):
            values = pc.if_else(values, "true", "false")
        values = pc.cast(values, pa.string())
    trimmed = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _parse_date(raw: pa.Array, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(date32 values, mask of unparseable values). ISO YYYY-MM-DD only; real calendar dates."""
    if pa.types.is_date(raw.type):
        return pc.cast(raw, pa.date32()), pa.array(np.zeros(len(raw), dtype=np.bool_))
    if pa.types.is_timestamp(raw.type):
        midnight = pc.equal(pc.cast(pc.floor_temporal(raw, unit="day"), raw.type), raw)
        dates = pc.cast(raw, pa.date32())
        return pc.if_else(midnight, dates, None), pc.invert(pc.fill_null(midnight, True))
    stamps = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    parsed = pc.cast(stamps, pa.date32())
    # strptime rolls 2012-02-30 over to 2012-03-01 and accepts 2012-4-1: only a value that
    # formats back to exactly the same ISO text is a real date written in the contract's form.
    ok = pc.fill_null(pc.equal(pc.cast(parsed, pa.string()), text), False)
    present = pc.is_valid(text)
    dates = pc.if_else(ok, parsed, None)
    return dates, pc.and_(present, pc.invert(ok))


def _parse_int(raw: pa.Array, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(int64 values, mask of non-integers)."""
    if pa.types.is_integer(raw.type):
        return pc.cast(raw, pa.int64()), pa.array(np.zeros(len(raw), dtype=np.bool_))
    if pa.types.is_floating(raw.type):
        whole = pc.and_(pc.equal(pc.floor(raw), raw), pc.less(pc.abs(raw), 1e18))
        bad = pc.and_(pc.is_valid(raw), pc.invert(pc.fill_null(whole, False)))
        values = pc.if_else(pc.fill_null(whole, False), raw, None)
        return pc.cast(values, pa.int64()), bad
    ok = pc.fill_null(pc.match_substring_regex(text, _INTEGER), False)
    digits = pc.replace_substring_regex(text, r"\.0*$", "")
    values = pc.cast(pc.if_else(ok, digits, None), pa.int64())
    return values, pc.and_(pc.is_valid(text), pc.invert(ok))


def _parse_float(raw: pa.Array, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    if pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
        return pc.cast(raw, pa.float64()), pa.array(np.zeros(len(raw), dtype=np.bool_))
    ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
    values = pc.cast(pc.if_else(ok, text, None), pa.float64())
    return values, pc.and_(pc.is_valid(text), pc.invert(ok))


def _parse_bool(raw: pa.Array, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    if pa.types.is_boolean(raw.type):
        return raw, pa.array(np.zeros(len(raw), dtype=np.bool_))
    lower = pc.utf8_lower(text)
    is_true = pc.is_in(lower, value_set=pa.array(TRUE_WORDS))
    is_false = pc.is_in(lower, value_set=pa.array(FALSE_WORDS))
    known = pc.or_(is_true, is_false)
    values = pc.if_else(known, is_true, None)
    return values, pc.and_(pc.is_valid(text), pc.invert(known))


def _requirement_codes_outside(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def detail(value: str) -> str:
        bad = [c.strip() for c in value.split(";") if c.strip() and c.strip() not in allowed]
        return ", ".join(repr(c) for c in bad)

    return detail


def _closest_value(allowed: tuple[str, ...]) -> Callable[[str], str]:
    """`` — did you mean 'x'?`` for the allowed value closest to a wrong one (a misspelling,
    a shortened name such as 'theft' for 'theft_non_motor', or the wrong case), else ``""``."""
    import difflib

    def detail(value: str) -> str:
        wrong = value.strip().lower().replace(" ", "_").replace("-", "_")
        if wrong in allowed:
            return f" — did you mean {wrong!r}?"
        starts = [a for a in allowed if a.startswith(wrong) or wrong.startswith(a)]
        close = starts[:1] or difflib.get_close_matches(wrong, allowed, n=1, cutoff=0.6)
        return f" — did you mean {close[0]!r}?" if close else ""

    return detail


def _check_column(col: Column, raw: pa.Array, found: _Collector) -> pa.Array:
    """Check one column's values; return them typed (invalid values become null)."""
    text = _text(raw)
    blank = _np_mask(pc.is_null(text))
    if col.required:
        found.add(blank, col.name, "required_value_missing",
                  "a value is required here (the cell is empty)")
    typed: pa.Array
    if col.type == ColumnType.DATE:
        typed, bad = _parse_date(raw, text)
        found.add(_np_mask(bad), col.name, "date_not_iso",
                  "not a date in ISO form YYYY-MM-DD (e.g. 2012-04-01), or not a real date")
    elif col.type == ColumnType.INT:
        typed, bad = _parse_int(raw, text)
        found.add(_np_mask(bad), col.name, "int_not_whole_number",
                  "not a whole number (write digits only, e.g. 3)")
    elif col.type == ColumnType.FLOAT:
        typed, bad = _parse_float(raw, text)
        found.add(_np_mask(bad), col.name, "number_not_numeric", "not a number")
    elif col.type == ColumnType.BOOL:
        typed, bad = _parse_bool(raw, text)
        found.add(_np_mask(bad), col.name, "bool_not_recognised",
                  "not a yes/no value: use true/false, 1/0 or yes/no")
    elif col.type == ColumnType.ENUM and col.values is not None:
        typed = text
        outside = pc.and_(pc.is_valid(text),
                          pc.invert(pc.is_in(text, value_set=pa.array(col.values))))
        found.add(_np_mask(outside), col.name, "enum_value_unknown",
                  "not one of: " + ", ".join(col.values)
                  + " (enumerations are lower-case snake_case){detail}",
                  detail=_closest_value(col.values))
    elif col.type == ColumnType.STRING and col.values is not None:
        # A list of codes separated by ';' (the `requirements` column): check every code.
        typed = text
        pieces = pc.split_pattern(text, ";")
        codes = pc.utf8_trim_whitespace(pc.list_flatten(pieces))
        parents = np.asarray(pc.list_parent_indices(pieces).to_numpy(), dtype=np.int64)
        outside = pc.and_(pc.not_equal(codes, ""),
                          pc.invert(pc.is_in(codes, value_set=pa.array(col.values))))
        bad_rows = np.unique(parents[_np_mask(outside)])
        mask = np.zeros(len(raw), dtype=np.bool_)
        mask[bad_rows] = True
        found.add(mask, col.name, "code_value_unknown",
                  "contains {detail}, not a known code; codes (separated by ';') are: "
                  + ", ".join(col.values), detail=_requirement_codes_outside(col.values))
    else:
        typed = text
    if col.minimum is not None and col.type in (ColumnType.INT, ColumnType.FLOAT):
        below = _np_mask(pc.less(typed, col.minimum))
        minimum = int(col.minimum) if float(col.minimum).is_integer() else col.minimum
        found.add(below, col.name, "number_below_minimum", f"must be {minimum} or more")
    if col.maximum is not None and col.type in (ColumnType.INT, ColumnType.FLOAT):
        above = _np_mask(pc.greater(typed, col.maximum))
        found.add(above, col.name, "number_above_maximum", f"must be {col.maximum} or less")
    return typed


def _check_key(table: str, typed: dict[str, pa.Array], found: _Collector, n: int) -> None:
    key = TABLE_KEYS.get(table)
    if not key or any(k not in typed for k in key):
        return
    parts = [pc.cast(typed[k], pa.string()) for k in key]
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")
    encoded = _as_array(pc.dictionary_encode(joined))
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(), dtype=np.int64)
    _, first_index, inverse = np.unique(codes, return_index=True, return_inverse=True)
    first_row = first_index[inverse].astype(np.int64)
    duplicate = (first_row != np.arange(n)) & (codes >= 0)
    found.add(duplicate, key[0], "duplicate_key",
              f"{' + '.join(key)} must be unique in {table}; this value first appears on "
              "row {note}", notes=first_row + FIRST_RECORD_ROW)


def _materialise(source: str, raw: pa.Table, found: _Collector) -> tuple[list[Problem], int]:
    """Turn the first problems by row into records, counting them all."""
    total = sum(int(f.rows.size) for f in found.findings)
    if not found.findings:
        return [], 0
    which = np.concatenate([np.full(f.rows.size, i) for i, f in enumerate(found.findings)])
    rows = np.concatenate([f.rows for f in found.findings])
    position = np.concatenate([np.arange(f.rows.size) for f in found.findings])
    order = np.lexsort((which, rows))[:KEEP_PROBLEMS]
    names = raw.column_names
    problems: list[Problem] = []
    for k in order:
        f = found.findings[int(which[k])]
        row = int(rows[k])
        value = None
        if f.column is not None and f.column in names and row >= 0:
            cell = raw.column(f.column)[row].as_py()
            value = "" if cell is None else str(cell)
        message = f.message
        if f.detail is not None and value is not None:
            message = message.replace("{detail}", f.detail(value))
        if f.notes is not None:
            message = message.replace("{note}", str(int(f.notes[int(position[k])])))
        if f.context:
            parts = []
            for c in f.context:
                cell = raw.column(c)[row].as_py()
                parts.append(f"{c} {'' if cell is None else cell}")
            message += f" ({', '.join(parts)})"
        problems.append(Problem(source, row + FIRST_RECORD_ROW if row >= 0 else HEADER_ROW,
                                f.column, value, f.rule, message))
    return problems, total


def validate(raw: RawTable, spec: TableSpec) -> ValidTable:
    """Check a raw table against its contract spec; return it typed or raise ValidationFailed.

    Columns outside the contract are dropped (the minimum data set); absent optional columns
    stay absent (unknown, never guessed).
    """
    source = raw.source.name if raw.sheet is None else f"{raw.source.name} [{raw.sheet}]"
    found = _Collector()
    present = set(raw.table.column_names)
    for name in spec.required_columns:
        if name not in present:
            found.findings.append(_Finding(
                np.array([-1], dtype=np.int64), name, "required_column_missing",
                f"the required column {name!r} is missing from the header; add it "
                f"(column names are: {', '.join(spec.column_names)})"))
    kept = [c for c in spec.columns if c.name in present]
    dropped = tuple(n for n in raw.table.column_names if n not in spec.column_names)
    typed: dict[str, pa.Array] = {}
    for col in kept:
        typed[col.name] = _check_column(col, _as_array(raw.table.column(col.name)), found)
    for rule_id in spec.rules:
        rule = CROSS_COLUMN_RULES[rule_id]
        if all(c in typed for c in rule.columns):
            context = tuple(c for c in rule.columns if c != rule.column)
            found.add(rule.check(typed), rule.column, rule.rule_id, rule.message,
                      context=context)
    _check_key(spec.name, typed, found, raw.table.num_rows)
    problems, total = _materialise(source, raw.table, found)
    problems = list(raw.problems) + problems
    total += len(raw.problems)
    if total:
        raise ValidationFailed(source, problems[:KEEP_PROBLEMS], total)
    fields = [pa.field(c.name, _ARROW_TYPES[c.type], nullable=not c.required) for c in kept]
    table = pa.Table.from_arrays([pc.cast(typed[c.name], f.type) for c, f in zip(kept, fields,
                                                                                  strict=True)],
                                 schema=pa.schema(fields))
    return ValidTable(spec.name, raw.source, table, dropped, raw.sheet)


_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.ENUM: pa.string(),
    ColumnType.DATE: pa.date32(),
    ColumnType.INT: pa.int64(),
    ColumnType.BOOL: pa.bool_(),
    ColumnType.FLOAT: pa.float64(),
}
