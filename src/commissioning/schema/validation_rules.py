"""Cross-column rules and keys of the data contract (DATA_MODEL.md): impossible combinations.

Each rule id named in a :class:`~commissioning.schema.contract.TableSpec` has one
:class:`CrossColumnRule` here. A rule is a vectorised check over typed Arrow columns that returns
a boolean mask of the rows that break it; a row whose inputs are missing or invalid is not
flagged (its own column check already reports it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from commissioning.schema.dates import whole_years

Columns = Mapping[str, pa.Array]
Mask = npt.NDArray[np.bool_]

#: Age of criminal responsibility in England & Wales (Children and Young Persons Act 1933,
#: s.50, as amended 1963): nobody can be sanctioned before their tenth birthday. This is law,
#: not policy, so it is a constant rather than a dated parameter.
AGE_OF_CRIMINAL_RESPONSIBILITY = 10

#: Sentence types on which community-order requirements may be imposed (Criminal Justice Act
#: 2003, ss.177 and 190).
REQUIREMENT_SENTENCES: tuple[str, ...] = ("community_order", "suspended_sentence_order")

#: Keys the contract implies: reference tables have one row per code.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "providers": ("provider_id",),
    "establishments": ("provider_id",),
    "partners": ("partner_id",),
    "community_starts": ("quarter", "sentence_type", "requirement"),
}


@dataclass(frozen=True)
class CrossColumnRule:
    """An impossible combination of values within one row.

    `columns` are the inputs (the rule is skipped when one is absent from the file); `column`
    is the column an error points at; `message` is the human sentence.
    """

    rule_id: str
    columns: tuple[str, ...]
    column: str
    message: str
    check: Callable[[Columns], Mask]


def _mask(values: pa.Array | pa.ChunkedArray) -> Mask:
    """A boolean mask from an Arrow boolean result, nulls counting as 'not violated'."""
    filled = pc.fill_null(values, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _after(later: str, earlier: str) -> Callable[[Columns], Mask]:
    """Flag rows where column `later` is strictly after column `earlier`."""

    def check(cols: Columns) -> Mask:
        return _mask(pc.greater(cols[later], cols[earlier]))

    return check


def _days(values: pa.Array) -> npt.NDArray[np.datetime64]:
    arr = pc.cast(values, pa.date32()).to_numpy(zero_copy_only=False)
    return np.asarray(arr, dtype="datetime64[D]")


def _too_young_at_first_sanction(cols: Columns) -> Mask:
    born = cols["date_of_birth"]
    first = cols["first_sanction_date"]
    known = _mask(pc.and_(pc.is_valid(born), pc.is_valid(first)))
    # Born after the first sanction is its own rule; do not report the same row twice.
    ordered = ~_mask(pc.greater(born, first))
    age = whole_years(_days(born), _days(first))
    return known & ordered & (age < AGE_OF_CRIMINAL_RESPONSIBILITY)


def _requirements_on_other_sentence(cols: Columns) -> Mask:
    has_requirements = pc.greater(pc.utf8_length(pc.fill_null(cols["requirements"], "")), 0)
    other = pc.invert(pc.is_in(cols["sentence_type"], value_set=pa.array(REQUIREMENT_SENTENCES)))
    known_sentence = pc.is_valid(cols["sentence_type"])
    return _mask(pc.and_(pc.and_(has_requirements, known_sentence), other))


def _not_a_quarter(cols: Columns) -> Mask:
    text = pc.cast(cols["quarter"], pa.string())
    return _mask(pc.invert(pc.match_substring_regex(text, r"^[0-9]{4}Q[1-4]$")))


CROSS_COLUMN_RULES: dict[str, CrossColumnRule] = {
    r.rule_id: r
    for r in (
        CrossColumnRule(
            "first_sanction_not_after_conviction",
            ("first_sanction_date", "conviction_date"),
            "first_sanction_date",
            "the first ever sanction cannot come after the current conviction",
            _after("first_sanction_date", "conviction_date"),
        ),
        CrossColumnRule(
            "conviction_not_after_assessment",
            ("conviction_date", "assessment_date"),
            "conviction_date",
            "the current conviction cannot come after the assessment",
            _after("conviction_date", "assessment_date"),
        ),
        CrossColumnRule(
            "born_before_first_sanction",
            ("date_of_birth", "first_sanction_date"),
            "date_of_birth",
            "the date of birth cannot come after the first sanction",
            _after("date_of_birth", "first_sanction_date"),
        ),
        CrossColumnRule(
            "age_of_criminal_responsibility",
            ("date_of_birth", "first_sanction_date"),
            "first_sanction_date",
            f"the first sanction is before the age of criminal responsibility "
            f"({AGE_OF_CRIMINAL_RESPONSIBILITY} in England & Wales)",
            _too_young_at_first_sanction,
        ),
        CrossColumnRule(
            "requirements_only_for_community_sentences",
            ("requirements", "sentence_type"),
            "requirements",
            "requirements can only be imposed with a community_order or suspended_sentence_order",
            _requirements_on_other_sentence,
        ),
        CrossColumnRule(
            "offence_not_after_disposal",
            ("offence_date", "disposal_date"),
            "offence_date",
            "an offence cannot be committed after it was disposed of",
            _after("offence_date", "disposal_date"),
        ),
        CrossColumnRule(
            "start_not_after_end",
            ("start_date", "end_date"),
            "start_date",
            "an intervention cannot start after it ends",
            _after("start_date", "end_date"),
        ),
        CrossColumnRule(
            "quarter_is_a_quarter",
            ("quarter",),
            "quarter",
            "a quarter is written as the year, Q and 1-4, e.g. 2011Q2",
            _not_a_quarter,
        ),
    )
}
