"""Why a plan is infeasible, and what the constraints cost (shadow prices).

Infeasibility: the same model is rebuilt *elastic* — every row may give by a slack that the
objective minimises (relative to the row's right-hand side) — and the constraint groups whose
slack is non-zero are named, with by how much they must give: never a bare solver error.

Shadow prices: the dual of the budget row (what £1M more buys, in the objective's units) and,
for each intention, the objective lost by keeping it, found by solving once more without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commissioning.plan.inputs import PlanSettings
from commissioning.plan.intentions import Intention
from commissioning.plan.model import build_model
from commissioning.plan.solution import read_solution, solve

LABELS = {
    "budget": "the budget after the savings target",
    "statutory_demand": "statutory demand (court orders, prison places)",
    "growth_limit": "how fast a service can grow",
    "shrink_limit": "how fast a service can shrink",
}


@dataclass(frozen=True)
class Conflict:
    """A constraint group that must give for the plan to become feasible."""

    constraint: str
    intention: str | None
    label: str
    rows: int
    shortfall: float
    unit: str

    def sentence(self) -> str:
        amount = (f"£{self.shortfall / 1e6:,.1f}M" if self.unit == "£"
                  else f"{self.shortfall:,.0f} {self.unit}")
        who = f"intention {self.intention} ({self.label})" if self.intention else self.label
        return f"{who} must give by {amount} across {self.rows:,} row(s)"


def explain_infeasible(cells: pd.DataFrame, settings: PlanSettings,
                       intentions: Sequence[Intention], budget: float | None = None
                       ) -> list[Conflict]:
    """The constraint groups that conflict, largest relative give first.

    The budget and statutory demand are held first, so the answer names the policies that stand
    in the way of the savings; if even that cannot be met, every group may give."""
    pm = build_model(cells, settings, intentions, budget=budget, elastic=True,
                     hard=("budget", "statutory_demand"))
    solution = read_solution(pm, solve(pm))
    if not solution.optimal:
        pm = build_model(cells, settings, intentions, budget=budget, elastic=True)
        solution = read_solution(pm, solve(pm))
    out: list[tuple[float, Conflict]] = []
    for req in pm.requirements:
        slack = solution.slack.get(req.name)
        if slack is None:
            continue
        given = slack > 1e-6 * np.maximum(np.abs(req.rhs), 1.0)
        if not given.any():
            continue
        relative = float((slack[given] / np.maximum(np.abs(req.rhs[given]), 1.0)).sum())
        label = LABELS.get(req.name, req.label)
        out.append((relative, Conflict(req.name, req.intention, label, int(given.sum()),
                                       float(slack[given].sum()), req.unit)))
    return [c for _, c in sorted(out, key=lambda t: -t[0])]


@dataclass(frozen=True)
class ShadowPrice:
    """What a constraint costs in the objective's units."""

    constraint: str
    intention: str | None
    description: str
    value: float


def budget_shadow_price(duals: dict[str, np.ndarray]) -> float | None:
    """Objective gained per extra £1M of budget (the budget row's dual × 1e6)."""
    dual = duals.get("budget")
    if dual is None or len(dual) == 0:
        return None
    return float(abs(dual[0]) * 1e6)


def policy_costs(cells: pd.DataFrame, settings: PlanSettings, intentions: Sequence[Intention],
                 objective: str, optimum: float, budget: float | None = None,
                 only: Sequence[str] | None = None) -> list[ShadowPrice]:
    """For each intention (or those in ``only``): objective without it − objective with it."""
    out = []
    for intention in intentions:
        if only is not None and intention.id not in only:
            continue
        rest = [i for i in intentions if i.id != intention.id]
        pm = build_model(cells, settings, rest, objective, budget=budget)
        solution = read_solution(pm, solve(pm))
        if not solution.optimal:
            continue
        out.append(ShadowPrice(intention.id.replace(" ", "_"), intention.id,
                               f"objective given up to keep intention {intention.id}",
                               float(solution.objective - optimum)))
    return out
