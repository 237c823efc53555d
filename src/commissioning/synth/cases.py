"""A chunk of assessments as NumPy arrays, with OGRS3 scores: the input of the outcome generators.

The outcome tables (cohort, reoffences, interventions) are generated from the assessments, so
that proven reoffending follows each person's OGRS3 probabilities (REFERENCES.md, "OGRS3") and
services follow need and risk. This module reads a ``pyarrow.Table`` chunk of the
``assessments`` contract table once and scores it with :mod:`commissioning.assess.ogrs3`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from commissioning.assess import ogrs3
from commissioning.assess.risk import RiskRules
from commissioning.schema.contract import (
    NEED_COLUMNS,
    OFFENCE_GROUPS,
    OFFENCES,
    REQUIREMENTS,
    SENTENCE_TYPES,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

def date_days(column: pa.ChunkedArray | pa.Array, fill: int = -1) -> IntArray:
    """Days since 1970-01-01 of a date column; nulls become ``fill``."""
    arr = pc.fill_null(pc.cast(column, pa.int32()), fill)
    return np.asarray(arr.to_numpy(), dtype=np.int64)


def days_to_dates(days: IntArray) -> pa.Array:
    """A ``date32`` array from days since 1970-01-01."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.int32()).cast(pa.date32())


def dictionary_strings(codes: IntArray, labels: tuple[str, ...] | list[str]) -> pa.Array:
    """A string array from integer codes into ``labels`` (fast: no Python strings per row)."""
    dictionary = pa.array(list(labels), type=pa.string())
    indices = pa.array(np.asarray(codes, dtype=np.int32), type=pa.int32())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def category_codes(column: pa.ChunkedArray | pa.Array, labels: tuple[str, ...]) -> IntArray:
    """Positions of each value in ``labels`` (-1 for null or unknown values)."""
    idx = pc.index_in(column, value_set=pa.array(list(labels), type=pa.string()))
    return np.asarray(pc.fill_null(idx, -1).to_numpy(), dtype=np.int64)


def _civil(days: IntArray) -> tuple[IntArray, IntArray]:
    """Year and month*100+day of days since 1970-01-01 (Hinnant's civil_from_days, integer only)."""
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month * 100 + day


def whole_years(born: IntArray | tuple[IntArray, IntArray], on: IntArray) -> IntArray:
    """Age in whole years (birthday arithmetic), as :func:`commissioning.assess.ogrs3.whole_years`
    but on integer day numbers, which is several times faster for millions of rows.

    ``born`` may be given already split by :func:`_civil` to convert it once for several ages.
    """
    by, bmd = born if isinstance(born, tuple) else _civil(born)
    oy, omd = _civil(on)
    return np.asarray(oy - by - (omd < bmd), dtype=np.int64)


def requirement_flags(requirements: pa.ChunkedArray | pa.Array | None, n: int) -> BoolArray:
    """An (n, len(REQUIREMENTS)) matrix: which requirement codes each ';'-list contains."""
    flags = np.zeros((n, len(REQUIREMENTS)), dtype=bool)
    if requirements is None:
        return flags
    parts = pc.split_pattern(pc.fill_null(requirements, ""), ";")
    if isinstance(parts, pa.ChunkedArray):
        parts = parts.combine_chunks()
    parent = np.asarray(pc.list_parent_indices(parts).to_numpy(), dtype=np.int64)
    codes = category_codes(pc.list_flatten(parts), REQUIREMENTS)
    known = codes >= 0
    flags[parent[known], codes[known]] = True
    return flags


def _bool(table: pa.Table, name: str) -> BoolArray:
    if name not in table.column_names:
        return np.zeros(table.num_rows, dtype=bool)
    return np.asarray(pc.fill_null(table.column(name), False).to_numpy(), dtype=bool)


@dataclass(frozen=True)
class Cases:
    """One chunk of assessed people as arrays (dates in days since 1970-01-01)."""

    table: pa.Table
    assessment_date: IntArray
    conviction_date: IntArray
    setting_custody: BoolArray
    female: BoolArray
    offence: IntArray
    offence_group: IntArray
    sentence_type: IntArray
    sentence_length_days: IntArray
    requirements: BoolArray
    needs: dict[str, BoolArray]
    linear_predictor: FloatArray
    ogrs3_1y: FloatArray
    ogrs3_2y: FloatArray
    low_risk: BoolArray

    @property
    def n(self) -> int:
        return int(self.table.num_rows)


def read_cases(assessments: pa.Table, risk_rules: RiskRules) -> Cases:
    """Read and score a chunk of the ``assessments`` table.

    ``low_risk`` is the document's "low risk of reoffending and low risk of harm" (Community
    Services intention 3, Custodial Services intention 4): OGRS3 two-year score below the
    medium threshold of the tier rule and a harm level that does not make the tier very high.
    """
    t = assessments
    born = _civil(date_days(t.column("date_of_birth")))
    assessed = date_days(t.column("assessment_date"))
    convicted = date_days(t.column("conviction_date"))
    first = date_days(t.column("first_sanction_date"))
    female = np.asarray(pc.equal(t.column("sex"), "female").to_numpy(), dtype=bool)
    offence = category_codes(t.column("offence"), OFFENCES)
    if (offence < 0).any():
        row = int(np.argmax(offence < 0))
        raise ValueError(
            f"assessments row {row + 1}, column 'offence': "
            f"{t.column('offence')[row].as_py()!r} is not an OGRS3 offence category"
        )
    y = ogrs3.linear_predictor(
        whole_years(born, assessed),
        whole_years(born, convicted),
        whole_years(born, first),
        female,
        np.asarray(t.column("previous_sanctions").to_numpy(), dtype=np.int64),
        offence,
    )
    p1, p2 = ogrs3.probabilities(y)
    group_of = risk_rules.group_of()
    group_index = np.array([OFFENCE_GROUPS.index(group_of[o]) for o in OFFENCES])
    rosh = t.column("rosh")
    harm_high = np.asarray(
        pc.is_in(rosh, value_set=pa.array(list(risk_rules.very_high_harm_levels))).to_numpy(),
        dtype=bool,
    )
    low_risk = (ogrs3.score_percent(p2) < risk_rules.tier_medium_from_pct) & ~harm_high
    if "sentence_type" in t.column_names:
        sentence_type = category_codes(t.column("sentence_type"), SENTENCE_TYPES)
    else:
        sentence_type = np.full(t.num_rows, -1, dtype=np.int64)
    if "sentence_length_days" in t.column_names:
        length = np.asarray(
            pc.fill_null(pc.cast(t.column("sentence_length_days"), pa.int64()), -1).to_numpy(),
            dtype=np.int64,
        )
    else:
        length = np.full(t.num_rows, -1, dtype=np.int64)
    return Cases(
        table=t,
        assessment_date=assessed,
        conviction_date=convicted,
        setting_custody=np.asarray(pc.equal(t.column("setting"), "custody").to_numpy(), bool),
        female=female,
        offence=offence,
        offence_group=group_index[offence],
        sentence_type=sentence_type,
        sentence_length_days=length,
        requirements=requirement_flags(
            t.column("requirements") if "requirements" in t.column_names else None, t.num_rows
        ),
        needs={c: _bool(t, c) for c in NEED_COLUMNS},
        linear_predictor=y,
        ogrs3_1y=p1,
        ogrs3_2y=p2,
        low_risk=low_risk,
    )
