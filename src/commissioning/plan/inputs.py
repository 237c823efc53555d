"""What the plan reads from the rest of the product: services, their effects and the plan's
parameters; and the per-cell values of the one outcome model.

An adapter, so the optimisation does not depend on how the evidence base or the demand forecast
is built. The services planned are the keys of parameter ``plan.unit_costs``. For each:

- evidence category, core flag, eligibility and linked needs: the evidence catalogue
  (:func:`commissioning.evidence.catalogue.load_catalogue`), falling back to the synthetic
  data's own list (``synth_outcomes.interventions``) for an id the catalogue lacks;
- effect: an :class:`~commissioning.evidence.outcome.EffectDistribution` (log odds ratio, its
  SE, the reference rate that turns it into a risk ratio, and whether it is published, an
  analogue or an assumption) — exactly the one the benefit–cost model uses
  (:func:`commissioning.evidence.outcome.service_effects`); sentence delivery has none;
- unit cost, one source per service: the catalogue's UK price where it has one; otherwise
  ``plan.unit_costs``. A service priced in both is an error, so no number is kept twice.
  ``plan.unit_costs`` also names the court requirement that makes part of a volume statutory.

**Interface for the uncertainty analysis** (issue 12): ``effects = effects_of(specs)`` gives each
service's distribution; ``draws = draw_effects(specs, rng, n)`` gives ``n`` joint draws of every
service's risk ratio (a DataFrame, one column per service); ``cell_values(cells, rr)`` recomputes
every cell's ``avoided_per_unit`` (proven reoffences avoided per start) and ``value_per_unit``
(£ of crime avoided per start) for one draw (``rr``: a mapping service → risk ratio, or one row
of ``draws``); without ``rr`` it gives the central values the cells were built with. For many
draws build ``CellValuer(cells)`` once and call it per draw (vectorised).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.evidence.effect_sizes import apply_odds_ratio
from commissioning.evidence.outcome import (
    SEGMENT_KEYS,
    CrimeCosts,
    EffectDistribution,
    avoided_per_start,
)
from commissioning.evidence.outcome import draw_effects as _draw_effects
from commissioning.policy.parameters import Policy
from commissioning.review.proven import FollowUp

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
    effect_source: str = "evidence.assumed_effects"
    effect: EffectDistribution | None = None

    @property
    def risk_ratio(self) -> float:
        """The central risk ratio of reoffending (1.0 without an effect)."""
        return 1.0 if self.effect is None else self.effect.risk_ratio

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
    ogrs_threshold: int
    min_reoffences_for_mix: int
    crime_costs: CrimeCosts | None = None
    follow_up: FollowUp | None = None

    @classmethod
    def from_policy(cls, policy: Policy) -> PlanSettings:
        limits = policy.value("plan.growth_limits")
        population = policy.value("plan.custody_population")
        return cls(
            savings_target=float(policy.value("plan.savings_target")),
            savings_outside_portfolio=float(policy.value("plan.savings_outside_portfolio")),
            efficiency={k: float(v) for k, v in
                        policy.value("plan.sentence_delivery_efficiency").items()},
            custody_population=None if population is None else float(population),
            demand_growth={k: float(v) for k, v in
                           policy.value("plan.statutory_demand_growth").items()
                           if k in ("community", "custody")},
            growth=float(limits["growth"]),
            new_share=float(limits["new_share"]),
            shrink=float(limits["shrink"]),
            reach=float(policy.value("plan.reach")),
            core_offer_coverage=float(policy.value("plan.core_offer_coverage")),
            ogrs_threshold=int(policy.value("risk.medium_high_threshold")),
            # the valuation is the evidence base's (one outcome model)
            crime_costs=CrimeCosts.from_policy(policy),
            follow_up=FollowUp.from_policy(policy),
            min_reoffences_for_mix=int(
                policy.value("evidence.outcome_model")["min_reoffences_for_mix"]),
        )

    @property
    def savings_from_portfolio(self) -> float:
        return self.savings_target - self.savings_outside_portfolio


def _synthetic_list(policy: Policy) -> Mapping[str, Any]:
    if "synth_outcomes.interventions" not in policy:
        return {}
    value = policy.value("synth_outcomes.interventions")
    return value if isinstance(value, Mapping) else {}


def service_specs(
    policy: Policy, use_catalogue: bool = True
) -> dict[str, ServiceSpec]:
    """Every service named in ``plan.unit_costs``, described for the plan (see the module)."""
    from commissioning.evidence.outcome import assumed_effect

    costs: Mapping[str, Mapping[str, Any] | None] = policy.value("plan.unit_costs")
    synthetic = _synthetic_list(policy)
    catalogue: dict[str, Any] = {}
    effects: dict[str, EffectDistribution] = {}
    valuation = None
    if use_catalogue:
        from commissioning.evidence.benefit_cost import Valuation
        from commissioning.evidence.catalogue import check_services, load_catalogue
        from commissioning.evidence.outcome import service_effects

        items = load_catalogue().interventions
        check_services(items, policy)
        catalogue = {i.id: i for i in items}
        effects = service_effects(items, policy)
        valuation = Valuation.from_policy(policy)
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
                effect_source="none (sentence delivery)",
            )
            continue
        item = catalogue.get(service_id)
        synth = synthetic.get(service_id, {})
        price = (valuation.catalogue_price(item) if valuation is not None and item is not None
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
        effect = effects.get(service_id) or assumed_effect(service_id, category, policy)
        specs[service_id] = ServiceSpec(
            service_id, name, category, core, False, settings, needs, min_tier, groups,
            _price(service_id, cost, price), requirement, effect.odds_ratio,
            "plan.unit_costs" if price is None else
            f"evidence catalogue ({item.unit_cost.source if item else ''})",
            f"{effect.kind}: {effect.source}", effect,
        )
    return specs


def effects_of(specs: Mapping[str, ServiceSpec]) -> dict[str, EffectDistribution | None]:
    """Each planned service's effect distribution (None for sentence delivery)."""
    return {k: s.effect for k, s in specs.items()}


def draw_effects(
    specs: Mapping[str, ServiceSpec], rng: np.random.Generator, n: int
) -> pd.DataFrame:
    """``n`` joint draws of every planned service's risk ratio of reoffending: one row per
    draw, one column per service id (1.0 for sentence delivery). Each service's log odds ratio
    is drawn from Normal(mean, SE²) independently and turned into a risk ratio at its
    reference rate (:class:`~commissioning.evidence.outcome.EffectDistribution`)."""
    return _draw_effects(effects_of(specs), rng, n)


#: Columns :func:`cell_values` needs besides ``service_id`` and the segment.
VALUE_COLUMNS: tuple[str, ...] = (
    "base_rate", "coverage", "reoffences_per_reoffender", "value_per_reoffence", "risk_ratio",
)


class CellValuer:
    """Per-cell values for many draws of the services' risk ratios, with the cell layout
    worked out once (see :func:`cell_values`)."""

    def __init__(self, cells: pd.DataFrame) -> None:
        missing = [c for c in ("service_id", *SEGMENT_KEYS, *VALUE_COLUMNS)
                   if c not in cells.columns]
        if missing:
            raise KeyError(f"cells lack {', '.join(missing)}: build them with "
                           "commissioning.plan.baseline.build_cells")
        self.index = cells.index
        self.services = sorted(cells["service_id"].astype(str).unique())
        pos = {s: i for i, s in enumerate(self.services)}
        self.svc = cells["service_id"].astype(str).map(pos).to_numpy(np.int64)
        seg = pd.MultiIndex.from_frame(cells[list(SEGMENT_KEYS)].astype(str))
        self.seg, _ = pd.factorize(seg)
        pair = self.svc.astype(np.int64) * (int(self.seg.max()) + 1) + self.seg
        uniq, self.pair_of_cell = np.unique(pair, return_inverse=True)
        self.pair_svc = uniq // (int(self.seg.max()) + 1)
        self.pair_seg = uniq % (int(self.seg.max()) + 1)
        cov = pd.Series(cells["coverage"].to_numpy(float)).groupby(self.pair_of_cell).first()
        self.pair_cov = np.clip(cov.to_numpy(float), 0.0, 1.0)
        self.n_seg = int(self.seg.max()) + 1
        self.base = cells["base_rate"].to_numpy(float)
        self.freq = cells["reoffences_per_reoffender"].to_numpy(float)
        self.value = cells["value_per_reoffence"].to_numpy(float)
        central = cells.groupby("service_id")["risk_ratio"].first()
        self.central = np.array([float(central[s]) for s in self.services])

    def risk_ratios(self, rr: Mapping[str, float] | pd.Series | None) -> npt.NDArray[np.float64]:
        """The risk ratio of each service in ``self.services`` order (central where not given)."""
        out = self.central.copy()
        if rr is not None:
            for i, s in enumerate(self.services):
                if s in rr:
                    out[i] = float(rr[s])
        return out

    def __call__(self, rr: Mapping[str, float] | pd.Series | None = None) -> pd.DataFrame:
        r = self.risk_ratios(rr)
        own = np.clip(1.0 - self.pair_cov * (1.0 - r[self.pair_svc]), 1e-9, None)
        log_own = np.log(own)
        seg_total = np.bincount(self.pair_seg, weights=log_own, minlength=self.n_seg)
        others = np.exp(seg_total[self.pair_seg] - log_own)[self.pair_of_cell]
        avoided = avoided_per_start(self.base, r[self.svc], self.freq, others)
        return pd.DataFrame({
            "avoided_per_unit": avoided,
            "value_per_unit": avoided * self.value,
            "others_factor": others,
        }, index=self.index)


def cell_values(
    cells: pd.DataFrame, rr: Mapping[str, float] | pd.Series | None = None
) -> pd.DataFrame:
    """Per-cell ``avoided_per_unit`` (proven reoffences avoided per start), ``value_per_unit``
    (£ of crime avoided per start) and ``others_factor`` for one draw of the services' risk
    ratios ``rr`` (service id → risk ratio; a row of :func:`draw_effects` works), central
    effects for services not in ``rr``. The one outcome model
    (:mod:`commissioning.evidence.outcome`): ``value = p · o · (1 − RR) · F · V`` with the
    cell's OGRS3 one-year probability ``p``, the other services' combined risk ratio at their
    2011-12 coverage ``o``, proven reoffences per reoffender ``F`` and £ per proven reoffence
    ``V`` of the cell's segment. Sentence delivery (risk ratio 1) is worth 0."""
    return CellValuer(cells)(rr)


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


def demand_from_forecasts(policy: Policy) -> bool:
    """Whether the round plans on the demand step's projections (``from_demand_step`` in
    ``plan.statutory_demand_growth``) rather than the parameter's own growth figures."""
    value = policy.value("plan.statutory_demand_growth")
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
    """Retired odds-ratio form (kept for callers outside the plan): completion × (p − p_t) with
    ``p_t = logistic(logit(p) + fraction · ln OR)``. The plan uses :func:`cell_values`."""
    p = np.clip(np.asarray(base_rate, float), 1e-6, 1 - 1e-6)
    done = np.asarray(completion, float)
    if odds_ratio == 1.0:
        return np.zeros(np.broadcast(p, done).shape)
    treated = apply_odds_ratio(p, np.asarray(fraction, float) * math.log(odds_ratio))
    return np.asarray(done * (p - treated), float)
