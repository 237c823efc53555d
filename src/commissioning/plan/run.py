"""A whole plan: baseline → optimum (verified) → ranking method → verdicts → outputs.

:func:`make_plan` works on cells (any source: a workspace's baseline, a test's small table);
:func:`plan_workspace` builds the cells from a workspace; :func:`write_plan` writes
``portfolio.csv`` and ``summary.json`` (the interface of issue 5) and the comparison tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from ibis.backends import BaseBackend

from commissioning.io.exports import write_tables
from commissioning.io.workspace import Workspace
from commissioning.plan.baseline import Baseline, load_baseline
from commissioning.plan.bridge import savings_bridge
from commissioning.plan.explain import (
    CellReasons,
    Conflict,
    IntentionCost,
    budget_shadow_price,
    cell_reasons,
    explain_infeasible,
    intention_costs,
    solve_without,
)
from commissioning.plan.inputs import PlanSettings, service_specs
from commissioning.plan.intentions import Intention, Intentions, load_intentions
from commissioning.plan.model import (
    Contract,
    budget_of,
    build_model,
    objective_coefficients,
    released_cells,
)
from commissioning.plan.ranking import fair_ranking, value_per_unit
from commissioning.plan.resolve import Resolver
from commissioning.plan.rules import Verdict, check_intentions
from commissioning.plan.scenarios import PlanScenario, savings_scenarios
from commissioning.plan.solution import read_solution, solve, verify
from commissioning.plan.uncertainty import UncertaintySettings, run_uncertainty
from commissioning.policy.parameters import Policy

PORTFOLIO_COLUMNS: tuple[str, ...] = (
    "service_id", "evidence_category", "core", "setting", "offence_group", "risk_tier", "harm",
    "region", "baseline_volume", "planned_volume", "baseline_spend", "planned_spend", "reason",
    "sex", "ogrs_medium_high", "reoffences_avoided", "binding", "court_ordered_volume",
    "upper_volume", "unit_cost", "planned_unit_cost", "value_per_start",
    "reoffences_avoided_per_start",
)
#: The four portfolios compared side by side (summary.json ``comparison``).
COMPARED: tuple[str, ...] = (
    "2011-12 baseline", "fair ranking", "optimum without intentions", "optimum with intentions",
)
FloatArray = npt.NDArray[np.float64]


@dataclass
class PlanResult:
    """Everything a plan produced (the report and the CLI read this)."""

    status: str
    objective_kind: str
    objective: float | None
    budget: float
    baseline_spend: float
    planned_spend: float | None
    savings_target: float
    ranking_objective: float
    ranking_spend: float
    mip_gap: float | None
    intentions: list[Verdict]
    baseline_intentions: list[Verdict]
    ranking_intentions: list[Verdict]
    portfolio: pd.DataFrame
    conflicts: list[Conflict] = field(default_factory=list)
    budget_shadow_price: float | None = None
    intention_costs: list[IntentionCost] = field(default_factory=list)
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    scenario: str | None = None
    intention_texts: dict[str, str] = field(default_factory=dict)
    comparison: list[dict[str, Any]] = field(default_factory=list)
    ranking_broken: list[str] = field(default_factory=list)
    ranking_order: pd.DataFrame | None = None
    savings_bridge: list[dict[str, Any]] = field(default_factory=list)
    uncertainty: dict[str, Any] | None = None

    @property
    def savings(self) -> float | None:
        return None if self.planned_spend is None else self.baseline_spend - self.planned_spend

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` document."""
        return {
            "status": self.status,
            "scenario": self.scenario,
            "objective_kind": self.objective_kind,
            "objective": self.objective,
            "budget": self.budget,
            "baseline_spend": self.baseline_spend,
            "planned_spend": self.planned_spend,
            "savings": self.savings,
            "savings_target": self.savings_target,
            "ranking_objective": self.ranking_objective,
            "ranking_spend": self.ranking_spend,
            "ranking_method": "fair ranking: mandatory first, then benefit-cost order under "
                              "the optimiser's own limits (plan/ranking.py)",
            "ranking_breaks": self.ranking_broken,
            "mip_gap": self.mip_gap,
            "budget_shadow_price_per_million": self.budget_shadow_price,
            "comparison": self.comparison,
            "intention_costs": [c.as_dict() for c in self.intention_costs],
            "savings_bridge": self.savings_bridge,
            "uncertainty": self.uncertainty,
            "conflicts": [c.sentence() for c in self.conflicts],
            "intentions": [v.as_dict() for v in self.intentions],
            "baseline_intentions": [v.as_dict() for v in self.baseline_intentions],
            "ranking_intentions": [v.as_dict() for v in self.ranking_intentions],
            "scenarios": self.scenarios,
        }


def objective_value(cells: pd.DataFrame, volume: FloatArray, kind: str,
                    settings: PlanSettings) -> float:
    """The objective of any portfolio: reoffences avoided, or net social benefit (£)."""
    if kind == "reoffences":
        return float((cells["avoided_per_unit"].to_numpy(float) * volume).sum())
    spend = float((cells["planned_unit_cost"].to_numpy(float) * volume).sum())
    return float((value_per_unit(cells, settings) * volume).sum()) - spend


def portfolio_frame(cells: pd.DataFrame, planned: FloatArray, reasons: CellReasons,
                    settings: PlanSettings) -> pd.DataFrame:
    """The ``portfolio.csv`` table: baseline beside plan, what set each volume, and the
    numbers to recheck it (unit costs, value and reoffences avoided per start, bounds)."""
    frame = cells.copy()
    frame["planned_volume"] = planned
    frame["planned_spend"] = planned * frame["planned_unit_cost"]
    frame["reoffences_avoided"] = planned * frame["avoided_per_unit"]
    frame["binding"] = reasons.binding
    frame["reason"] = reasons.reason
    frame["court_ordered_volume"] = frame["statutory_volume"]
    frame["upper_volume"] = frame["upper"]
    frame["value_per_start"] = value_per_unit(cells, settings)
    frame["reoffences_avoided_per_start"] = frame["avoided_per_unit"]
    return frame[list(PORTFOLIO_COLUMNS)]


def _compared(name: str, cells: pd.DataFrame, volume: FloatArray | None, settings: PlanSettings,
              verdicts: Sequence[Verdict] | None, note: str) -> dict[str, Any]:
    if volume is None:
        return {"portfolio": name, "objective_reoffences": None, "value": None, "spend": None,
                "intentions_broken": None, "note": note}
    cost = cells["planned_unit_cost"].to_numpy(float)
    base_cost = cells["unit_cost"].to_numpy(float)
    unit = base_cost if name == COMPARED[0] else cost
    return {
        "portfolio": name,
        "objective_reoffences": float((cells["avoided_per_unit"].to_numpy(float) * volume).sum()),
        "value": float((value_per_unit(cells, settings) * volume).sum()),
        "spend": float((unit * volume).sum()),
        "intentions_broken": [v.id for v in verdicts or [] if v.holds is False],
        "note": note,
    }


def make_plan(
    cells: pd.DataFrame,
    settings: PlanSettings,
    intentions: Intentions | Sequence[Intention],
    objective: str = "reoffences",
    contracts: Sequence[Contract] = (),
    scenario: str | None = None,
    dropped: Sequence[str] = (),
    sources: Mapping[str, str] | None = None,
    uncertainty: UncertaintySettings | None = None,
    specs: Mapping[str, Any] | None = None,
) -> PlanResult:
    """Optimise, verify, compare with the fair ranking and the optimum without intentions,
    price each intention, explain every cell, bridge the savings and (with ``uncertainty`` and
    the services' ``specs``) carry the effects' uncertainty through the decision. Intentions
    in ``dropped`` (a scenario's ``drop_intentions``) are not applied, but still checked and
    reported as set aside."""
    cells = cells.reset_index(drop=True)
    every = list(intentions)
    applied = [i for i in every if i.checkable and i.id not in dropped]
    budget = budget_of(cells, settings)
    pm = build_model(cells, settings, applied, objective, contracts)
    solution = read_solution(pm, solve(pm))
    baseline_volume = cells["baseline_volume"].to_numpy(float)
    released = released_cells(pm.cells, [r for reqs in pm.built.values() for r in reqs])
    fair = fair_ranking(pm.cells, settings, budget, pm.requirements, released)
    ranking = fair.volume
    all_intentions = Intentions(tuple(every))
    texts = {i.id: i.text for i in every}
    baseline_verdicts = check_intentions(all_intentions, cells, baseline_volume, settings,
                                         pm.built)
    ranking_verdicts = check_intentions(all_intentions, cells, ranking, settings, pm.built)
    common: dict[str, Any] = dict(
        objective_kind=objective, budget=budget,
        baseline_spend=float(cells["baseline_spend"].sum()),
        savings_target=settings.savings_target,
        ranking_objective=objective_value(cells, ranking, objective, settings),
        ranking_spend=fair.spend,
        baseline_intentions=baseline_verdicts, ranking_intentions=ranking_verdicts,
        scenario=scenario, intention_texts=texts, ranking_broken=fair.broken,
        ranking_order=fair.ranked,
    )
    if not solution.feasible:
        conflicts = explain_infeasible(cells, settings, applied, budget)
        empty = pd.DataFrame(columns=list(PORTFOLIO_COLUMNS))
        verdicts = [Verdict(i.id, None, "no feasible plan: see the conflicts") for i in every]
        return PlanResult(status="infeasible" if "infeasible" in solution.condition else
                          solution.condition, objective=None, planned_spend=None, mip_gap=None,
                          intentions=verdicts, portfolio=empty, conflicts=conflicts, **common)
    verify(pm, solution)
    planned = solution.volume
    fixed = float(np.dot([c.fixed_cost for c in contracts], solution.contracts_open)) \
        if contracts else 0.0
    shadow = budget_shadow_price(solution.duals)
    reasons = cell_reasons(pm.cells, pm.requirements, planned, solution.duals, shadow,
                           objective_coefficients(pm.cells, objective, settings))
    verdicts = _set_aside(check_intentions(all_intentions, cells, planned, settings, pm.built),
                          dropped)
    optimum = objective_value(cells, planned, objective, settings)
    result = PlanResult(
        status=solution.condition,  # "optimal", or "time_limit" with its proven mip_gap
        objective=optimum,
        planned_spend=float((cells["planned_unit_cost"].to_numpy(float) * planned).sum()) + fixed,
        mip_gap=solution.mip_gap if contracts else 0.0,
        intentions=verdicts,
        portfolio=portfolio_frame(pm.cells, planned, reasons, settings),
        budget_shadow_price=shadow,
        **common,
    )
    unit = "reoffences" if objective == "reoffences" else "£"
    free: FloatArray | None = None
    note = "not computed for a model with whole contracts (no warm LP re-solve)"
    resolver: Resolver | None = None
    if not contracts:
        resolver = Resolver.of(pm)
        free, _ = solve_without(pm, resolver, settings, [i.id for i in applied])
        note = "every intention removed (statutory demand, budget and limits kept)"
        result.intention_costs = intention_costs(
            pm, resolver, settings, applied, optimum,
            lambda v: objective_value(cells, v, objective, settings), unit)
    free_verdicts = (None if free is None else
                     check_intentions(all_intentions, cells, free, settings, pm.built))
    result.comparison = [
        _compared(COMPARED[0], cells, baseline_volume, settings, baseline_verdicts,
                  "2011-12 volumes at 2011-12 unit costs"),
        _compared(COMPARED[1], cells, ranking, settings, ranking_verdicts,
                  "mandatory first, then benefit-cost order under the same limits"
                  + ("" if not fair.broken else "; breaks: " + "; ".join(fair.broken))),
        _compared(COMPARED[2], cells, free, settings, free_verdicts, note),
        _compared(COMPARED[3], cells, planned, settings, verdicts, "the plan"),
    ]
    result.savings_bridge = savings_bridge(cells, planned, settings, budget, fixed, sources)
    if uncertainty is not None and specs is not None and resolver is not None:
        drawn = run_uncertainty(pm, resolver, settings, specs, uncertainty, planned, ranking,
                                objective)
        result.portfolio["flip_share"] = drawn.pop("_flip_share")
        result.uncertainty = drawn
    return result


def _set_aside(verdicts: list[Verdict], dropped: Sequence[str]) -> list[Verdict]:
    """Mark the verdicts of intentions a scenario set aside (checked, not applied)."""
    return [Verdict(v.id, v.holds, f"not applied in this scenario (set aside); {v.detail}")
            if v.id in dropped else v for v in verdicts]


def compare_scenarios(cells: pd.DataFrame, settings: PlanSettings,
                      intentions: Sequence[Intention],
                      scenarios: Sequence[PlanScenario],
                      current: PlanResult | None = None) -> list[dict[str, Any]]:
    """Objective, spend and status per savings scenario (overrides of the savings target only
    are applied to ``settings`` directly; cells are reused; the scenario matching ``current``
    takes its numbers instead of solving again)."""
    out: list[dict[str, Any]] = []
    applied = [i for i in intentions if i.checkable]
    for sc in scenarios:
        target = sc.parameters.get("plan.savings_target", {})
        value = float(next(iter(target.values()))) if target else settings.savings_target
        s = replace(settings, savings_target=value)
        budget = budget_of(cells, s)
        if current is not None and value == current.savings_target and \
                sc.objective == current.objective_kind:
            out.append({"scenario": sc.name, "savings_target": value, "budget": budget,
                        "status": current.status, "ranking_objective": current.ranking_objective,
                        "objective": current.objective,
                        "budget_shadow_price_per_million": current.budget_shadow_price,
                        "conflicts": [c.sentence() for c in current.conflicts]})
            continue
        pm = build_model(cells, s, applied, sc.objective)
        sol = read_solution(pm, solve(pm))
        row: dict[str, Any] = {"scenario": sc.name, "savings_target": value, "budget": budget,
                               "status": "optimal" if sol.optimal else "infeasible"}
        released = released_cells(pm.cells, [r for reqs in pm.built.values() for r in reqs])
        ranking = fair_ranking(pm.cells, s, budget, pm.requirements, released).volume
        row["ranking_objective"] = objective_value(cells, ranking, sc.objective, s)
        if sol.optimal:
            verify(pm, sol)
            row["objective"] = objective_value(cells, sol.volume, sc.objective, s)
            row["budget_shadow_price_per_million"] = budget_shadow_price(sol.duals)
            row["conflicts"] = []
        else:
            row["objective"] = None
            row["budget_shadow_price_per_million"] = None
            row["conflicts"] = [c.sentence() for c in explain_infeasible(cells, s, applied,
                                                                         budget)]
        out.append(row)
    return out


def plan_workspace(
    con: BaseBackend,
    ws: Workspace,
    policy: Policy,
    scenario: PlanScenario | None = None,
    compare: bool = True,
    demand_growth: Mapping[str, float] | None = None,
    uncertainty: bool = True,
) -> tuple[PlanResult, Baseline]:
    """Baseline from the workspace, then :func:`make_plan` (and the savings comparison).
    ``demand_growth`` (per setting, from the demand step) replaces
    ``plan.statutory_demand_growth`` for the settings it names."""
    if scenario is not None and scenario.parameters:
        policy = policy.parameters.with_overrides(scenario.parameters).at(policy.when)
    settings = PlanSettings.from_policy(policy)
    if demand_growth:
        settings = replace(settings, demand_growth={**settings.demand_growth, **demand_growth})
    specs = service_specs(policy)
    baseline = load_baseline(con, ws, specs, settings, policy)
    intentions = load_intentions()
    dropped = set(scenario.drop_intentions) if scenario else set()
    unknown = dropped - {i.id for i in intentions}
    if unknown:
        raise KeyError(f"scenario drops unknown intentions {sorted(unknown)}; ids look like "
                       "'custody 3'")
    kept = [i for i in intentions if i.id not in dropped]
    objective = scenario.objective if scenario else "reoffences"
    sources = {p.name: "; ".join(p.reference) for p in policy.parameters
               if p.name.startswith("plan.")}
    drawn = UncertaintySettings.from_policy(policy) if uncertainty else None
    result = make_plan(baseline.cells, settings, list(intentions), objective, sources=sources,
                       uncertainty=drawn, specs=specs,
                       scenario=scenario.name if scenario else None, dropped=tuple(dropped))
    if compare:
        result.scenarios = compare_scenarios(baseline.cells, settings, kept,
                                             savings_scenarios(objective=objective), result)
    return result, baseline


def _json(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_plan(
    result: PlanResult, out_dir: Path, baseline: Baseline | None = None, *, xlsx: bool = False
) -> list[Path]:
    """Write ``portfolio.csv``, ``summary.json``, ``changes.csv`` and (if given) the baseline
    (CSV with BOM; with ``xlsx`` each table as XLSX too)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = write_tables({"portfolio.csv": result.portfolio}, out_dir, xlsx=xlsx,
                           float_format="%.4f")
    path = out_dir / "summary.json"
    path.write_text(json.dumps(result.summary(), indent=2, default=_json), encoding="utf-8")
    written.append(path)
    tables = {}
    if len(result.portfolio):
        tables["changes.csv"] = changes_by(result.portfolio, ["setting", "service_id"])
    if baseline is not None:
        tables["baseline_by_provider.csv"] = baseline.by_provider
    return written + write_tables(tables, out_dir, xlsx=xlsx, float_format="%.2f")


#: Why a service loses money, by its evidence: no evidence entered is not failing evidence.
DISINVEST_BASIS: dict[str, str] = {
    "no_effect": "fails the condition: rated no effect (or may increase reoffending)",
    "not_evaluated": "no data entered: not evaluated, its effect is an assumption",
}
VALUE_BASIS = "evaluated: worth less per £ where it was cut than where the money went"


def disinvestment(portfolio: pd.DataFrame) -> pd.DataFrame:
    """Rehabilitation services that lose money (gross), with the basis: *fails the condition*
    (rated no effect), *no data entered* (not evaluated: an assumed effect), or evaluated and
    worth less per £ there than where the money went."""
    rehab = portfolio[portfolio["evidence_category"] != "not_applicable"]
    table = changes_by(rehab, ["service_id", "setting", "evidence_category"])
    table = table[table["spend_out"] > 1.0].copy()
    table["basis"] = table["evidence_category"].map(DISINVEST_BASIS).fillna(VALUE_BASIS)
    return table.sort_values(["basis", "spend_out"], ascending=[True, False],
                             kind="stable").reset_index(drop=True)


def changes_by(portfolio: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Invest/disinvest against the baseline, summed by ``by``: the net change and the gross
    moves — spend and starts moved in (cells that grow) and out (cells that shrink) — so a
    service whose money moves between segments does not read as unchanged."""
    frame = portfolio.assign(
        spend_in=np.clip(portfolio["planned_spend"] - portfolio["baseline_spend"], 0.0, None),
        spend_out=np.clip(portfolio["baseline_spend"] - portfolio["planned_spend"], 0.0, None),
        volume_in=np.clip(portfolio["planned_volume"] - portfolio["baseline_volume"], 0.0, None),
        volume_out=np.clip(portfolio["baseline_volume"] - portfolio["planned_volume"], 0.0,
                           None),
    )
    table = frame.groupby(list(by), as_index=False, observed=True)[
        ["baseline_volume", "planned_volume", "baseline_spend", "planned_spend",
         "reoffences_avoided", "spend_in", "spend_out", "volume_in", "volume_out"]].sum()
    table["spend_change"] = table["planned_spend"] - table["baseline_spend"]
    return table.sort_values("spend_change", kind="stable").reset_index(drop=True)


__all__ = ["PlanResult", "make_plan", "plan_workspace", "released_cells", "write_plan"]
