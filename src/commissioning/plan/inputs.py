"""What the plan reads from the rest of the product: services and the plan's parameters.

An adapter, so the optimisation does not depend on how the evidence base or the demand forecast
is built. The services planned are the keys of parameter ``plan.unit_costs``. For each:

- evidence category, core flag, eligibility and linked needs: the evidence catalogue
  (:func:`commissioning.evidence.catalogue.load_catalogue`), falling back to the synthetic
  data's own list (``synth_outcomes.interventions``) for an id the catalogue lacks;
- effect: the evidence base's pooled odds ratio (:func:`commissioning.evidence.rating.rate_all`,
  the same pooled effect × quality-of-delivery factor the benefit–cost model uses); where the
  evidence base has no pooled effect, the odds ratio for the category
  (``plan.effect_by_category``);
- unit cost, one source per service: the catalogue's price converted to pounds exactly as the
  benefit–cost model does (:meth:`commissioning.evidence.benefit_cost.Valuation.unit_cost_gbp`)
  where the catalogue has one; otherwise ``plan.unit_costs`` (sentence delivery and services the
  catalogue prices "not known"). A service priced in both is an error, so no number is kept
  twice. ``plan.unit_costs`` also names the court requirement that makes part of a volume
  statutory.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.evidence.effect_sizes import apply_odds_ratio
from commissioning.policy.parameters import DEFAULT_DATE, ParameterSet

#: Statutory sentence delivery, priced per place-year or caseload-year: not in the catalogue.
STATUTORY_SERVICES: dict[str, str] = {"prison_place": "custody", "offender_management": "community"}
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ServiceSpec:
    """One service as the plan sees it."""

    service_id: str
    name: str
    evidence_category: str
    core: bool
    statutory: bool
    settings: tuple[str, ...]
    needs: tuple[str, ...]
    min_risk_tier: str | None
    offence_groups: tuple[str, ...]
    unit_cost: float
    requirement: str | None
    odds_ratio: float
    unit_cost_source: str = "plan.unit_costs"
    effect_source: str = "plan.effect_by_category"

    @property
    def rehabilitation(self) -> bool:
        """Rehabilitation services and interventions (everything but sentence delivery)."""
        return not self.statutory


@dataclass(frozen=True)
class PlanSettings:
    """The plan's parameters in force on a date."""

    savings_target: float
    savings_outside_portfolio: float
    efficiency: Mapping[str, float]
    custody_population: float | None
    demand_growth: Mapping[str, float]
    growth: float
    new_share: float
    shrink: float
    reach: float
    core_offer_coverage: float
    low_risk_fraction: float
    value_per_reoffence: float
    ogrs_threshold: int

    @classmethod
    def from_parameters(cls, params: ParameterSet, when: dt.date = DEFAULT_DATE) -> PlanSettings:
        limits = params.value("plan.growth_limits", when)
        population = params.value("plan.custody_population", when)
        return cls(
            savings_target=float(params.value("plan.savings_target", when)),
            savings_outside_portfolio=float(params.value("plan.savings_outside_portfolio", when)),
            efficiency={k: float(v) for k, v in
                        params.value("plan.sentence_delivery_efficiency", when).items()},
            custody_population=None if population is None else float(population),
            demand_growth={k: float(v) for k, v in
                           params.value("plan.statutory_demand_growth", when).items()
                           if k in ("community", "custody")},
            growth=float(limits["growth"]),
            new_share=float(limits["new_share"]),
            shrink=float(limits["shrink"]),
            reach=float(params.value("plan.reach", when)),
            core_offer_coverage=float(params.value("plan.core_offer_coverage", when)),
            # the risk principle is one policy, shared with the evidence base's benefit-cost
            low_risk_fraction=float(
                params.value("evidence.benefit_cost", when)["low_risk_effect_fraction"]
            ),
            value_per_reoffence=float(params.value("plan.value_per_reoffence", when)),
            ogrs_threshold=int(params.value("risk.medium_high_threshold", when)),
        )

    @property
    def savings_from_portfolio(self) -> float:
        return self.savings_target - self.savings_outside_portfolio


def _synthetic_list(params: ParameterSet, when: dt.date) -> Mapping[str, Any]:
    if "synth_outcomes.interventions" not in params:
        return {}
    value = params.value("synth_outcomes.interventions", when)
    return value if isinstance(value, Mapping) else {}


def service_specs(
    params: ParameterSet, when: dt.date = DEFAULT_DATE, use_catalogue: bool = True
) -> dict[str, ServiceSpec]:
    """Every service named in ``plan.unit_costs``, described for the plan (see the module)."""
    costs: Mapping[str, Mapping[str, Any] | None] = params.value("plan.unit_costs", when)
    odds = params.value("plan.effect_by_category", when)["odds_ratio"]
    synthetic = _synthetic_list(params, when)
    catalogue: dict[str, Any] = {}
    effects: dict[str, tuple[float, str]] = {}
    valuation = None
    if use_catalogue:
        from commissioning.evidence.benefit_cost import Valuation
        from commissioning.evidence.catalogue import load_catalogue
        from commissioning.evidence.rating import rate_all

        items = load_catalogue().interventions
        catalogue = {i.id: i for i in items}
        valuation = Valuation.from_parameters(params, when)
        for rating in rate_all(items, params, when):
            if rating.pooled is not None:
                log_or = rating.pooled.log_or * rating.quality_factor
                effects[rating.intervention_id] = (
                    math.exp(log_or), f"evidence base: {rating.pooled.source}, × quality of "
                    f"delivery {rating.quality_factor:g}")
    specs: dict[str, ServiceSpec] = {}
    for service_id, entry in costs.items():
        cost = dict(entry or {})
        statutory = bool(cost.get("statutory", False))
        requirement = cost.get("requirement")
        if statutory:
            setting = STATUTORY_SERVICES.get(service_id, "community")
            specs[service_id] = ServiceSpec(
                service_id, service_id.replace("_", " ").capitalize(), NOT_APPLICABLE, True, True,
                (setting,), (), None, (), _price(service_id, cost, None), requirement, 1.0,
            )
            continue
        item = catalogue.get(service_id)
        synth = synthetic.get(service_id, {})
        price = (valuation.unit_cost_gbp(item) if valuation is not None and item is not None
                 else None)
        if item is not None:
            name, category, core = item.name, item.category, bool(item.core)
            settings = tuple(item.settings)
            needs = tuple(item.needs)
            min_tier = item.eligibility.min_risk_tier or item.min_risk_tier
            groups = tuple(item.eligibility.offence_groups or item.offence_groups)
        elif synth:
            name, category, core = str(synth["name"]), str(synth["evidence"]), bool(synth["core"])
            settings = tuple(synth.get("settings", ("community", "custody")))
            needs = (synth["need"],) if synth.get("need") else ()
            min_tier = None
            groups = tuple(synth.get("offence_groups") or ())
        else:
            raise KeyError(
                f"plan.unit_costs names {service_id!r}, which is neither in the evidence "
                "catalogue nor in synth_outcomes.interventions; add it to the catalogue or "
                "remove it from the unit costs"
            )
        odds_ratio, effect_source = effects.get(
            service_id, (float(odds.get(category, 1.0)), f"plan.effect_by_category ({category})"))
        specs[service_id] = ServiceSpec(
            service_id, name, category, core, False, settings, needs, min_tier, groups,
            _price(service_id, cost, price), requirement, odds_ratio,
            "plan.unit_costs" if price is None else
            f"evidence catalogue ({item.unit_cost.source if item else ''})",
            effect_source,
        )
    return specs


def _price(service_id: str, entry: Mapping[str, Any], catalogue_price: float | None) -> float:
    """The one unit cost of a service: the catalogue's, or else ``plan.unit_costs``'s."""
    own = entry.get("cost")
    if own is not None and catalogue_price is not None:
        raise ValueError(
            f"{service_id} has two unit costs: £{catalogue_price:,.0f} from the evidence "
            f"catalogue and £{float(own):,.0f} in plan.unit_costs; remove the cost from "
            "plan.unit_costs (the catalogue's price, with its citation, is the one used)"
        )
    if catalogue_price is not None:
        return float(catalogue_price)
    if own is None:
        raise ValueError(
            f"{service_id} has no unit cost: the evidence catalogue says 'not known' and "
            "plan.unit_costs gives none; add `cost:` to plan.unit_costs or a price to the "
            "catalogue entry"
        )
    return float(own)


def demand_from_forecasts(params: ParameterSet, when: dt.date = DEFAULT_DATE) -> bool:
    """Whether the round plans on the demand step's projections (``from_demand_step`` in
    ``plan.statutory_demand_growth``) rather than the parameter's own growth figures."""
    value = params.value("plan.statutory_demand_growth", when)
    return bool(value.get("from_demand_step", False)) if isinstance(value, Mapping) else False


def _financial_year_quarters(year: int) -> set[str]:
    """Calendar quarters of the financial year starting April ``year`` ("2012Q2".."2013Q1")."""
    return {f"{year}Q2", f"{year}Q3", f"{year}Q4", f"{year + 1}Q1"}


def demand_growth_from_forecasts(
    community: pd.DataFrame | None, prison_projection: pd.DataFrame | None,
    year: int = 2012, scenario: str = "baseline",
) -> dict[str, float]:
    """Growth of statutory demand from financial year ``year - 1`` to ``year`` per setting, from
    the demand step (:mod:`commissioning.assess.demand`): ``community`` — community sentence and
    licence starts (``quarter, kind, starts``, history and the ``scenario`` forecast together,
    kind ``sentence_type``); ``prison_projection`` — the mean projected prison population
    (``month, scenario, population_mean``). A setting the inputs do not cover is left out (the
    parameter ``plan.statutory_demand_growth`` then stands)."""
    out: dict[str, float] = {}
    if community is not None and len(community):
        rows = community[community["kind"] == "sentence_type"]
        if "scenario" in rows.columns:
            rows = rows[rows["scenario"].isna() | (rows["scenario"] == scenario)]
        quarter = rows["quarter"].astype(str)
        before_q, after_q = _financial_year_quarters(year - 1), _financial_year_quarters(year)
        before = float(rows.loc[quarter.isin(before_q), "starts"].sum())
        after = float(rows.loc[quarter.isin(after_q), "starts"].sum())
        whole = before_q <= set(quarter) and after_q <= set(quarter)
        if whole and before > 0 and after > 0:
            out["community"] = after / before - 1.0
    if prison_projection is not None and len(prison_projection):
        rows = prison_projection[prison_projection["scenario"] == scenario]
        months = rows["month"].astype(str)

        def mean_of(start: int) -> float | None:
            wanted = {f"{start}-{m:02d}" for m in range(4, 13)} | {
                f"{start + 1}-{m:02d}" for m in range(1, 4)}
            values = rows.loc[months.isin(wanted), "population_mean"]
            return float(values.mean()) if len(values) else None

        before_pop, after_pop = mean_of(year - 1), mean_of(year)
        if before_pop and after_pop:
            out["custody"] = after_pop / before_pop - 1.0
    return out


def avoided_per_participant(
    base_rate: npt.ArrayLike, odds_ratio: float, completion: npt.ArrayLike,
    fraction: npt.ArrayLike = 1.0,
) -> npt.NDArray[np.float64]:
    """Proven reoffences avoided per starter: completion × (p − p_treated).

    ``p_treated = logistic(logit(p) + fraction · ln OR)`` (odds ratio applied on the log-odds
    scale, REFERENCES.md "Evidence and benefit-cost"); ``fraction`` < 1 for low-risk offenders.
    An odds ratio of 1 avoids nothing, exactly.
    """
    p = np.clip(np.asarray(base_rate, float), 1e-6, 1 - 1e-6)
    done = np.asarray(completion, float)
    if odds_ratio == 1.0:
        return np.zeros(np.broadcast(p, done).shape)
    treated = apply_odds_ratio(p, np.asarray(fraction, float) * math.log(odds_ratio))
    return np.asarray(done * (p - treated), float)
