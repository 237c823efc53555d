"""Case-mix-adjusted proven-reoffending rates per provider, and the funnel plot.

Each member's predicted chance of a proven reoffence within a year is their OGRS3 one-year
score (age, sex and criminal history; REFERENCES.md, "OGRS3") or, optionally, a logistic model
refitted to the cohort on the logit of that score, sex and index type. A provider's expected
rate is the mean prediction over its cohort; the adjusted rate is

- ``ratio`` (default): ``national rate × actual / expected`` (indirect standardisation), or
- ``difference``: ``national rate + (actual − expected)``,

with the actual rate's Wilson interval carried through the same formula. The funnel plot
draws each provider's adjusted rate against its cohort size, with 95% and 99.8% control limits
``national ± z·√(national·(1 − national)/n)`` (Spiegelhalter 2005, *Funnel plots for comparing
institutional performance*, Statistics in Medicine 24).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats  # type: ignore[import-untyped]

from commissioning.assess.risk import RiskRules, score
from commissioning.review.proven import wilson_interval

if TYPE_CHECKING:
    import altair as alt

Method = Literal["ratio", "difference"]
Predictor = Literal["ogrs3", "logistic"]

#: Columns of :func:`adjusted_rates`, after the grouping column.
ADJUSTED_COLUMNS: tuple[str, ...] = (
    "cohort_size",
    "reoffenders",
    "actual_rate",
    "expected_rate",
    "actual_to_expected",
    "adjusted_rate",
    "adjusted_lower",
    "adjusted_upper",
    "funnel_position",
)


@dataclass(frozen=True)
class AdjustedRates:
    """Adjusted rates per provider, the national rate and how they were made."""

    table: pd.DataFrame
    national_rate: float
    method: Method
    predictor: Predictor

    def statement(self) -> str:
        """The method in one sentence, for every output that shows adjusted rates."""
        source = (
            "OGRS3 one-year scores"
            if self.predictor == "ogrs3"
            else "a logistic model fitted to this cohort (logit of OGRS3, sex, index type)"
        )
        formula = (
            "national rate × actual ÷ expected"
            if self.method == "ratio"
            else "national rate + (actual − expected)"
        )
        return (
            f"Expected rates from {source}; adjusted rate = {formula}; national rate "
            f"{100 * self.national_rate:.1f}%. Funnel limits: 95% and 99.8% around the national "
            "rate."
        )


def score_cohort(cohort: ir.Table, rules: RiskRules) -> ir.Table:
    """OGRS3 for cohort members: the risk date is the assessment date, else the index date."""
    t = cohort
    risk_date = (
        t.assessment_date.fill_null(t.index_date) if "assessment_date" in t.columns
        else t.index_date
    )
    rosh = t.rosh.fill_null("low") if "rosh" in t.columns else ibis.literal("low")
    scored = score(t.mutate(assessment_date=risk_date, rosh=rosh), rules)
    return scored


def predicted(outcomes: pd.DataFrame, predictor: Predictor = "ogrs3") -> np.ndarray:
    """Each member's predicted probability of a proven reoffence within the year."""
    p = outcomes["ogrs3_1y"].to_numpy(dtype=float).clip(1e-6, 1 - 1e-6)
    if predictor == "ogrs3":
        return p
    import statsmodels.api as sm  # type: ignore[import-untyped]

    x = pd.DataFrame(
        {
            "logit_ogrs3": np.log(p / (1 - p)),
            "female": (outcomes["sex"] == "female").astype(float)
            if "sex" in outcomes else 0.0,
            "release": (outcomes["index_type"] == "release").astype(float),
        }
    )
    x = sm.add_constant(x.loc[:, x.std() > 0], has_constant="add")
    y = outcomes["reoffended"].to_numpy(dtype=float)
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    return np.asarray(fit.predict(x), dtype=float)


def adjusted_rates(
    outcomes: pd.DataFrame,
    by: str = "provider_id",
    method: Method = "ratio",
    predictor: Predictor = "ogrs3",
    level: float = 0.95,
) -> AdjustedRates:
    """Actual, expected and adjusted rates per value of ``by`` (one row each).

    ``outcomes`` has one row per cohort member with ``reoffended``, ``ogrs3_1y`` and ``by``.
    """
    if by not in outcomes:
        raise ValueError(f"the outcomes have no column {by!r} to compare providers by")
    frame = outcomes[[by, "reoffended"]].copy()
    frame["expected"] = predicted(outcomes, predictor)
    frame["reoffended"] = frame["reoffended"].astype(float)
    national = float(frame["reoffended"].mean())
    g = frame.groupby(by, observed=True, sort=True).agg(
        cohort_size=("reoffended", "size"),
        reoffenders=("reoffended", "sum"),
        expected_rate=("expected", "mean"),
    )
    n = g["cohort_size"].to_numpy(dtype=float)
    actual = g["reoffenders"].to_numpy(dtype=float) / n
    expected = g["expected_rate"].to_numpy(dtype=float)
    low, high = wilson_interval(g["reoffenders"].to_numpy(dtype=float), n, level)
    if method == "ratio":
        adjusted, a_low, a_high = (national * v / expected for v in (actual, low, high))
    else:
        adjusted, a_low, a_high = (national + v - expected for v in (actual, low, high))
    # a rate's interval cannot leave 0-100%: small providers with a low expected rate would
    # otherwise show an upper limit above 100% under the ratio method
    a_low, a_high = np.clip(a_low, 0.0, 1.0), np.clip(a_high, 0.0, 1.0)
    table = pd.DataFrame(
        {
            by: g.index.to_numpy(),
            "cohort_size": g["cohort_size"].to_numpy(dtype="int64"),
            "reoffenders": g["reoffenders"].to_numpy(dtype="int64"),
            "actual_rate": actual,
            "expected_rate": expected,
            "actual_to_expected": actual / expected,
            "adjusted_rate": adjusted,
            "adjusted_lower": a_low,
            "adjusted_upper": a_high,
        }
    )
    table["funnel_position"] = funnel_position(table["adjusted_rate"], n, national)
    return AdjustedRates(table, national, method, predictor)


def control_limits(national: float, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits around the national rate for cohorts of size ``n``."""
    half = z * np.sqrt(national * (1 - national) / np.asarray(n, dtype=float))
    return national - half, national + half


def funnel_position(adjusted: pd.Series, n: np.ndarray, national: float) -> list[str]:
    """'above 99.8%', 'above 95%', 'within', 'below 95%' or 'below 99.8%' per provider."""
    z95, z998 = (float(stats.norm.ppf(q)) for q in (0.975, 0.999))
    lo95, hi95 = control_limits(national, n, z95)
    lo998, hi998 = control_limits(national, n, z998)
    rate = adjusted.to_numpy(dtype=float)
    labels = np.full(rate.size, "within", dtype=object)
    labels[rate > hi95] = "above 95%"
    labels[rate > hi998] = "above 99.8%"
    labels[rate < lo95] = "below 95%"
    labels[rate < lo998] = "below 99.8%"
    return [str(v) for v in labels]


def funnel_chart(rates: AdjustedRates, by: str = "provider_id") -> alt.LayerChart:
    """Adjusted rate (%) against cohort size with 95% and 99.8% limits (colour-blind-safe)."""
    import altair as alt

    t = rates.table
    n_max = float(t["cohort_size"].max()) if len(t) else 10.0
    grid = np.geomspace(max(float(t["cohort_size"].min()) if len(t) else 1.0, 10.0), n_max, 80)
    limit_rows = []
    for name, q in (("95%", 0.975), ("99.8%", 0.999)):
        lo, hi = control_limits(rates.national_rate, grid, float(stats.norm.ppf(q)))
        for side, values in (("lower", lo), ("upper", hi)):
            limit_rows += [  # a rate lies between 0% and 100%: so do its limits
                {"n": float(x), "rate": 100 * min(1.0, max(0.0, float(v))),
                 "limit": f"{name} {side}"}
                for x, v in zip(grid, values, strict=True)
            ]
    limits = pd.DataFrame(limit_rows)
    points = t.assign(rate=100 * t["adjusted_rate"], n=t["cohort_size"])[
        [by, "n", "rate", "funnel_position"]
    ]
    x = alt.X("n:Q", title="Cohort size (people)", scale=alt.Scale(type="log"))
    y = alt.Y("rate:Q", title="Adjusted proven reoffending rate (%)", scale=alt.Scale(zero=False))
    lines = (
        alt.Chart(limits)
        .mark_line(color="#505a5f")
        .encode(
            x=x, y=y, detail="limit:N",
            strokeDash=alt.condition(
                "indexof(datum.limit, '99.8') >= 0", alt.value([6, 3]), alt.value([1, 0])
            ),
        )
    )
    centre = alt.Chart(pd.DataFrame({"rate": [100 * rates.national_rate]})).mark_rule(
        color="#0b0c0c"
    ).encode(y="rate:Q")
    # One legend: colour and shape share the field, title and domain, so Vega-Lite merges
    # them. Points carry no provider code (the table beside the chart names the outliers).
    positions = ["below 99.8%", "below 95%", "within", "above 95%", "above 99.8%"]
    dots = (
        alt.Chart(points.drop(columns=[by]))
        .mark_point(filled=True, size=40, opacity=0.8)
        .encode(
            x=x, y=y,
            color=alt.Color(
                "funnel_position:N", title="Against the limits",
                scale=alt.Scale(domain=positions,
                                range=["#0072B2", "#56B4E9", "#999999", "#E69F00", "#D55E00"]),
            ),
            shape=alt.Shape(
                "funnel_position:N", title="Against the limits",
                scale=alt.Scale(domain=positions,
                                range=["triangle-down", "triangle-down", "circle",
                                       "triangle-up", "triangle-up"]),
            ),
        )
    )
    chart: alt.LayerChart = alt.layer(lines, centre, dots).properties(  # type: ignore[assignment]
        width=520, height=300, title="Case-mix-adjusted proven reoffending by provider"
    )
    return chart


def outcomes_frame(outcomes: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns the adjustment needs, checked, with a message naming what is missing."""
    missing = [c for c in columns if c not in outcomes]
    if missing:
        raise ValueError(
            f"case-mix adjustment needs the cohort columns {', '.join(missing)}; add them to "
            "the cohort file (they are the assessments columns of the data contract)"
        )
    return outcomes[list(columns)]
