"""The fair comparator: the ranking method as Results First / WSIPP users practise it.

1. **Fund what is mandatory.** Statutory delivery and court-ordered starts; no service is cut
   faster than the shrink limit allows (each cell keeps ``(1 − shrink)`` of its 2011-12
   volume unless an intention releases it); then every floor the plan must meet — core offers,
   intentions that keep spend or volume at least at 2011-12, statutory capacity — each met by
   funding the best-ranked services that count towards it.
2. **Fund down the benefit–cost ranking** with what is left of the budget: each
   rehabilitation service × setting in order of its benefit–cost ratio (£ of crime avoided per
   £ at its 2011-12 targeting: a programme-level ranking, as in the Results First
   clearinghouse), grown to the limits the optimiser has — the growth limit of each service ×
   setting × region, each cell's upper bound (reach of the eligible) and the intentions' caps
   (e.g. nothing beyond court orders for low-risk, low-harm offenders) — the last one funded
   pro rata to the money left. Services whose ratio is not positive are not funded beyond the
   mandatory.

An expansion goes to the eligible people of a service pro rata to the room in each cell (the
method ranks programmes, not people). The result is checked against every row of the
optimiser's own model (:func:`ranking_check`): the comparator meets the same constraints, so the
optimum can only differ by how it targets and combines services.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.plan.inputs import PlanSettings
from commissioning.plan.rules import Requirement

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def value_per_unit(cells: pd.DataFrame, settings: PlanSettings | None = None) -> FloatArray:
    """£ of crime avoided per start: the one outcome model's ``value_per_unit``
    (:func:`commissioning.plan.inputs.cell_values`)."""
    if "value_per_unit" not in cells.columns:
        raise KeyError("cells lack value_per_unit: build them with "
                       "commissioning.plan.baseline.build_cells (the one outcome model)")
    return np.asarray(cells["value_per_unit"].to_numpy(float), float)


def rank_services(cells: pd.DataFrame, settings: PlanSettings) -> pd.DataFrame:
    """Benefit–cost ratio per rehabilitation service × setting, at its 2011-12 targeting (its
    eligible people where it had no starts in 2011-12); best first."""
    rehab = cells["rehabilitation"].to_numpy(bool)
    base = cells["baseline_volume"].to_numpy(float)
    key = cells["service_id"].astype(str) + "|" + cells["setting"].astype(str)
    has_base = pd.Series(base * rehab).groupby(key.to_numpy()).transform("sum").to_numpy() > 0
    weight = np.where(has_base, base, cells["upper"].to_numpy(float))
    table = pd.DataFrame({
        "service_id": cells["service_id"], "setting": cells["setting"],
        "benefit": value_per_unit(cells, settings) * weight,
        "cost": cells["planned_unit_cost"].to_numpy(float) * weight,
    })[rehab]
    ranked = table.groupby(["service_id", "setting"], as_index=False)[["benefit", "cost"]].sum()
    ranked["benefit_cost_ratio"] = ranked["benefit"] / ranked["cost"].where(ranked["cost"] > 0)
    ranked["benefit_cost_ratio"] = ranked["benefit_cost_ratio"].fillna(0.0)
    ranked = ranked.sort_values(["benefit_cost_ratio", "service_id", "setting"],
                                ascending=[False, True, True], kind="stable")
    ranked = ranked.reset_index(drop=True)
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    return ranked


@dataclass
class RankingResult:
    """The fair ranking's portfolio, how its money was spent and whether it meets the rows."""

    volume: FloatArray
    ranked: pd.DataFrame
    mandatory_spend: float
    spend: float
    budget: float
    funded: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.broken


class _Filler:
    """Volumes raised within per-cell caps and the rooms of the ``≤`` group rows."""

    def __init__(self, cells: pd.DataFrame, volume: FloatArray, cap: FloatArray,
                 limits: Sequence[Requirement]) -> None:
        self.cells = cells
        self.volume = volume
        self.cap = cap
        self.limits = list(limits)
        self.service = cells["service_id"].astype(str).to_numpy()
        self.setting = cells["setting"].astype(str).to_numpy()

    def room(self, req: Requirement) -> FloatArray:
        return np.maximum(req.rhs - req.lhs(self.volume), 0.0)

    def proposal(self, mask: BoolArray) -> FloatArray:
        """The largest increase in the cells of ``mask``: pro rata to each cell's room, scaled
        down where a ``≤`` group row (growth limit) would be exceeded."""
        head = np.where(mask, np.maximum(self.cap - self.volume, 0.0), 0.0)
        for req in self.limits:
            inside = req.groups >= 0
            use = np.bincount(req.groups[inside], weights=(req.coef * head)[inside],
                              minlength=req.n_groups)
            room = self.room(req)
            scale = np.where(use > room, room / np.where(use > 0, use, 1.0), 1.0)
            factor = np.ones(len(head))
            factor[inside] = scale[req.groups[inside]]
            head = head * factor
        return head

    def fill(self, order: Sequence[tuple[str, str]], within: BoolArray, coef: FloatArray,
             need: float) -> tuple[float, list[str]]:
        """Raise services in ``order`` (service, setting) within ``within`` until
        ``Σ coef·Δvolume`` reaches ``need``; returns what was added and who was funded."""
        added = 0.0
        funded: list[str] = []
        idx = np.flatnonzero(within)
        present = set(zip(self.service[idx], self.setting[idx], strict=True))
        for service, setting in order:
            if need - added <= 1e-9:
                break
            if (service, setting) not in present:
                continue
            mask = within & (self.service == service) & (self.setting == setting)
            delta = self.proposal(mask)
            gain = float((coef * delta).sum())
            if gain <= 1e-12:
                continue
            share = min(1.0, (need - added) / gain)
            self.volume += share * delta
            added += share * gain
            funded.append(f"{service} ({setting})" + ("" if share >= 1 else
                                                       f", {share:.0%} of its room"))
        return added, funded


def _caps(cells: pd.DataFrame, requirements: Sequence[Requirement]) -> FloatArray:
    cap = cells["upper"].to_numpy(float).copy()
    for req in requirements:
        if req.per_cell and req.sense == "<=":
            idx = np.flatnonzero(req.groups >= 0)
            cap[idx] = np.minimum(cap[idx], req.rhs[req.groups[idx]])
    return cap


def fair_ranking(cells: pd.DataFrame, settings: PlanSettings, budget: float,
                 requirements: Sequence[Requirement],
                 released: BoolArray | None = None) -> RankingResult:
    """The fair ranking portfolio (see the module) under ``requirements``: the optimiser's own
    rows (:attr:`commissioning.plan.model.PlanModel.requirements`)."""
    cells = cells.reset_index(drop=True)
    n = len(cells)
    cost = cells["planned_unit_cost"].to_numpy(float)
    base = cells["baseline_volume"].to_numpy(float)
    cap = _caps(cells, requirements)
    volume = np.zeros(n)
    limits = [r for r in requirements if r.sense == "<=" and not r.per_cell
              and r.name != "budget"]
    floors = [r for r in requirements if r.sense == ">="]
    ranked = rank_services(cells, settings)
    order = list(zip(ranked["service_id"].astype(str), ranked["setting"].astype(str),
                     strict=True))
    statutory_order = sorted({(str(s), str(t)) for s, t in
                              cells.loc[cells["statutory"], ["service_id", "setting"]]
                              .itertuples(index=False)})
    # 1. mandatory: per-cell floors (sentence delivery, court orders), shrink keeps, then rows
    for req in floors:
        if req.per_cell:
            idx = np.flatnonzero(req.groups >= 0)
            volume[idx] = np.maximum(volume[idx], req.rhs[req.groups[idx]])
    keep = np.ones(n, bool) if released is None else ~released
    rehab = cells["rehabilitation"].to_numpy(bool)
    volume = np.where(rehab & keep, np.maximum(volume, (1 - settings.shrink) * np.minimum(
        base, cells["upper"].to_numpy(float))), volume)
    filler = _Filler(cells, volume, cap, limits)
    funded: list[str] = []
    # most specific first (volumes, then money; fewest cells first), so a wider floor counts
    # what narrower ones have already funded instead of funding it twice
    rows = sorted((r for r in floors if not r.per_cell),
                  key=lambda r: (r.unit == "£", int((r.groups >= 0).sum())))
    for req in rows:
        short = req.shortfall(filler.volume)
        for g in np.flatnonzero(short > 0):
            within = req.groups == g
            _, who = filler.fill(order + statutory_order, within, req.coef, float(short[g]))
            funded += [f"{w} for {req.intention or req.label}" for w in who]
    mandatory = float((cost * filler.volume).sum())
    # 2. fund down the ranking with the money left
    money = budget - mandatory
    positive = [(s, t) for (s, t), r in zip(order, ranked["benefit_cost_ratio"], strict=True)
                if r > 0]
    if money > 0:
        _, who = filler.fill(positive, rehab, cost, money)
        funded += who
    volume = filler.volume
    spend = float((cost * volume).sum())
    return RankingResult(volume, ranked, mandatory, spend, budget, funded,
                         ranking_check(requirements, volume))


def ranking_check(requirements: Sequence[Requirement], volume: FloatArray) -> list[str]:
    """The rows of the optimiser's model a portfolio breaks, as sentences (none if it meets
    them all)."""
    out = []
    for req in requirements:
        short = req.shortfall(volume)
        bad = np.flatnonzero(short > 0)
        if len(bad):
            amount = (f"£{short.sum() / 1e6:,.1f}M" if req.unit == "£"
                      else f"{short.sum():,.0f} {req.unit}")
            who = f"intention {req.intention}: " if req.intention else ""
            out.append(f"{who}{req.label} broken in {len(bad):,} row(s) by {amount}")
    return out


def ranking_portfolio(cells: pd.DataFrame, settings: PlanSettings, budget: float,
                      requirements: Sequence[Requirement],
                      released: BoolArray | None = None) -> FloatArray:
    """Volumes per cell under the fair ranking (see :func:`fair_ranking`)."""
    return fair_ranking(cells, settings, budget, requirements, released).volume
