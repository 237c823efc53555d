"""How assurance is judged: which quarterly return is due when, whether a result meets its
target, and which published figures are withheld as small cells.

Periods are quarters of the financial year (April to March), written ``2012-Q1`` for April to
June 2012, the first quarter of 2012-13. A provider owes one self-audit return per quarter of
its agreement's term, due by the end of the month after the quarter ends (Commissioning
Intentions 2012-13, 'Contract and SLA Assurance': "the establishment shall be responsible for
self-audit, assurance statements and internal management and governance checks").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from commissioning.policy.parameters import ParameterSet
from commissioning.publish import disclosure
from commissioning.publish.disclosure import SUPPRESSED

# ---------------------------------------------------------------------------------------------
# Quarters and returns
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    """A quarter of the financial year starting in April of ``year``."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        year, _, q = text.partition("-Q")
        if not (year.isdigit() and q in ("1", "2", "3", "4")):
            raise ValueError(f"{text!r} is not a quarter: write YYYY-Qn, for example 2012-Q1")
        return cls(int(year), int(q))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        year = day.year if day.month >= 4 else day.year - 1
        return cls(year, (day.month - 4) % 12 // 3 + 1)

    @property
    def starts(self) -> dt.date:
        month = 4 + 3 * (self.number - 1)
        return dt.date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def ends(self) -> dt.date:
        return self.next().starts - dt.timedelta(days=1)

    @property
    def return_due(self) -> dt.date:
        """The last day of the month after the quarter ends."""
        after = self.ends + dt.timedelta(days=1)
        following = (
            dt.date(after.year + 1, 1, 1)
            if after.month == 12
            else dt.date(after.year, after.month + 1, 1)
        )
        return following - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.starts:%B %Y} to {self.ends:%B %Y}"


def reporting_quarter(starts: dt.date, ends: dt.date, on: dt.date) -> Quarter | None:
    """The latest quarter of an agreement's term that has ended by ``on`` (None before the
    first one ends)."""
    last = Quarter.containing(min(ends, on))
    if last.ends >= on:
        last = _previous(last)
    first = Quarter.containing(starts)
    return last if last >= first else None


def _previous(q: Quarter) -> Quarter:
    return Quarter(q.year - 1, 4) if q.number == 1 else Quarter(q.year, q.number - 1)


class ReturnState(StrEnum):
    NOT_YET = "Nothing due yet"
    RECEIVED = "Received"
    DUE = "Due"
    OVERDUE = "Overdue"


@dataclass(frozen=True)
class ReturnStatus:
    """The state of an agreement's return for its latest reporting quarter."""

    quarter: Quarter | None
    state: ReturnState

    @property
    def due(self) -> dt.date | None:
        return self.quarter.return_due if self.quarter is not None else None


def return_status(
    starts: dt.date, ends: dt.date, received_periods: Iterable[str], on: dt.date
) -> ReturnStatus:
    """Whether the return for the latest reporting quarter by ``on`` is received, due or late."""
    quarter = reporting_quarter(starts, ends, on)
    if quarter is None:
        return ReturnStatus(None, ReturnState.NOT_YET)
    if str(quarter) in set(received_periods):
        return ReturnStatus(quarter, ReturnState.RECEIVED)
    state = ReturnState.OVERDUE if on > quarter.return_due else ReturnState.DUE
    return ReturnStatus(quarter, state)


# ---------------------------------------------------------------------------------------------
# Performance against targets
# ---------------------------------------------------------------------------------------------


class Direction(StrEnum):
    AT_MOST = "at_most"
    AT_LEAST = "at_least"


class Standing(StrEnum):
    MET = "Target met"
    NOT_MET = "Target not met"
    NO_TARGET = "No target"
    WITHHELD = "Withheld"


def standing(actual: Decimal, target: Decimal | None, direction: str | None) -> Standing:
    """Met when the result is on the right side of the target (equal counts as met)."""
    if target is None or direction is None:
        return Standing.NO_TARGET
    met = actual <= target if direction == Direction.AT_MOST else actual >= target
    return Standing.MET if met else Standing.NOT_MET


def high_risk_score(params: ParameterSet, on: dt.date) -> int:
    """The dated policy parameter ``secure.high_risk_score`` in force on ``on``."""
    return int(params.value("secure.high_risk_score", on))


def small_cell_threshold(params: ParameterSet, on: dt.date) -> int:
    """The small-cell threshold in force on ``on``
    (:func:`commissioning.publish.disclosure.small_cell_threshold`)."""
    return disclosure.small_cell_threshold(params.at(on))


def is_small_cell(people: int | None, threshold: int) -> bool:
    """A published figure based on 1 to threshold - 1 people is withheld (zero is shown): the
    rule of :mod:`commissioning.publish.disclosure`."""
    return people is not None and disclosure.is_small_count(people, threshold)



@dataclass(frozen=True)
class PerformanceLine:
    """One result as a viewer may see it: withheld figures are ``*``."""

    measure: str
    period: str
    unit: str
    actual: str
    target: str
    direction: str
    people: str
    standing: Standing

    @property
    def withheld(self) -> bool:
        return self.standing == Standing.WITHHELD


def performance_line(
    measure: str,
    period: str,
    unit: str,
    actual: Decimal,
    target: Decimal | None,
    direction: str | None,
    direction_label: str,
    people: int | None,
    *,
    suppress: bool,
    threshold: int,
) -> PerformanceLine:
    """The result as shown; with ``suppress`` (anyone outside the commissioning side and the
    provider itself), a result based on a small number of people is withheld with its count and
    its standing against the target, which would reveal it."""
    shown_target = "" if target is None else f"{target.normalize():f}"
    if suppress and is_small_cell(people, threshold):
        return PerformanceLine(
            measure,
            period,
            unit,
            SUPPRESSED,
            shown_target,
            direction_label,
            SUPPRESSED,
            Standing.WITHHELD,
        )
    return PerformanceLine(
        measure,
        period,
        unit,
        f"{actual.normalize():f}",
        shown_target,
        direction_label,
        "" if people is None else str(people),
        standing(actual, target, direction),
    )
