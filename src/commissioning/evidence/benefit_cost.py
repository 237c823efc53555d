"""Benefit–cost per intervention × segment, with a Monte Carlo of the effect's uncertainty.

The one outcome model (:mod:`commissioning.evidence.outcome`, the same functions the plan's
cells are valued with): for a segment s (setting × offence group × risk tier) with baseline
probability p_s (mean OGRS3 one-year of its assessments), proven reoffences per reoffender F_s
and £ per proven reoffence V_s (its own reoffence mix), and a service with risk ratio RR (from
its log odds ratio θ at the reference rate):

    avoided proven reoffences per start = (p_s·o_s − min(1, p_s·o_s·RR)) · F_s
    benefit_s = avoided · V_s;   net = benefit − unit cost;   BCR = benefit / unit cost

where o_s is the other services' combined risk ratio at their 2011-12 coverage in s (effects
multiply for the same person). The Monte Carlo draws θ ~ Normal(θ̂, SE²) and reports the
probability that benefits exceed costs. Unit costs are UK pounds: the catalogue's GBP price, or
else the plan's (``plan.unit_costs``) — one figure per service, the one the plan uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.evidence.catalogue import Intervention
from commissioning.evidence.outcome import (
    EffectDistribution,
    avoided_per_start,
    central_risk_ratios,
)
from commissioning.policy.parameters import Policy

#: Columns of the benefit–cost table (CLI ``bca`` output and the round's CSV).
BCA_COLUMNS: tuple[str, ...] = (
    "intervention_id", "setting", "offence_group", "risk_tier", "offenders", "baseline",
    "effect_kind", "risk_ratio", "risk_ratio_low", "risk_ratio_high", "others_factor",
    "treated_rate", "reduction_pp", "reoffences_per_reoffender", "avoided_reoffences",
    "value_per_reoffence", "benefit_gbp", "cost_gbp", "net_benefit_gbp", "bcr",
    "p_benefit_exceeds_cost", "se_assumed", "eligible",
)


@dataclass(frozen=True)
class Segment:
    """A segment: its baseline probability of proven reoffending in a year (mean OGRS3
    one-year), proven reoffences per reoffender, £ per proven reoffence (its reoffence mix) and
    each service's 2011-12 coverage (starts per person)."""

    setting: str
    offence_group: str
    risk_tier: str
    offenders: int
    baseline: float
    reoffences_per_reoffender: float = 1.0
    value_per_reoffence: float = 0.0
    coverage: Mapping[str, float] = field(default_factory=dict)

    def others_factor(self, service_id: str, rr: Mapping[str, float]) -> float:
        """``Π_{j≠k} (1 − u_j (1 − RR_j))`` over the services with coverage here."""
        log_total = 0.0
        for other, u in self.coverage.items():
            if other == service_id:
                continue
            factor = 1.0 - min(max(u, 0.0), 1.0) * (1.0 - rr.get(other, 1.0))
            log_total += math.log(max(factor, 1e-9))
        return math.exp(log_total)


@dataclass(frozen=True)
class Valuation:
    """Unit costs in UK pounds of the round's prices (one per service) and the Monte Carlo
    settings on one date."""

    unit_costs: Mapping[str, float]
    draws: int
    deflator: Mapping[str, float] = field(default_factory=dict)
    round_price_year: str | None = None

    @classmethod
    def from_policy(cls, policy: Policy,
                        interventions: Sequence[Intervention] = ()) -> Valuation:
        settings = policy.value("evidence.benefit_cost")
        deflator = policy.value("evidence.price_deflator")
        costs: dict[str, float] = {}
        planned = policy.value("plan.unit_costs") if "plan.unit_costs" in policy else {}
        for service_id, entry in (planned or {}).items():
            if entry and entry.get("cost") is not None and not entry.get("statutory"):
                costs[str(service_id)] = float(entry["cost"])
        valuation = cls(costs, int(settings["monte_carlo_draws"]),
                        {str(k): float(v) for k, v in deflator["index"].items()},
                        str(deflator["round_price_year"]))
        for item in interventions:
            price = valuation.catalogue_price(item)
            if price is not None:
                costs[item.id] = price
        return valuation

    def catalogue_price(self, intervention: Intervention) -> float | None:
        """The catalogue's UK price in the round's prices (a US-dollar figure is never one)."""
        cost = intervention.unit_cost
        if cost.gbp is None:
            return None
        year = cost.price_year
        if year is None or not self.deflator or self.round_price_year is None:
            return float(cost.gbp)
        if year not in self.deflator:
            raise ValueError(
                f"{intervention.source_file}: unit_cost price_year {year} is not in "
                f"evidence.price_deflator (years: {', '.join(sorted(self.deflator))})")
        return float(cost.gbp) * self.deflator[self.round_price_year] / self.deflator[year]

    def unit_cost_gbp(self, intervention: Intervention) -> float | None:
        """The UK unit cost: the catalogue's pound price, else the plan's (None if neither)."""
        price = self.catalogue_price(intervention)
        return price if price is not None else self.unit_costs.get(intervention.id)


def p_benefit_exceeds_cost(
    effect: EffectDistribution, scale: npt.ArrayLike, unit_cost: float, draws: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """P(benefit > cost) per segment from ``draws`` draws of the effect.

    ``scale`` is p·o·F·V per segment (the benefit of a risk ratio of 0). The benefit
    ``scale·(1 − RR)`` (capped where p·o·RR > 1, where it is negative anyway) falls as RR rises,
    so "benefit > cost" is "RR < 1 − cost/scale": the draws are sorted once and counted below
    each segment's threshold — the same answer as evaluating every draw in every segment.
    """
    s = np.asarray(scale, dtype=np.float64)
    rr = np.sort(effect.draw(rng, draws))
    threshold = np.where(s > 0, 1.0 - unit_cost / np.where(s > 0, s, 1.0), -np.inf)
    return np.asarray(np.searchsorted(rr, threshold, side="left") / draws, np.float64)


def benefit_cost(
    intervention: Intervention,
    effect: EffectDistribution,
    segments: Sequence[Segment],
    valuation: Valuation,
    risk_ratios: Mapping[str, float] | None = None,
    seed: int = 2012,
    draws: int | None = None,
) -> pd.DataFrame:
    """Benefit–cost of one intervention for every segment of its settings and offence groups
    (``risk_ratios``: every service's central risk ratio, for the others factor)."""
    eligible = [
        s for s in segments
        if s.setting in intervention.settings
        and (not intervention.offence_groups or s.offence_group in intervention.offence_groups)
    ]
    if not eligible:
        return pd.DataFrame(columns=list(BCA_COLUMNS))
    rr_all = dict(risk_ratios or {})
    rr_all[intervention.id] = effect.risk_ratio
    rr = effect.risk_ratio
    low, high = effect.interval()
    baseline = np.array([s.baseline for s in eligible])
    others = np.array([s.others_factor(intervention.id, rr_all) for s in eligible])
    freq = np.array([s.reoffences_per_reoffender for s in eligible])
    value = np.array([s.value_per_reoffence for s in eligible])
    avoided = avoided_per_start(baseline, rr, freq, others)
    benefit = avoided * value
    cost = valuation.unit_cost_gbp(intervention)
    if cost is not None and cost > 0:
        p_exceeds = p_benefit_exceeds_cost(
            effect, baseline * others * freq * value, cost, draws or valuation.draws,
            np.random.default_rng(seed))
    else:
        p_exceeds = np.full(len(eligible), np.nan)
    treated = np.minimum(1.0, baseline * others * rr)
    return pd.DataFrame({
        "intervention_id": intervention.id,
        "setting": [s.setting for s in eligible],
        "offence_group": [s.offence_group for s in eligible],
        "risk_tier": [s.risk_tier for s in eligible],
        "offenders": [s.offenders for s in eligible],
        "baseline": baseline,
        "effect_kind": effect.kind,
        "risk_ratio": rr,
        "risk_ratio_low": low,
        "risk_ratio_high": high,
        "others_factor": others,
        "treated_rate": treated,
        "reduction_pp": (baseline * others - treated) * 100,
        "reoffences_per_reoffender": freq,
        "avoided_reoffences": avoided,
        "value_per_reoffence": value,
        "benefit_gbp": benefit,
        "cost_gbp": np.nan if cost is None else cost,
        "net_benefit_gbp": benefit - (np.nan if cost is None else cost),
        "bcr": benefit / cost if cost else np.nan,
        "p_benefit_exceeds_cost": p_exceeds,
        "se_assumed": effect.kind in ("published_se_assumed", "assumption"),
        "eligible": [intervention.eligibility.admits(s.risk_tier, s.offence_group)
                     for s in eligible],
    })[list(BCA_COLUMNS)]


def benefit_cost_all(
    interventions: Sequence[Intervention],
    effects: Mapping[str, EffectDistribution],
    segments: Sequence[Segment],
    valuation: Valuation,
    seed: int = 2012,
    draws: int | None = None,
) -> pd.DataFrame:
    """Benefit–cost for every intervention with a UK unit cost (``effects``: each one's effect,
    :func:`commissioning.evidence.outcome.service_effects`)."""
    rr = central_risk_ratios(dict(effects))
    frames = [
        benefit_cost(i, effects[i.id], segments, valuation, rr, seed + n, draws)
        for n, i in enumerate(interventions)
        if i.id in effects and valuation.unit_cost_gbp(i) is not None
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(BCA_COLUMNS))
    return pd.concat(frames, ignore_index=True)
