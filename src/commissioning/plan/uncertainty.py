"""Uncertainty through the decision: the services' effects drawn from their uncertainty.

Two analyses, both on the same seeded draws (``plan.uncertainty``):

1. **Evaluate the chosen portfolios.** The plan, the 2011-12 baseline and the fair ranking are
   each decided once on the central effects, as a commissioner would; under every draw of the
   effects each is valued again. Reported: the probability that the plan avoids more
   reoffences (or, for the net-benefit objective, gives more net benefit) than the baseline and
   than the fair ranking, with the 5th, 50th and 95th percentiles of each.
2. **Re-solve.** For the first ``resolves`` draws the optimum is found again (a warm re-solve
   of the same LP with the drawn objective, :class:`commissioning.plan.resolve.Resolver`) and
   checked against every row. A cell's allocation *flips* in a draw when its direction against
   2011-12 (more, less, the same) differs from the plan's; ``flip_share`` is the share of
   re-solves in which it does (a column of ``portfolio.csv``), and services × settings whose
   net direction flips in at least ``flag_share`` of the re-solves are flagged. The mean gain
   of re-optimising on the drawn effects over keeping the plan is the expected value of
   perfect information about the effects (in the objective's units).

Effects are drawn independently per service (log odds ratio ~ Normal(estimate, SE²), by
:func:`commissioning.plan.inputs.draw_effects`); per-cell values for one draw come from the one
outcome model (:class:`commissioning.plan.inputs.CellValuer`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.plan.inputs import PlanSettings
from commissioning.plan.model import SPEND_TIE_BREAK, PlanModel
from commissioning.plan.resolve import Resolver
from commissioning.policy.parameters import Policy

FloatArray = npt.NDArray[np.float64]
#: A draw's per-cell (reoffences avoided per start, £ of crime avoided per start).
Values = Callable[[int], tuple[FloatArray, FloatArray]]


@dataclass(frozen=True)
class UncertaintySettings:
    """``plan.uncertainty``: how many draws are evaluated and re-solved, the seed, and the share
    of re-solves from which a service's direction counts as flipping."""

    draws: int
    resolves: int
    seed: int
    flag_share: float

    def __post_init__(self) -> None:
        if self.draws < 1 or not 0 <= self.resolves <= self.draws or not 0 < self.flag_share <= 1:
            raise ValueError("plan.uncertainty: need draws ≥ 1, 0 ≤ resolves ≤ draws and "
                             "0 < flag_share ≤ 1")

    @classmethod
    def from_policy(cls, policy: Policy) -> UncertaintySettings:
        return policy.load(cls, "plan.uncertainty")


def _direction(volume: npt.ArrayLike, base: npt.ArrayLike) -> npt.NDArray[np.int8]:
    volume, base = np.asarray(volume, float), np.asarray(base, float)
    tol = 1e-4 * np.maximum(base, 1.0)
    return np.where(volume > base + tol, 1, np.where(volume < base - tol, -1, 0)).astype(np.int8)


def _dot(a: FloatArray, b: FloatArray) -> float:
    return float(np.multiply(a, b).sum())


def _pct(values: FloatArray) -> dict[str, float]:
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95), "mean": float(values.mean())}


def evaluate_draws(
    pm: PlanModel, resolver: Resolver | None, values: Values, n_draws: int, n_resolves: int,
    planned: FloatArray, ranking: FloatArray, objective: str, flag_share: float,
) -> dict[str, Any]:
    """Both analyses of the module on ``n_draws`` draws (``values(k)`` gives draw k's per-cell
    values); ``n_resolves`` of them are re-solved with ``resolver``."""
    from commissioning.plan.ranking import ranking_check

    cells = pm.cells
    started = time.perf_counter()
    base = cells["baseline_volume"].to_numpy(float)
    cost = cells["planned_unit_cost"].to_numpy(float)
    base_cost = cells["unit_cost"].to_numpy(float)
    plan_v, base_v, rank_v = (np.zeros(n_draws) for _ in range(3))
    plan_cost, rank_cost = _dot(cost, planned), _dot(cost, ranking)
    old_cost = _dot(base_cost, base)
    central = _direction(planned, base)
    flips = np.zeros(len(cells))
    key = (cells["service_id"].astype(str) + " (" + cells["setting"].astype(str) + ")").to_numpy()
    groups, names = pd.factorize(key)
    base_spend = np.bincount(groups, weights=base * base_cost, minlength=len(names))
    plan_dir = _direction(np.bincount(groups, weights=planned * cost, minlength=len(names)),
                          base_spend)
    service_flips = np.zeros(len(names))
    gains: list[float] = []
    resolved = 0
    resolve_seconds = 0.0
    for k in range(n_draws):
        avoided, value = values(k)
        # element-wise sums, not BLAS dot products: on a busy machine a threaded BLAS call
        # per draw spins for milliseconds, which a sum of 20,000 products never does
        if objective == "reoffences":
            plan_v[k], rank_v[k] = _dot(avoided, planned), _dot(avoided, ranking)
            base_v[k] = _dot(avoided, base)
        else:
            plan_v[k] = _dot(value, planned) - plan_cost
            rank_v[k] = _dot(value, ranking) - rank_cost
            base_v[k] = _dot(value, base) - old_cost
        if resolver is None or k >= n_resolves:
            continue
        t = time.perf_counter()
        weights = (avoided - SPEND_TIE_BREAK * cost if objective == "reoffences"
                   else value - cost)
        got = resolver.solve_with(weights=weights)
        resolve_seconds += time.perf_counter() - t
        if not got.optimal:
            continue
        broken = ranking_check(pm.requirements, got.volume)
        if broken:
            raise AssertionError("a re-solve under drawn effects breaks " + "; ".join(broken))
        resolved += 1
        flips += _direction(got.volume, base) != central
        spend = np.bincount(groups, weights=got.volume * cost, minlength=len(names))
        service_flips += _direction(spend, base_spend) != plan_dir
        gains.append(_dot(weights, got.volume) - _dot(weights, planned))
    share = flips / max(resolved, 1)
    service_share = service_flips / max(resolved, 1)
    flagged = [
        {"service": str(names[g]), "flip_share": float(service_share[g]),
         "plan_direction": {1: "invest", -1: "disinvest", 0: "unchanged"}[int(plan_dir[g])]}
        for g in np.argsort(-service_share) if service_share[g] >= flag_share
    ]
    return {
        "method": "effects drawn from their uncertainty; the plan, baseline and fair ranking "
                  "(each decided on the central effects) evaluated under every draw; the first "
                  f"{n_resolves} draws re-solved (warm LP re-solves)",
        "draws": n_draws,
        "resolves": resolved,
        "p_beats_baseline": float((plan_v > base_v).mean()),
        "p_beats_ranking": float((plan_v > rank_v).mean()),
        "plan": _pct(plan_v),
        "baseline": _pct(base_v),
        "ranking": _pct(rank_v),
        "plan_minus_baseline": _pct(plan_v - base_v),
        "plan_minus_ranking": _pct(plan_v - rank_v),
        "value_of_information": float(np.mean(gains)) if gains else None,
        "cells_flipping": int((share > 0).sum()),
        "cells_flipping_often": int((share >= flag_share).sum()),
        "flag_share": flag_share,
        "flagged_services": flagged,
        "seconds": time.perf_counter() - started,
        "resolve_seconds": resolve_seconds,
        "_flip_share": share,
    }


def run_uncertainty(pm: PlanModel, resolver: Resolver, settings: PlanSettings,
                    specs: Mapping[str, Any], u: UncertaintySettings, planned: FloatArray,
                    ranking: FloatArray, objective: str) -> dict[str, Any]:
    """Draw the services' effects (seeded) and run :func:`evaluate_draws`."""
    from commissioning.plan.inputs import CellValuer, draw_effects

    rng = np.random.default_rng(u.seed)
    draws = draw_effects(specs, rng, u.draws)
    valuer = CellValuer(pm.cells)

    columns = [str(c) for c in draws.columns]
    matrix = draws.to_numpy(float)

    def values(k: int) -> tuple[FloatArray, FloatArray]:
        got = valuer(dict(zip(columns, matrix[k].tolist(), strict=True)))
        return (got["avoided_per_unit"].to_numpy(float), got["value_per_unit"].to_numpy(float))

    out = evaluate_draws(pm, resolver, values, u.draws, u.resolves, planned, ranking,
                         objective, u.flag_share)
    out["seed"] = u.seed
    out["parameter"] = "plan.uncertainty"
    return out
