"""The optimal portfolio: a linopy model solved by HiGHS, built step by step and verified.

``define_variables`` → ``define_constraints`` (one function per concern, each stating its maths)
→ ``define_objective`` here, then ``solve`` → ``read_solution`` → ``verify`` in
:mod:`commissioning.plan.solution` (ARCHITECTURE.md, "Optimisation models"). Decisions:
``volume_i ≥ 0`` for every cell ``i`` (service × segment × setting × region) and, optionally,
``open_c ∈ {0, 1}`` for whole provider contracts ``c``.
With ``elastic=True`` every constraint row gets a slack variable and the objective minimises
the relative slack: the rows that must give name the constraints that conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import linopy
import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from commissioning.plan.inputs import PlanSettings
from commissioning.plan.intentions import Intention
from commissioning.plan.rules import Requirement, group_codes, requirements_for

OBJECTIVES: tuple[str, ...] = ("reoffences", "net_benefit")
#: Weight of spend in the reoffences objective: a tie-breaker that prefers the cheaper of two
#: portfolios avoiding the same reoffences (1e-9 reoffences per £, far below any service's effect).
SPEND_TIE_BREAK = 1e-9
#: Rows in £ (the budget, spend floors) reach into the billions; HiGHS's tolerances are
#: absolute (1e-6), so the solver sees them in £M (linopy's row scaling: duals and slacks come
#: back in £).
MONEY_SCALE = 1e-6
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Contract:
    """A whole provider contract: it carries up to ``capacity`` starts of one service in one
    setting and region, and costs ``fixed_cost`` on top of the unit prices if kept open."""

    id: str
    service_id: str
    setting: str
    region: str
    capacity: float
    fixed_cost: float


@dataclass
class PlanModel:
    """A built model with the data it was built from."""

    model: linopy.Model
    cells: pd.DataFrame
    budget: float
    objective_kind: str
    requirements: list[Requirement] = field(default_factory=list)
    contracts: tuple[Contract, ...] = ()
    elastic: bool = False
    integral: bool = False
    slacks: dict[str, linopy.Variable] = field(default_factory=dict)
    hard: frozenset[str] = frozenset()
    built: dict[str, list[Requirement]] = field(default_factory=dict)


def budget_of(cells: pd.DataFrame, settings: PlanSettings) -> float:
    """``B = Σ baseline spend − savings target + savings delivered outside the portfolio``."""
    return float(cells["baseline_spend"].sum()) - settings.savings_from_portfolio


def define_variables(pm: PlanModel) -> None:
    """``0 ≤ volume_i ≤ upper_i`` (reach of the eligible, or what courts order) per cell, whole
    numbers when ``integral``;
    ``open_c ∈ {0,1}`` per contract."""
    upper = xr.DataArray(pm.cells["upper"].to_numpy(float), dims="cell")
    pm.model.add_variables(lower=0.0, upper=upper, name="volume", integer=pm.integral)
    if pm.contracts:
        pm.model.add_variables(
            coords=[pd.Index([c.id for c in pm.contracts], name="contract")],
            binary=True, name="open",
        )


def grouped_expression(
    model: linopy.Model, labels: npt.NDArray[np.int64], coef: FloatArray,
    groups: npt.NDArray[np.int64], n_groups: int, dim: str,
) -> linopy.LinearExpression:
    """``Σ_{k: groups_k = g} coef_k · var_k`` for every group ``g``, built directly as linopy's
    (row × term) arrays of variable labels and coefficients (fast for thousands of rows)."""
    keep = groups >= 0
    labels, coef, groups = labels[keep], coef[keep], groups[keep]
    counts = np.bincount(groups, minlength=n_groups)
    width = max(int(counts.max()) if len(counts) else 1, 1)
    order = np.argsort(groups, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(len(groups)) - np.repeat(starts, counts)
    var = np.full((n_groups, width), -1, np.int64)
    cof = np.zeros((n_groups, width))
    var[groups[order], position] = labels[order]
    cof[groups[order], position] = coef[order]
    data = xr.Dataset(
        {"coeffs": ((dim, "_term"), cof), "vars": ((dim, "_term"), var),
         "const": (dim, np.zeros(n_groups))},
        coords={dim: np.arange(n_groups)},
    )
    return linopy.LinearExpression(data, model)


def _volume_labels(pm: PlanModel) -> npt.NDArray[np.int64]:
    return np.asarray(pm.model.variables["volume"].labels.values, np.int64)


def _add(pm: PlanModel, req: Requirement) -> None:
    """Add a requirement's rows ``Σ_{i∈g} coef_i·volume_i sense rhs_g`` (with slack if elastic)."""
    if req.n_groups == 0:
        return
    dim = f"{req.name}_row"
    expr = grouped_expression(pm.model, _volume_labels(pm), req.coef, req.groups, req.n_groups,
                              dim)
    rhs = xr.DataArray(req.rhs, dims=dim, coords={dim: np.arange(req.n_groups)})
    if pm.elastic and req.name not in pm.hard:
        slack = pm.model.add_variables(
            lower=0.0, coords=[pd.Index(np.arange(req.n_groups), name=dim)],
            name=f"slack_{req.name}")
        pm.slacks[req.name] = slack
        expr = expr + slack if req.sense == ">=" else expr - slack
    scaling = MONEY_SCALE if req.unit == "£" else 1.0
    if req.sense == ">=":
        pm.model.add_constraints(expr >= rhs, name=req.name, scaling=scaling)
    else:
        pm.model.add_constraints(expr <= rhs, name=req.name, scaling=scaling)
    pm.requirements.append(req)


def budget_requirement(cells: pd.DataFrame, budget: float) -> Requirement:
    """``Σ_i planned unit cost_i · volume_i (+ Σ_c fixed_c · open_c) ≤ B``."""
    return Requirement("budget", "budget after the savings target",
                       cells["planned_unit_cost"].to_numpy(float),
                       np.zeros(len(cells), np.int64), np.array([budget]), "<=", ("all",), "£")


def define_budget(pm: PlanModel) -> None:
    """``Σ_i c_i · volume_i + Σ_c f_c · open_c ≤ B`` with ``B`` from :func:`budget_of`."""
    req = budget_requirement(pm.cells, pm.budget)
    if not pm.contracts:
        _add(pm, req)
        return
    y_labels = np.asarray(pm.model.variables["open"].labels.values, np.int64)
    labels = np.concatenate([_volume_labels(pm), y_labels])
    coef = np.concatenate([req.coef, [c.fixed_cost for c in pm.contracts]])
    groups = np.zeros(len(labels), np.int64)
    expr = grouped_expression(pm.model, labels, coef, groups, 1, "budget_row")
    if pm.elastic and "budget" not in pm.hard:
        slack = pm.model.add_variables(lower=0.0, coords=[pd.Index([0], name="budget_row")],
                                       name="slack_budget")
        pm.slacks["budget"] = slack
        expr = expr - slack
    pm.model.add_constraints(expr <= xr.DataArray([pm.budget], dims="budget_row",
                                                  coords={"budget_row": [0]}), name="budget",
                             scaling=MONEY_SCALE)
    pm.requirements.append(req)


def statutory_requirement(cells: pd.DataFrame) -> Requirement:
    """``volume_i ≥ demand_i`` for every cell with statutory demand."""
    mask = cells["statutory_volume"].to_numpy(float) > 0
    groups = np.full(len(cells), -1, np.int64)
    groups[mask] = np.arange(int(mask.sum()))
    return Requirement("statutory_demand", "statutory demand met", np.ones(len(cells)), groups,
                       cells["statutory_volume"].to_numpy(float)[mask], ">=",
                       tuple(str(i) for i in np.flatnonzero(mask)), per_cell=True)


def define_statutory_demand(pm: PlanModel) -> None:
    """``volume_i ≥ demand_i``: court-ordered requirements and prison places are delivered."""
    _add(pm, statutory_requirement(pm.cells))


def growth_requirements(cells: pd.DataFrame, settings: PlanSettings,
                        released: npt.NDArray[np.bool_]) -> list[Requirement]:
    """Per rehabilitation service × setting × region ``g``:
    ``Σ_g volume ≤ max((1+growth)·Σ_g baseline + new_share·Σ_g eligible, Σ_g demand)`` and
    ``Σ_g volume ≥ (1−shrink)·Σ_{g, not released} min(baseline, upper)``, where released cells
    are those an intention requires to give up."""
    rehab = cells["rehabilitation"].to_numpy(bool)
    groups, uniques = group_codes(cells, rehab, ("service_id", "setting", "region"))
    n = len(uniques)

    def total(values: FloatArray) -> FloatArray:
        inside = groups >= 0
        return np.bincount(groups[inside], weights=values[inside], minlength=n).astype(float)

    base = cells["baseline_volume"].to_numpy(float)
    upper_cell = cells["upper"].to_numpy(float)
    up = np.maximum(
        (1 + settings.growth) * total(base) + settings.new_share * total(
            cells["eligible"].to_numpy(float)),
        total(cells["statutory_volume"].to_numpy(float)),
    )
    kept = np.where(released, 0.0, np.minimum(base, upper_cell))
    low = (1 - settings.shrink) * total(kept)
    ones = np.ones(len(cells))
    labels = tuple(str(u) for u in uniques)
    return [
        Requirement("growth_limit", "growth limit", ones, groups, up, "<=", labels),
        Requirement("shrink_limit", "shrink limit", ones, groups, low, ">=", labels),
    ]


def released_cells(cells: pd.DataFrame, requirements: Sequence[Requirement]) -> npt.NDArray[
        np.bool_]:
    """Cells an intention caps at what courts order (their baseline need not be kept)."""
    released = np.zeros(len(cells), bool)
    for req in requirements:
        if req.per_cell and req.sense == "<=":
            released |= req.groups >= 0
    return released


def define_growth_limits(pm: PlanModel, released: npt.NDArray[np.bool_]) -> None:
    """How fast each service can grow or shrink in a year (see :func:`growth_requirements`)."""
    for req in growth_requirements(pm.cells, PLAN_SETTINGS[id(pm)], released):
        _add(pm, req)


def define_contract_capacity(pm: PlanModel) -> None:
    """``Σ_{i ∈ (s,t,r)} volume_i ≤ Σ_{c ∈ (s,t,r)} capacity_c · open_c`` for every service ×
    setting × region that has contracts (cells without contracts are delivered in-house)."""
    if not pm.contracts:
        return
    key = pm.cells["service_id"] + "|" + pm.cells["setting"] + "|" + pm.cells["region"]
    contract_key = [f"{c.service_id}|{c.setting}|{c.region}" for c in pm.contracts]
    markets = sorted(set(contract_key))
    code = {k: n for n, k in enumerate(markets)}
    cell_group = key.map(code).fillna(-1).to_numpy(np.int64)
    y_labels = np.asarray(pm.model.variables["open"].labels.values, np.int64)
    labels = np.concatenate([_volume_labels(pm), y_labels])
    coef = np.concatenate([np.ones(len(pm.cells)), [-c.capacity for c in pm.contracts]])
    groups = np.concatenate([cell_group, [code[k] for k in contract_key]]).astype(np.int64)
    expr = grouped_expression(pm.model, labels, coef, groups, len(markets), "market")
    pm.model.add_constraints(expr <= 0, name="contract_capacity")


def contract_cover_rows(pm: PlanModel) -> list[tuple[str, list[int], FloatArray, float]]:
    """Per market with a shrink floor ``L_m > 0``: (market, contracts, ``min(cap_c, L_m)``,
    ``L_m``) for :func:`define_contract_cover`."""
    shrink = next((r for r in pm.requirements if r.name == "shrink_limit"), None)
    if shrink is None or not pm.contracts:
        return []
    keys = (pm.cells["service_id"] + "|" + pm.cells["setting"] + "|" + pm.cells["region"]
            ).to_numpy()
    floor_of: dict[str, float] = {}
    for key, group in zip(keys, shrink.groups, strict=True):
        if group >= 0:
            floor_of[str(key)] = float(shrink.rhs[group])
    by_market: dict[str, list[int]] = {}
    for n, c in enumerate(pm.contracts):
        by_market.setdefault(f"{c.service_id}|{c.setting}|{c.region}", []).append(n)
    rows = []
    for market, members in sorted(by_market.items()):
        floor = floor_of.get(market, 0.0)
        if floor > 1e-9:
            caps = np.array([pm.contracts[n].capacity for n in members], float)
            rows.append((market, members, np.minimum(caps, floor), floor))
    return rows


def define_contract_cover(pm: PlanModel) -> None:
    """``Σ_{c ∈ m} min(cap_c, L_m) · open_c ≥ L_m`` for every market ``m`` whose shrink floor
    ``L_m`` is positive. Implied by the shrink and capacity rows for whole contracts (if one
    open contract holds ``L_m`` the row holds, else every open one counts at full capacity), so
    it removes no portfolio; it is the capacity row with its coefficients strengthened, which
    cuts off the LP relaxation's fractional contracts and tightens its bound (Nemhauser & Wolsey,
    *Integer and Combinatorial Optimization*, 1988, II.1.1 on coefficient reduction). Not in an
    elastic model, where the shrink floor itself may give."""
    rows = contract_cover_rows(pm)
    if pm.elastic or not rows:
        return
    y_labels = np.asarray(pm.model.variables["open"].labels.values, np.int64)
    labels = np.concatenate([y_labels[members] for _, members, _, _ in rows])
    coef = np.concatenate([c for _, _, c, _ in rows])
    groups = np.concatenate([np.full(len(m), n, np.int64) for n, (_, m, _, _) in enumerate(rows)])
    expr = grouped_expression(pm.model, labels, coef, groups, len(rows), "covered_market")
    rhs = xr.DataArray(np.array([f for _, _, _, f in rows]), dims="covered_market",
                       coords={"covered_market": np.arange(len(rows))})
    pm.model.add_constraints(expr >= rhs, name="contract_cover")


def define_intentions(pm: PlanModel, intentions: Sequence[Intention]) -> list[Requirement]:
    """Every machine-checkable intention as constraints (see :mod:`commissioning.plan.rules`)."""
    added: list[Requirement] = []
    for intention in intentions:
        reqs = requirements_for(intention, pm.cells, PLAN_SETTINGS[id(pm)])
        pm.built[intention.id] = reqs
        for req in reqs:
            _add(pm, req)
            added.append(req)
    return added


def define_constraints(pm: PlanModel, intentions: Sequence[Intention]) -> None:
    """Budget, statutory demand, contract capacity, the intentions, growth limits, then the
    contracts' cover rows (which read the shrink floors)."""
    define_budget(pm)
    define_statutory_demand(pm)
    define_contract_capacity(pm)
    added = define_intentions(pm, intentions)
    define_growth_limits(pm, released_cells(pm.cells, added))
    define_contract_cover(pm)


def objective_coefficients(cells: pd.DataFrame, kind: str, settings: PlanSettings) -> FloatArray:
    """Per unit of volume: proven reoffences avoided ``a_i`` (minus a tiny spend tie-break), or
    net social benefit ``v_i − c_i`` with ``v_i`` the £ of crime avoided per start of the one
    outcome model (``value_per_unit``, :func:`commissioning.plan.inputs.cell_values`)."""
    avoided = cells["avoided_per_unit"].to_numpy(float)
    cost = cells["planned_unit_cost"].to_numpy(float)
    if kind == "reoffences":
        return np.asarray(avoided - SPEND_TIE_BREAK * cost, float)
    if kind == "net_benefit":
        return np.asarray(cells["value_per_unit"].to_numpy(float) - cost, float)
    raise ValueError(f"objective {kind!r}: use one of {', '.join(OBJECTIVES)}")


def define_objective(pm: PlanModel) -> None:
    """Maximise ``Σ_i w_i · volume_i`` (see :func:`objective_coefficients`); elastic models
    minimise ``Σ_rows slack_row / max(1, |rhs_row|)`` instead."""
    if pm.elastic:
        terms = []
        for req in pm.requirements:
            slack = pm.slacks.get(req.name)
            if slack is None:
                continue
            scale = 1.0 / np.maximum(np.abs(req.rhs), 1.0)
            dim = str(slack.dims[0])
            weight = xr.DataArray(scale, dims=dim, coords={dim: slack.coords[dim].values})
            terms.append((weight * slack).sum())
        pm.model.add_objective(sum(terms[1:], terms[0]), sense="min")
        return
    weights = objective_coefficients(pm.cells, pm.objective_kind, PLAN_SETTINGS[id(pm)])
    labels = _volume_labels(pm)
    if pm.contracts and pm.objective_kind == "net_benefit":
        labels = np.concatenate(
            [labels, np.asarray(pm.model.variables["open"].labels.values, np.int64)])
        weights = np.concatenate([weights, [-c.fixed_cost for c in pm.contracts]])
    expr = grouped_expression(pm.model, labels, weights, np.zeros(len(labels), np.int64), 1,
                              "objective_row").sum()
    pm.model.add_objective(expr, sense="max")


#: Settings of the models being built, by id (kept out of the dataclass so linopy objects and
#: plain data stay apart).
PLAN_SETTINGS: dict[int, PlanSettings] = {}


def build_model(
    cells: pd.DataFrame,
    settings: PlanSettings,
    intentions: Sequence[Intention],
    objective: str = "reoffences",
    contracts: Sequence[Contract] = (),
    budget: float | None = None,
    elastic: bool = False,
    hard: Sequence[str] = (),
    integral: bool = False,
) -> PlanModel:
    """Define variables, constraints and objective (``hard``: constraint names an elastic model
    may not relax)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r}: use one of {', '.join(OBJECTIVES)}")
    pm = PlanModel(linopy.Model(), cells.reset_index(drop=True),
                   budget_of(cells, settings) if budget is None else budget, objective,
                   contracts=tuple(contracts), elastic=elastic, hard=frozenset(hard),
                   integral=integral)
    PLAN_SETTINGS[id(pm)] = settings
    try:
        define_variables(pm)
        define_constraints(pm, intentions)
        define_objective(pm)
    finally:
        PLAN_SETTINGS.pop(id(pm), None)
    return pm
