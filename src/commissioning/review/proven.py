"""The proven-reoffending measure as Ibis expressions (Ministry of Justice definition).

A proven reoffence of a cohort member is an offence committed from day 1 to day
``follow_up_days`` (365) after the index date and disposed of by a court conviction or a caution
no later than day ``follow_up_days + disposal_days`` (365 + 183) after it (REFERENCES.md,
"Proven reoffending"). The boundaries, each tested in ``tests/test_review_proven.py``:

- an offence on the index date (day 0) or before it never counts;
- an offence on day 365 counts, on day 366 does not;
- a disposal on day 548 counts, on day 549 does not; a disposal after the data cut-off is
  not in the data, and members whose window ends after the cut-off leave the measure;
- every proven offence is a proven reoffence (frequency), cautions included;
- a *reconviction event* is a court appearance with a conviction: offences sharing a
  ``court_appearance_id`` count once, cautions are never events, and a conviction without an
  appearance id is its own appearance on its disposal date (one per person and date).

Every function returns an expression; nothing here knows the engine (engine/backend.py does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]

from commissioning.policy.parameters import Policy

#: Per-person outcome columns added by :func:`person_outcomes`.
PERSON_COLUMNS: tuple[str, ...] = (
    "reoffended",
    "reoffences",
    "reconviction_events",
    "days_to_first",
)
#: The ``commission outcomes`` columns after any ``--by`` columns (issue 6, "Interface").
SUMMARY_COLUMNS: tuple[str, ...] = (
    "cohort_size",
    "reoffenders",
    "binary_rate",
    "reoffences",
    "frequency_per_offender",
    "frequency_per_reoffender",
    "reconviction_events",
)
#: Columns derived from the index date that ``--by`` accepts besides the cohort's own.
PERIOD_COLUMNS: tuple[str, ...] = ("cohort_year", "cohort_quarter")


@dataclass(frozen=True)
class FollowUp:
    """The windows of the measure (``review.proven_reoffending``)."""

    follow_up_days: int
    disposal_days: int
    data_cutoff: dt.date | None

    def __post_init__(self) -> None:
        if self.follow_up_days <= 0 or self.disposal_days < 0:
            raise ValueError(
                "review.proven_reoffending: follow_up_days must be positive and disposal_days "
                "zero or more"
            )

    @classmethod
    def from_policy(cls, policy: Policy) -> FollowUp:
        return policy.load(cls, "review.proven_reoffending")

    @property
    def window_days(self) -> int:
        """Days from the index date to the last day a disposal can count."""
        return self.follow_up_days + self.disposal_days


def with_periods(cohort: ir.Table) -> ir.Table:
    """Add ``cohort_year`` (e.g. 2010) and ``cohort_quarter`` (e.g. "2010Q3") of the index date."""
    year = cohort.index_date.year()
    quarter = year.cast("string") + "Q" + cohort.index_date.quarter().cast("string")
    return cohort.mutate(cohort_year=year.cast("int64"), cohort_quarter=quarter)


def complete_follow_up(cohort: ir.Table, rules: FollowUp) -> ir.Table:
    """Members whose whole window (index + follow-up + disposal) ends by the data cut-off."""
    if rules.data_cutoff is None:
        return cohort
    last_index = rules.data_cutoff - dt.timedelta(days=rules.window_days)
    return cohort.filter(cohort.index_date <= ibis.literal(last_index))


def proven_reoffences(cohort: ir.Table, reoffences: ir.Table, rules: FollowUp) -> ir.Table:
    """Every reoffence row that counts for a cohort member, with its day offsets and event key.

    Columns: ``offender_id``, ``index_date``, ``offence_day``, ``disposal_day``,
    ``disposal_type`` and ``event_key`` (null for cautions).
    """
    keys = cohort.select("offender_id", "index_date")
    r = reoffences
    if rules.data_cutoff is not None:
        r = r.filter(r.disposal_date <= ibis.literal(rules.data_cutoff))
    appearance = (
        r.court_appearance_id
        if "court_appearance_id" in r.columns
        else ibis.null("string")
    )
    r = r.select(
        r.offender_id,
        r.offence_date,
        r.disposal_date,
        r.disposal_type,
        appearance=appearance,
    )
    j = keys.join(r, "offender_id")
    offence_day = j.offence_date.delta(j.index_date, unit="day")
    disposal_day = j.disposal_date.delta(j.index_date, unit="day")
    own_appearance = j.offender_id + "@" + j.disposal_date.cast("string")
    event_key = ibis.ifelse(
        j.disposal_type == "conviction",
        j.appearance.fill_null(own_appearance),
        ibis.null("string"),
    )
    counted = j.mutate(
        offence_day=offence_day, disposal_day=disposal_day, event_key=event_key
    ).filter(
        (offence_day >= 1)
        & (offence_day <= rules.follow_up_days)
        & (disposal_day <= rules.window_days)
    )
    return counted.select(
        "offender_id", "index_date", "offence_day", "disposal_day", "disposal_type", "event_key"
    )


def person_outcomes(cohort: ir.Table, reoffences: ir.Table, rules: FollowUp) -> ir.Table:
    """The cohort with :data:`PERSON_COLUMNS`: one row per member, zeros for non-reoffenders.

    ``days_to_first`` is the day of the first proven reoffence (null without one).
    """
    members = complete_follow_up(cohort, rules)
    proven = proven_reoffences(members, reoffences, rules)
    per_person = proven.group_by(["offender_id", "index_date"]).aggregate(
        p_reoffences=proven.count(),
        p_events=proven.event_key.nunique(),
        days_to_first=proven.offence_day.min(),
    )
    joined = members.left_join(per_person, ["offender_id", "index_date"])
    n = joined.p_reoffences.fill_null(0).cast("int64")
    out = joined.mutate(
        reoffended=n > 0,
        reoffences=n,
        reconviction_events=joined.p_events.fill_null(0).cast("int64"),
    )
    return out.drop(
        "p_reoffences", "p_events", *[c for c in out.columns if c.endswith("_right")]
    )


def summarise(outcomes: ir.Table, by: Sequence[str] = ()) -> ir.Table:
    """:data:`SUMMARY_COLUMNS` (and the sums the intervals need) per group of ``by`` columns."""
    o = outcomes
    metrics = {
        "cohort_size": o.count(),
        "reoffenders": o.reoffended.cast("int64").sum(),
        "reoffences": o.reoffences.sum(),
        "reconviction_events": o.reconviction_events.sum(),
        "reoffences_sq": (o.reoffences * o.reoffences).sum(),
        "mean_days_to_first": o.days_to_first.mean(),
    }
    grouped = o.group_by(list(by)).aggregate(**metrics) if by else o.aggregate(**metrics)
    size = grouped.cohort_size.cast("float64")
    reoffenders = grouped.reoffenders.cast("float64")
    result = grouped.mutate(
        binary_rate=reoffenders / size,
        frequency_per_offender=grouped.reoffences.cast("float64") / size,
        frequency_per_reoffender=ibis.ifelse(
            grouped.reoffenders > 0,
            grouped.reoffences.cast("float64") / reoffenders,
            ibis.null("float64"),
        ),
    )
    columns = [*by, *SUMMARY_COLUMNS, "mean_days_to_first", "reoffences_sq"]
    ordered = result.select(*columns)
    return ordered.order_by(list(by)) if by else ordered


def wilson_interval(
    successes: np.ndarray[Any, Any], n: np.ndarray[Any, Any], level: float = 0.95
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    n = np.asarray(n, dtype=float)
    p = np.divide(successes, n, out=np.full_like(n, np.nan), where=n > 0)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def with_intervals(summary: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Add 95% intervals: Wilson for the binary rate, normal for reoffences per offender."""
    out = summary.copy()
    n = out["cohort_size"].to_numpy(dtype=float)
    lower, upper = wilson_interval(out["reoffenders"].to_numpy(dtype=float), n, level)
    out["binary_rate_lower"], out["binary_rate_upper"] = lower, upper
    z = float(stats.norm.ppf(0.5 + level / 2))
    mean = out["frequency_per_offender"].to_numpy(dtype=float)
    second = out["reoffences_sq"].to_numpy(dtype=float) / n
    var = np.maximum(second - mean * mean, 0.0) * n / np.maximum(n - 1, 1)
    half = z * np.sqrt(var / n)
    out["frequency_lower"] = np.maximum(mean - half, 0.0)
    out["frequency_upper"] = mean + half
    return out.drop(columns=["reoffences_sq"])
