"""Benefit–cost per intervention × segment, with a Monte Carlo of the effect's uncertainty.

For a segment s (setting × offence group × risk tier) with baseline reoffending probability
p_s (mean OGRS3 of the segment's assessments) and an intervention with log odds ratio θ
(pooled, times the quality-of-delivery factor q, times the low-risk fraction f_s for the risk
principle — 1 for medium and above):

    p'_s = logistic(logit p_s + q·f_s·θ)                (effect on the odds scale)
    avoided reoffences per participant = (p_s − p'_s) · offences per reoffender
    benefit_s = avoided · (cost of crime + CJS cost)[offence group]
    net = benefit − unit cost;   BCR = benefit / unit cost

The Monte Carlo draws θ ~ Normal(θ̂, SE²) and reports the probability that benefits exceed
costs. A lower baseline means fewer reoffences to avoid, and the low-risk fraction shrinks the
effect further: the risk principle shows as little benefit in low-risk segments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.evidence.catalogue import Intervention
from commissioning.evidence.effect_sizes import apply_odds_ratio
from commissioning.evidence.rating import Rating
from commissioning.policy.parameters import DEFAULT_DATE, ParameterSet

#: Columns of the benefit–cost table (CLI ``bca`` output and the round's CSV).
BCA_COLUMNS: tuple[str, ...] = (
    "intervention_id", "setting", "offence_group", "risk_tier", "offenders", "baseline",
    "odds_ratio", "effect_fraction", "treated_rate", "reduction_pp", "avoided_reoffences",
    "benefit_gbp", "cost_gbp", "net_benefit_gbp", "bcr", "p_benefit_exceeds_cost",
    "se_assumed", "eligible",
)


@dataclass(frozen=True)
class Segment:
    """A segment and its baseline reoffending probability (mean OGRS3)."""

    setting: str
    offence_group: str
    risk_tier: str
    offenders: int
    baseline: float


@dataclass(frozen=True)
class Valuation:
    """The money values of the model, in force on one date."""

    cost_per_offence: dict[str, float]
    offences_per_reoffender: float
    low_risk_effect_fraction: float
    usd_to_gbp: float
    draws: int
    baseline_column: str

    @classmethod
    def from_parameters(cls, params: ParameterSet, when: dt.date = DEFAULT_DATE) -> Valuation:
        crime = params.value("evidence.cost_of_crime", when)
        cjs = params.value("evidence.cjs_cost", when)
        settings = params.value("evidence.benefit_cost", when)
        return cls(
            cost_per_offence={g: float(crime[g]) + float(cjs[g]) for g in crime},
            offences_per_reoffender=float(settings["offences_per_reoffender"]),
            low_risk_effect_fraction=float(settings["low_risk_effect_fraction"]),
            usd_to_gbp=float(settings["usd_to_gbp"]),
            draws=int(settings["monte_carlo_draws"]),
            baseline_column=str(settings["baseline_column"]),
        )

    def unit_cost_gbp(self, intervention: Intervention) -> float | None:
        cost = intervention.unit_cost
        if cost.amount is None:
            return None
        return cost.amount * (self.usd_to_gbp if cost.currency == "USD" else 1.0)


def segments_from_scored(scored: pd.DataFrame, baseline_column: str = "ogrs3_2y") -> list[Segment]:
    """Segments and their mean OGRS3 from scored assessments (one row per assessment)."""
    grouped = (
        scored.groupby(["setting", "offence_group", "risk_tier"], observed=True)[baseline_column]
        .agg(["size", "mean"])
        .reset_index()
    )
    return [
        Segment(str(setting), str(group), str(tier), int(size), float(mean))
        for setting, group, tier, size, mean in zip(
            grouped["setting"], grouped["offence_group"], grouped["risk_tier"],
            grouped["size"], grouped["mean"], strict=True,
        )
    ]


def monte_carlo(
    baseline: npt.ArrayLike,
    fraction: npt.ArrayLike,
    value_per_offence: npt.ArrayLike,
    log_or: float,
    se: float,
    unit_cost: float,
    offences_per_reoffender: float,
    draws: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """P(benefit > cost) per segment from ``draws`` draws of the log odds ratio θ.

    The benefit of a segment falls as θ rises, so "benefit > cost" is "θ·f < θ*" with
    θ* = logit(p − r) − logit(p), r = cost / (offences per reoffender × value): the draws are
    sorted once and counted below each segment's threshold — the same answer as evaluating
    every draw in every segment, in O(draws log draws) instead of O(draws × segments).
    """
    p = np.asarray(baseline, dtype=np.float64)
    f = np.asarray(fraction, dtype=np.float64)
    value = np.asarray(value_per_offence, dtype=np.float64)
    theta = np.sort(rng.normal(log_or, se, size=draws))
    needed = unit_cost / (offences_per_reoffender * value)  # reduction needed to pay back
    target = p - needed  # the treated rate at which benefit equals cost
    result = np.empty(p.shape)
    for j in range(p.size):
        if target[j] >= 1.0:
            result[j] = 1.0
        elif target[j] <= 0.0:
            result[j] = 0.0
        elif f[j] == 0.0:
            result[j] = float(needed[j] < 0)
        else:
            threshold = (np.log(target[j] / (1 - target[j])) - np.log(p[j] / (1 - p[j]))) / f[j]
            result[j] = np.searchsorted(theta, threshold, side="left") / draws
    return result


def benefit_cost(
    intervention: Intervention,
    rating: Rating,
    segments: Sequence[Segment],
    valuation: Valuation,
    seed: int = 2012,
    draws: int | None = None,
) -> pd.DataFrame:
    """Benefit–cost of one intervention for every segment it can serve (empty if no effect)."""
    pooled = rating.pooled
    eligible = [
        s for s in segments
        if s.setting in intervention.settings
        and (not intervention.offence_groups or s.offence_group in intervention.offence_groups)
    ]
    if pooled is None or not eligible:
        return pd.DataFrame(columns=list(BCA_COLUMNS))
    log_or = pooled.log_or * rating.quality_factor
    se = pooled.se * rating.quality_factor
    baseline = np.array([s.baseline for s in eligible])
    fraction = np.array(
        [valuation.low_risk_effect_fraction if s.risk_tier == "low" else 1.0 for s in eligible]
    )
    value = np.array([valuation.cost_per_offence[s.offence_group] for s in eligible])
    treated = apply_odds_ratio(baseline, log_or * fraction)
    avoided = (baseline - treated) * valuation.offences_per_reoffender
    benefit = avoided * value
    cost = valuation.unit_cost_gbp(intervention)
    if cost is not None and cost > 0:
        rng = np.random.default_rng(seed)
        p_exceeds = monte_carlo(
            baseline, fraction, value, log_or, se, cost, valuation.offences_per_reoffender,
            draws or valuation.draws, rng,
        )
    else:
        p_exceeds = np.full(len(eligible), np.nan)
    return pd.DataFrame({
        "intervention_id": intervention.id,
        "setting": [s.setting for s in eligible],
        "offence_group": [s.offence_group for s in eligible],
        "risk_tier": [s.risk_tier for s in eligible],
        "offenders": [s.offenders for s in eligible],
        "baseline": baseline,
        "odds_ratio": np.exp(log_or),
        "effect_fraction": fraction,
        "treated_rate": treated,
        "reduction_pp": (baseline - treated) * 100,
        "avoided_reoffences": avoided,
        "benefit_gbp": benefit,
        "cost_gbp": np.nan if cost is None else cost,
        "net_benefit_gbp": benefit - (np.nan if cost is None else cost),
        "bcr": benefit / cost if cost else np.nan,
        "p_benefit_exceeds_cost": p_exceeds,
        "se_assumed": pooled.se_assumed,
        "eligible": [intervention.eligibility.admits(s.risk_tier, s.offence_group)
                     for s in eligible],
    })[list(BCA_COLUMNS)]


def benefit_cost_all(
    interventions: Sequence[Intervention],
    ratings: Sequence[Rating],
    segments: Sequence[Segment],
    valuation: Valuation,
    seed: int = 2012,
    draws: int | None = None,
) -> pd.DataFrame:
    """Benefit–cost for every rated intervention with an effect estimate."""
    frames = [
        benefit_cost(i, r, segments, valuation, seed + n, draws)
        for n, (i, r) in enumerate(zip(interventions, ratings, strict=True))
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(BCA_COLUMNS))
    return pd.concat(frames, ignore_index=True)
