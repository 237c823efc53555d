"""A provider's price schedule: a whole proposal's service × segment price lines in one file.

The file (CSV or Excel .xlsx) has one row per line, in the columns of :data:`COLUMNS` — the
fields a provider otherwise enters one line at a time. It is read with the data contract's
readers (:func:`commissioning.io.readers.read_raw`: header names trimmed and lower-cased, CSV
UTF-8 with or without a byte-order mark, a workbook's sheet named ``price_schedule`` or its
only sheet) and validated the same way (:func:`commissioning.io.validation.validate`):
**all-or-nothing**, every problem naming the file, row (the header is row 1), column, value
and rule. On top of the column rules, each row must name a service the round offers, in a
setting the service is delivered in, with a unit price in pounds and pence, and no two rows
(nor, when adding, a row and a line already in the proposal) may price the same service for
the same segment.

Pure: no Django. The web's price-schedule page (``web.views.proposals``) passes the round's
services and applies the lines through ``web.services.apply_price_schedule``.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa

from commissioning.io.readers import read_raw
from commissioning.io.validation import (
    FIRST_RECORD_ROW,
    KEEP_PROBLEMS,
    TRUE_WORDS,
    Problem,
    RawTable,
    ValidationFailed,
    validate,
)
from commissioning.schema.contract import (
    OFFENCE_GROUPS,
    RISK_TIERS,
    SETTINGS,
    Column,
    ColumnType,
    TableSpec,
)

#: The table's name: the sheet a workbook's schedule is read from.
TABLE = "price_schedule"
#: File types a price schedule may be uploaded as.
ACCEPTED_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx")
#: Risk of serious harm as a proposal line records it (high covers high and very high).
HARM_BANDS: tuple[str, ...] = ("low", "medium", "high")
#: The largest unit price a proposal line holds (12 digits, 2 of them pence).
MAX_UNIT_PRICE = Decimal("9999999999.99")
#: The largest volume a proposal line holds (a positive integer field).
MAX_VOLUME = 2_147_483_647

COLUMNS: tuple[Column, ...] = (
    Column("service_id", ColumnType.STRING, True,
           "the service: a sentence-delivery or evidence-catalogue id the round offers"),
    Column("setting", ColumnType.ENUM, True, "community or custody", SETTINGS),
    Column("offence_group", ColumnType.ENUM, True, "the segment's offence group", OFFENCE_GROUPS),
    Column("risk_tier", ColumnType.ENUM, True, "the segment's risk tier (Tables 1-2)", RISK_TIERS),
    Column("harm", ColumnType.ENUM, True,
           "risk of serious harm: low, medium, or high (high or very high)", HARM_BANDS),
    Column("women_only", ColumnType.BOOL, False,
           "true when the service is for women only (empty means false)"),
    Column("volume", ColumnType.INT, True, "starts or places a year", minimum=1,
           maximum=MAX_VOLUME),
    Column("unit_price", ColumnType.FLOAT, True, "unit price in pounds and pence", minimum=0,
           maximum=float(MAX_UNIT_PRICE)),
    Column("rationale", ColumnType.STRING, False,
           "why, where the choice departs from the evidence base or the intentions"),
)
SPEC = TableSpec(TABLE, "A proposal's price schedule: one row per service and segment.", COLUMNS)
#: What makes two lines the same line: the service for the same segment.
KEY: tuple[str, ...] = ("service_id", "setting", "offence_group", "risk_tier", "harm",
                        "women_only")


@dataclass(frozen=True)
class Offer:
    """What a round lets a schedule name: each service id, its name and the settings it is
    delivered in (empty: any setting)."""

    services: Mapping[str, tuple[str, tuple[str, ...]]]

    def settings_of(self, service_id: str) -> tuple[str, ...]:
        return self.services[service_id][1]


@dataclass(frozen=True)
class PriceLine:
    """One validated row of a schedule (``row`` as the spreadsheet numbers it)."""

    row: int
    service_id: str
    setting: str
    offence_group: str
    risk_tier: str
    harm: str
    women_only: bool
    volume: int
    unit_price: Decimal
    rationale: str

    @property
    def key(self) -> tuple[str, str, str, str, str, bool]:
        return (self.service_id, self.setting, self.offence_group, self.risk_tier, self.harm,
                self.women_only)


def most_lines(offer: Offer) -> int:
    """The most rows a schedule can have: one per service and segment (women only or not)."""
    per_setting = len(OFFENCE_GROUPS) * len(RISK_TIERS) * len(HARM_BANDS) * 2
    return sum(per_setting * (len(s) if s else len(SETTINGS)) for _, s in offer.services.values())


def _refused(source: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed(source, [Problem(source, None, None, None, rule, message)], 1)


def _cells(raw: RawTable, name: str) -> list[str | None]:
    if name not in raw.table.column_names:
        return [None] * raw.table.num_rows
    out: list[str | None] = []
    for value in raw.table.column(name).to_pylist():
        text = None if value is None else str(value).strip()
        out.append(text or None)
    return out


def _pence(text: str) -> bool:
    """Whether a unit price is whole pence (a spreadsheet's 1450.5 and 1450.50 both are)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return True  # not a number at all: the column rule reports it
    return value == value.quantize(Decimal("0.01"))


def _row_problems(raw: RawTable, source: str, offer: Offer,
                  existing: Iterable[tuple[str, str, str, str, str, bool]]) -> list[Problem]:
    """The rules across a row's columns, and between rows, that the column rules do not see."""
    services, settings = _cells(raw, "service_id"), _cells(raw, "setting")
    prices = _cells(raw, "unit_price")
    keys = {c: _cells(raw, c) for c in KEY}
    held = set(existing)
    first: dict[tuple[str, str, str, str, str, bool], int] = {}
    problems: list[Problem] = []
    for i in range(raw.table.num_rows):
        row = i + FIRST_RECORD_ROW
        service, setting = services[i], settings[i]
        if service is not None and service not in offer.services:
            problems.append(Problem(
                source, row, "service_id", service, "service_not_offered",
                "not a service this round offers: use a service id from the template's "
                "allowed_values (sentence delivery or the evidence catalogue)"))
        elif service is not None and setting in SETTINGS:
            where = offer.settings_of(service)
            if where and setting not in where:
                problems.append(Problem(
                    source, row, "setting", setting, "service_not_in_setting",
                    f"{offer.services[service][0]} is delivered in {' and '.join(where)} only"
                    f" (service_id {service})"))
        price = prices[i]
        if price is not None and not _pence(price):
            problems.append(Problem(source, row, "unit_price", price, "price_not_in_pence",
                                    "a unit price is pounds and pence: at most 2 decimal places"))
        values = [keys[c][i] for c in KEY]
        if all(v is not None for v in values[:5]):
            women = (values[5] or "false").lower() in TRUE_WORDS
            typed = (str(values[0]), str(values[1]), str(values[2]), str(values[3]),
                     str(values[4]), women)
            key = typed
            if key in first:
                problems.append(Problem(
                    source, row, "service_id", service, "duplicate_line",
                    f"this service is priced for the same segment on row {first[key]}; "
                    "give each service and segment one row"))
            else:
                first[key] = row
                if typed in held:
                    problems.append(Problem(
                        source, row, "service_id", service, "line_exists",
                        "the proposal already has this service for this segment: choose "
                        "'Replace', or remove the row"))
    return problems


def _lines(table: pa.Table) -> list[PriceLine]:
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    n = table.num_rows
    women = cols.get("women_only", [None] * n)
    rationale = cols.get("rationale", [None] * n)
    return [
        PriceLine(
            row=i + FIRST_RECORD_ROW,
            service_id=str(cols["service_id"][i]),
            setting=str(cols["setting"][i]),
            offence_group=str(cols["offence_group"][i]),
            risk_tier=str(cols["risk_tier"][i]),
            harm=str(cols["harm"][i]),
            women_only=bool(women[i]),
            volume=int(cols["volume"][i]),
            unit_price=Decimal(repr(float(cols["unit_price"][i]))).quantize(Decimal("0.01")),
            rationale=str(rationale[i] or ""),
        )
        for i in range(n)
    ]


def read_schedule(path: Path, offer: Offer,
                  existing: Iterable[tuple[str, str, str, str, str, bool]] = ()) -> list[PriceLine]:
    """Read and validate a price schedule file; its lines, or :class:`ValidationFailed` with
    every problem (nothing may be applied then). ``existing``: the keys of lines the schedule
    is added to (a row repeating one is refused)."""
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise _refused(path.name, "file_type_unsupported",
                       "a price schedule is a CSV or Excel (.xlsx) file, not "
                       f"{suffix or 'a file without an extension'}")
    raw = read_raw(path, TABLE)
    source = path.name if raw.sheet is None else f"{path.name} [{raw.sheet}]"
    if raw.table.num_rows == 0 and not raw.problems:
        raise _refused(source, "no_records",
                       "the file has a header but no price lines under it")
    limit = most_lines(offer)
    if raw.table.num_rows > limit:
        raise _refused(source, "too_many_rows",
                       f"{raw.table.num_rows:,} rows: a schedule has at most one row per service "
                       f"and segment, {limit:,} rows in all")
    extra = _row_problems(raw, source, offer, existing)
    try:
        valid = validate(raw, SPEC)
    except ValidationFailed as exc:
        problems = sorted([*exc.problems, *extra], key=lambda p: (p.row or 0))
        raise ValidationFailed(source, problems[:KEEP_PROBLEMS], exc.total + len(extra)) from None
    if extra:
        raise ValidationFailed(source, extra[:KEEP_PROBLEMS], len(extra))
    return _lines(valid.table)


def read_upload(chunks: Iterable[bytes], filename: str, offer: Offer,
                existing: Iterable[tuple[str, str, str, str, str, bool]] = ()) -> list[PriceLine]:
    """:func:`read_schedule` on an uploaded file's content, in a temporary folder removed
    afterwards; problems name the file as uploaded."""
    name = Path(filename).name or "upload"
    with tempfile.TemporaryDirectory(prefix="commissioning-prices-") as folder:
        path = Path(folder) / name
        with path.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        return read_schedule(path, offer, existing)


# ---------------------------------------------------------------------------------------------
# The template: the header, one example row, and the values the round allows.
# ---------------------------------------------------------------------------------------------


def header() -> list[str]:
    return [c.name for c in COLUMNS]


def example_row(line: PriceLine) -> list[str]:
    return [line.service_id, line.setting, line.offence_group, line.risk_tier, line.harm,
            "true" if line.women_only else "false", str(line.volume), f"{line.unit_price:.2f}",
            line.rationale]


def allowed_values(offer: Offer) -> list[tuple[str, str, str]]:
    """(column, value, meaning) for every coded column: the round's services (with the
    settings each is delivered in), then the segment's codes."""
    rows: list[tuple[str, str, str]] = []
    for sid, (name, where) in offer.services.items():
        rows.append(("service_id", sid, f"{name} ({' or '.join(where) if where else 'any'})"))
    meanings = {"harm": {"high": "high or very high"}}
    for col in COLUMNS:
        if col.values is not None:
            rows += [(col.name, v, meanings.get(col.name, {}).get(v, v.replace("_", " ")))
                     for v in col.values]
    rows += [("women_only", "true", "for women only"), ("women_only", "false", "for anyone")]
    return rows


def template_csv(example: PriceLine) -> bytes:
    """The CSV template: UTF-8 with a byte-order mark (Excel shows £ as it is), header and
    one example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header())
    writer.writerow(example_row(example))
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(example: PriceLine, offer: Offer) -> bytes:
    """The Excel template: sheet ``price_schedule`` (header and one example row, numbers as
    numbers) and sheet ``allowed_values`` (read by nobody: the codes to choose from)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = TABLE
    sheet.append(header())
    values: list[object] = list(example_row(example))
    values[5] = example.women_only
    values[6] = example.volume
    values[7] = float(example.unit_price)
    sheet.append(values)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (30, 12, 14, 12, 10, 12, 10, 12, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    codes = book.create_sheet("allowed_values")
    codes.append(["column", "value", "meaning"])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    for row in allowed_values(offer):
        codes.append(list(row))
    codes.column_dimensions["A"].width = 16
    codes.column_dimensions["B"].width = 40
    codes.column_dimensions["C"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
