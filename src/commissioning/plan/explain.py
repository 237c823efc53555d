"""Why a plan is infeasible, and what the constraints cost (shadow prices).

Infeasibility: the same model is rebuilt *elastic* — every row may give by a slack that the
objective minimises (relative to the row's right-hand side) — and the constraint groups whose
slack is non-zero are named, with by how much they must give: never a bare solver error.

Shadow prices: the dual of the budget row (what £1M more buys, in the objective's units) and,
for each intention, the objective lost by keeping it, found by solving once more without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commissioning.plan.inputs import PlanSettings
from commissioning.plan.intentions import Intention
from commissioning.plan.model import PlanModel, build_model, growth_requirements, released_cells
from commissioning.plan.resolve import Resolver
from commissioning.plan.rules import Requirement
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


# --- What set each cell's volume --------------------------------------------------------------

#: The codes of :func:`cell_reasons` (``portfolio.csv`` column ``binding``), first match wins.
BINDING_CODES: tuple[str, ...] = (
    "court_ordered", "intention", "core_offer_floor", "capacity", "shrink_limit", "growth_limit",
    "budget", "value",
)
#: A row's dual counts as binding above this (objective units per row unit): well above the
#: spend tie-break of the reoffences objective (1e-9 per £), well below any service's effect.
DUAL_TOL = {"£": 1e-8, "starts": 1e-7}


@dataclass(frozen=True)
class CellReasons:
    """Per cell: the code of what set its volume (``binding``) and a sentence (``reason``)."""

    binding: list[str]
    reason: list[str]


def _binding_rows(req: Requirement, volume: np.ndarray, duals: dict[str, np.ndarray]
                  ) -> np.ndarray:
    """Rows of ``req`` at equality whose dual is not zero (at equality alone without duals)."""
    lhs = req.lhs(volume)
    tight = np.abs(lhs - req.rhs) <= 1e-6 * np.maximum(np.abs(req.rhs), 1.0) + 1e-6
    dual = duals.get(req.name)
    if dual is None or len(dual) != req.n_groups:
        return tight
    return np.asarray(tight & (np.abs(dual) > DUAL_TOL.get(req.unit, 1e-7)), bool)


def cell_reasons(cells: pd.DataFrame, requirements: Sequence[Requirement], volume: np.ndarray,
                 duals: dict[str, np.ndarray], shadow_price: float | None,
                 weights: np.ndarray | None = None) -> CellReasons:
    """What set each cell's volume, from the solution and the duals of the LP (see
    docs/plan.md, "Reasons"). In order: ``court_ordered`` (at the court-ordered volume, held
    there by the statutory row), ``intention <id>`` (an intention's cap at court orders, or one
    of its floors), ``core_offer_floor``, ``capacity`` (at the cell's upper volume: reach of the
    eligible; a cell at its upper volume that is not worth its cost at the budget's margin —
    objective weight ``w_i`` (``weights``) below shadow price × unit cost — takes the floor
    that holds it there instead), ``shrink_limit``, ``growth_limit`` (the service × setting ×
    region row binds),
    ``budget`` (strictly inside its bounds and held by nothing else: its value per £ equals the
    budget's shadow price) and ``value`` (at zero: worth less per £ than the budget's margin)."""
    n = len(cells)
    vol = np.asarray(volume, float)
    upper = cells["upper"].to_numpy(float)
    ordered = cells["statutory_volume"].to_numpy(float)
    statutory = cells["statutory"].to_numpy(bool)
    tol = 1e-6 * np.maximum(upper, 1.0) + 1e-6
    avoided = cells["avoided_per_unit"].to_numpy(float)
    cost = np.maximum(cells["planned_unit_cost"].to_numpy(float), 1e-9)
    per_k = avoided / cost * 1e3
    binding = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)

    def put(rows: np.ndarray, code: str, text: Sequence[str] | str) -> None:
        free = rows & (binding == "")
        if not free.any():
            return
        binding[free] = code
        reason[free] = text if isinstance(text, str) else np.asarray(text, dtype=object)[free]

    def texts(fmt: str, **arrays: np.ndarray) -> list[str]:
        return [fmt.format(**{k: v[i] for k, v in arrays.items()}) for i in range(n)]

    put(statutory, "court_ordered", texts(
        "sentence delivery: the {v:,.1f} place- or caseload-years the courts' sentences need",
        v=vol))
    in_row: dict[str, np.ndarray] = {}
    for req in requirements:
        rows = _binding_rows(req, vol, duals)
        member = (req.groups >= 0) & rows[np.maximum(req.groups, 0)]
        in_row[req.name] = member
    court = in_row.get("statutory_demand", np.zeros(n, bool))
    caps = [r for r in requirements if r.per_cell and r.sense == "<=" and r.intention]
    for req in caps:
        put(in_row[req.name] & (ordered > 0), f"intention {req.intention}", texts(
            f"intention {req.intention} ({req.label}): capped at the court-ordered volume "
            "{o:,.1f}", o=ordered))
    put(court & (ordered > 0), "court_ordered", texts(
        "court_ordered: held at the {o:,.1f} starts courts ordered (worth less than its cost "
        "at the margin)", o=ordered))
    for req in caps:  # capped at nothing: the intention, whether or not its dual is zero
        at_zero = (req.groups >= 0) & (ordered <= 1e-9) & (vol <= tol)
        put(at_zero, f"intention {req.intention}",
            f"intention {req.intention} ({req.label}): none beyond court orders, none ordered")
    at_upper = (vol >= upper - tol) & (upper > 0)
    inside = (vol > tol) & ~at_upper
    price = 0.0 if shadow_price is None else shadow_price / 1e6
    w = avoided if weights is None else np.asarray(weights, float)
    worth = w - price * cost > 1e-9 * np.maximum(np.abs(w), 1e-9)
    capacity_text = texts(
        "capacity: at its upper volume {u:,.1f} (reach × eligible people, or court orders)",
        u=upper)
    put(at_upper & worth, "capacity", capacity_text)
    floors = [r for r in requirements if r.sense == ">=" and not r.per_cell and r.intention]
    for req in floors:
        code = ("core_offer_floor" if req.name.endswith("core_offer") or "core offer" in req.label
                else f"intention {req.intention}")
        put(in_row[req.name] & (vol > tol), code, f"{code}: intention {req.intention} "
            f"({req.label}) holds this group at its floor")
    put(in_row.get("shrink_limit", np.zeros(n, bool)) & at_upper, "shrink_limit",
        "shrink_limit: its service × setting × region cannot shrink faster (plan.growth_limits)")
    put(at_upper, "capacity", capacity_text)
    put((upper <= tol) & (vol <= tol), "capacity",
        "capacity: upper volume 0 (no eligible people in this segment)")
    for name, code, what in (("shrink_limit", "shrink_limit", "cannot shrink faster"),
                             ("growth_limit", "growth_limit", "cannot grow faster")):
        put(in_row.get(name, np.zeros(n, bool)) & inside, code,
            f"{code}: its service × setting × region {what} "
            "(plan.growth_limits)")
    margin = "" if shadow_price is None else f" (£1M buys {shadow_price:,.1f})"
    put(inside, "budget", texts(
        "budget: {k:.3f} reoffences avoided per £1k, the margin where the budget binds" + margin,
        k=per_k))
    put(np.ones(n, bool), "value", texts(
        "value: {k:.3f} reoffences avoided per £1k, less than the budget's margin" + margin,
        k=per_k))
    return CellReasons([str(b) for b in binding], [str(r) for r in reason])


# --- What each intention costs ----------------------------------------------------------------


@dataclass(frozen=True)
class IntentionCost:
    """The objective given up to keep one intention (optimum without it − optimum with it)."""

    intention: str
    text: str
    cost: float | None
    sentence: str

    def as_dict(self) -> dict[str, object]:
        return {"intention": self.intention, "text": self.text, "objective_given_up": self.cost,
                "explanation": self.sentence}


def explain_cost(intention: Intention, cost: float, unit: str, releases: bool,
                 shrink: float) -> str:
    """A sentence for an intention's cost, and why it can be negative."""
    if abs(cost) < 0.5:
        return (f"costs nothing: the optimum meets intention {intention.id} without being made "
                "to")
    if cost > 0:
        return (f"keeping intention {intention.id} gives up {cost:,.0f} {unit}: its rows push "
                "money to services or people worth less per £ than the ones the optimum "
                "would choose")
    if releases:
        return (f"negative ({cost:,.0f} {unit}): the intention caps services at court orders, "
                "and a capped cell is released from the shrink limit (plan.growth_limits); "
                f"without the intention those cells must keep {1 - shrink:.0%} of their 2011-12 "
                "volume, which costs more than the cap does")
    return (f"negative ({cost:,.0f} {unit}): within the solver's tolerance of zero, or the "
            "intention's rows cut off nothing the optimum wants")


@dataclass(frozen=True)
class Without:
    """The model without some intentions: rows to relax, the shrink floors that then apply,
    and the requirements the re-solved portfolio must meet."""

    relax: tuple[str, ...]
    shrink_rhs: np.ndarray
    requirements: list[Requirement]
    releases: bool


def without(pm: PlanModel, settings: PlanSettings, drop: Sequence[str]) -> Without:
    """What the model is once the intentions ``drop`` (ids) are removed: the cells they
    released from the shrink limit are held by it again."""
    dropped = set(drop)
    kept = [r for i, reqs in pm.built.items() if i not in dropped for r in reqs]
    gone = [r for i, reqs in pm.built.items() if i in dropped for r in reqs]
    _, shrink = growth_requirements(pm.cells, settings, released_cells(pm.cells, kept))
    reqs = [r for r in pm.requirements
            if r.intention not in dropped and r.name != "shrink_limit"] + [shrink]
    names = tuple(r.name for r in gone if r.n_groups)
    releases = any(r.per_cell and r.sense == "<=" for r in gone)
    return Without(names, shrink.rhs, reqs, releases)


def solve_without(pm: PlanModel, resolver: Resolver, settings: PlanSettings,
                  drop: Sequence[str]) -> tuple[np.ndarray | None, Without]:
    """The optimum without the intentions ``drop``, by a warm re-solve; its volumes are
    checked against every requirement that still applies (None if not optimal)."""
    from commissioning.plan.ranking import ranking_check

    w = without(pm, settings, drop)
    lower = {"shrink_limit": w.shrink_rhs} if "shrink_limit" in resolver.rows else {}
    got = resolver.solve_with(relax=w.relax, lower=lower)
    if not got.optimal:
        return None, w
    broken = ranking_check(w.requirements, got.volume)
    if broken:
        from commissioning.plan.solution import VerificationError

        raise VerificationError("re-solve without " + ", ".join(drop) + ": " + "; ".join(broken))
    return got.volume, w


def intention_costs(pm: PlanModel, resolver: Resolver, settings: PlanSettings,
                    intentions: Sequence[Intention], optimum: float,
                    objective: Callable[[np.ndarray], float], unit: str) -> list[IntentionCost]:
    """Each applied intention's cost: optimum without it − optimum with it (warm re-solves)."""
    out = []
    for intention in intentions:
        if not any(r.n_groups for r in pm.built.get(intention.id, [])):
            continue
        volume, w = solve_without(pm, resolver, settings, [intention.id])
        if volume is None:
            out.append(IntentionCost(intention.id, intention.text, None,
                                     "not priced: the plan without it did not solve"))
            continue
        cost = objective(volume) - optimum
        out.append(IntentionCost(intention.id, intention.text, cost,
                                 explain_cost(intention, cost, unit, w.releases, settings.shrink)))
    return out
