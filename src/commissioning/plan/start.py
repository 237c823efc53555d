"""A first incumbent for the contract model: LP rounding, then a short local search.

HiGHS proves the gap; this module only hands it a good feasible portfolio to start from, so
branch-and-bound can stop as soon as its bound is within the requested gap of a solution it
already holds. The LP relaxation's bound is within about 0.1% of the optimum on the national
instance, but HiGHS's own heuristics take a minute to find a solution that close
(benchmarks/RESULTS.md). Steps (a relax-and-fix heuristic):

1. solve the LP relaxation (``open_c ∈ [0, 1]``);
2. in each market (service × setting × region) keep the cheapest set of contracts whose
   capacity covers the relaxation's volume there: ``min Σ_{c∈S} f_c`` s.t.
   ``Σ_{c∈S} cap_c ≥ Σ_c cap_c · open*_c``;
3. fix ``open`` to that choice and solve the LP for the volumes;
4. flip one contract at a time, most promising first by its reduced cost, keeping a flip when
   the fixed LP is feasible and better, until a time budget is spent.

The result goes to HiGHS as a MIP start (a solution file written and read by HiGHS itself).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from commissioning.plan.model import PlanModel

FloatArray = npt.NDArray[np.float64]
#: Enumerate every subset of a market's contracts up to this many; beyond it, add contracts
#: greedily by fixed cost per unit of capacity.
MAX_ENUMERATED = 10


@dataclass(frozen=True)
class Start:
    """A feasible incumbent: which contracts are open, its objective and how it was found."""

    contracts_open: FloatArray
    objective: float
    relaxation: float
    rounded: float
    flips: int
    seconds: float


def cover(capacity: FloatArray, fixed: FloatArray, need: float) -> list[int]:
    """Indices of the cheapest set of contracts with ``Σ capacity ≥ need`` (all of them if
    none covers it), ties to the larger capacity."""
    n = len(capacity)
    if need <= 1e-9:
        return []
    if capacity.sum() < need - 1e-6:
        return list(range(n))
    if n <= MAX_ENUMERATED:
        best: tuple[float, float, tuple[int, ...]] | None = None
        for size in range(1, n + 1):
            for subset in itertools.combinations(range(n), size):
                cap = float(capacity[list(subset)].sum())
                if cap < need - 1e-6:
                    continue
                key = (float(fixed[list(subset)].sum()), -cap, subset)
                if best is None or key[:2] < best[:2]:
                    best = key
        assert best is not None
        return list(best[2])
    order = np.argsort(fixed / np.maximum(capacity, 1e-12), kind="stable")
    chosen: list[int] = []
    total = 0.0
    for c in order:
        chosen.append(int(c))
        total += float(capacity[c])
        if total >= need - 1e-6:
            break
    return chosen


def _columns(pm: PlanModel, name: str) -> npt.NDArray[np.int32]:
    """HiGHS column of each label of variable ``name`` (linopy exports columns in label order
    of the active labels)."""
    vlabels = np.asarray(pm.model.matrices.vlabels, np.int64)
    position = np.full(int(vlabels.max()) + 1, -1, np.int64)
    position[vlabels] = np.arange(len(vlabels))
    labels = np.asarray(pm.model.variables[name].labels.values, np.int64).ravel()
    return position[labels].astype(np.int32)


def rounding_start(pm: PlanModel, path: Path, threads: int | None = None,
                   search_seconds: float = 1.0) -> Start | None:
    """Find an incumbent for ``pm`` (a model with contracts) and write it to ``path`` as a
    HiGHS solution file; None when the relaxation or the rounded model is infeasible (HiGHS is
    then left to search on its own)."""
    import highspy

    started = time.perf_counter()
    h = pm.model.to_highspy(set_names=True)
    h.setOptionValue("output_flag", False)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    optimal = highspy.HighsModelStatus.kOptimal
    cols = _columns(pm, "open")
    n = len(cols)
    h.changeColsIntegrality(n, cols, np.zeros(n, dtype=np.uint8))
    h.run()
    if h.getModelStatus() != optimal:
        return None
    relaxation = float(h.getInfo().objective_function_value)
    y = np.asarray(h.getSolution().col_value, float)[cols]
    capacity = np.array([c.capacity for c in pm.contracts], float)
    fixed = np.array([c.fixed_cost for c in pm.contracts], float)
    market = np.array([f"{c.service_id}|{c.setting}|{c.region}" for c in pm.contracts])
    choice = np.zeros(n)
    for key in np.unique(market):
        idx = np.flatnonzero(market == key)
        need = float(np.dot(capacity[idx], y[idx]))
        choice[idx[cover(capacity[idx], fixed[idx], need)]] = 1.0

    sense = 1.0 if pm.model.objective.sense == "max" else -1.0

    def evaluate(trial: FloatArray) -> float:
        """The objective (as a maximum) with ``open`` fixed to ``trial``; −∞ if infeasible."""
        h.changeColsBounds(n, cols, trial, trial)
        h.run()
        if h.getModelStatus() != optimal:
            return -np.inf
        return sense * float(h.getInfo().objective_function_value)

    best = evaluate(choice)
    if not np.isfinite(best):
        return None
    rounded = best
    flips = 0
    deadline = time.perf_counter() + search_seconds
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        # reduced cost of each fixed contract: the objective's rate of change as open_c rises
        reduced = sense * np.asarray(h.getSolution().col_dual, float)[cols]
        gain = np.where(choice > 0.5, -reduced, reduced)
        for c in np.argsort(-gain):
            if gain[c] <= 1e-9 or time.perf_counter() >= deadline:
                break
            trial = choice.copy()
            trial[c] = 1.0 - trial[c]
            value = evaluate(trial)
            if value > best + 1e-9 * max(1.0, abs(best)):
                best, choice, improved = value, trial, True
                flips += 1
                break
    if not np.isfinite(evaluate(choice)):  # leaves the incumbent itself in ``h``
        return None
    h.writeSolution(str(path), 0)
    return Start(choice, sense * best, relaxation, sense * rounded, flips,
                 time.perf_counter() - started)
