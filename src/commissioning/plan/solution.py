"""Solve a built plan model with HiGHS, read the solution back, and verify it from its numbers.

``solve`` → ``read_solution`` → ``verify``: the last three steps of ARCHITECTURE.md's
"Optimisation models" (the model itself is built in :mod:`commissioning.plan.model`). A model
with whole contracts first gets an incumbent from :mod:`commissioning.plan.start`; HiGHS proves
the gap. A time-limited solve that holds a feasible portfolio is read back with the gap HiGHS
proved (condition ``time_limit``), never passed off as optimal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.plan.model import PlanModel
from commissioning.plan.start import Start, rounding_start

#: What :func:`read_solution` accepts as a usable portfolio: proven optimal within the gap, or
#: stopped by the time limit holding a feasible solution (its proven gap is reported).
USABLE = ("optimal", "time_limit")
FloatArray = npt.NDArray[np.float64]


class VerificationError(AssertionError):
    """A solution that breaks a constraint when recomputed from its numbers."""


@dataclass(frozen=True)
class Solution:
    """What the solver returned, read back into numbers."""

    status: str
    condition: str
    volume: FloatArray
    contracts_open: FloatArray
    objective: float
    mip_gap: float | None
    duals: dict[str, FloatArray]
    slack: dict[str, FloatArray]

    start: Start | None = None

    @property
    def optimal(self) -> bool:
        """Proven optimal within the requested MIP gap."""
        return self.condition == "optimal"

    @property
    def feasible(self) -> bool:
        """A portfolio that satisfies every constraint (optimal, or the best found in time)."""
        return not bool(np.isnan(self.volume).any())


#: Starts found by :func:`solve`, by model id, for :func:`read_solution` to report.
STARTS: dict[int, Start] = {}


def solve(pm: PlanModel, mip_gap: float = 1e-3, time_limit: float | None = None,
          threads: int | None = None, start: bool = True,
          presolve: str | None = None) -> tuple[str, str]:
    """Solve with HiGHS; returns linopy's (status, termination condition). With contracts and
    ``start``, HiGHS first gets an incumbent from :func:`commissioning.plan.start.rounding_start`
    (it still proves the gap itself). ``presolve`` ("on", "off", "choose") defaults to "off"
    when that incumbent is in hand — the strengthened root LP then usually proves the gap at
    once, and HiGHS's MIP presolve costs more than it saves (benchmarks/RESULTS.md) — and to
    HiGHS's own choice otherwise."""
    options: dict[str, Any] = {"mip_rel_gap": mip_gap, "output_flag": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    if threads is not None:
        options["threads"] = int(threads)
    logging.getLogger("linopy").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="plan-start-") as tmp, _quiet_stdout():
        warm: Path | None = None
        STARTS.pop(id(pm), None)
        if start and pm.contracts and not pm.elastic:
            found = rounding_start(pm, Path(tmp) / "start.sol", threads)
            if found is not None:
                STARTS[id(pm)] = found
                warm = Path(tmp) / "start.sol"
        chosen = presolve if presolve is not None else ("off" if warm is not None else None)
        if chosen is not None:
            options["presolve"] = chosen
        status, condition = pm.model.solve(
            solver_name="highs", io_api="direct", progress=False, warmstart_fn=warm,
            set_names=warm is not None, **options)
    return str(status), str(condition)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the solver's own banner, which HiGHS writes to file descriptor 1 before any
    option can turn it off (it would interleave with the CLI's output)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (e.g. some test runners): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def read_solution(pm: PlanModel, status: tuple[str, str]) -> Solution:
    """Volumes, open contracts, objective, MIP gap and duals (LP only) from the solved model.
    A time-limited solve that holds a feasible portfolio is read too (condition
    ``time_limit``, with the gap HiGHS proved); anything else has no volumes."""
    state, condition = status
    n = len(pm.cells)
    start = STARTS.pop(id(pm), None)
    empty = Solution(state, condition, np.full(n, np.nan), np.zeros(len(pm.contracts)),
                     float("nan"), None, {}, {}, start)
    if condition not in USABLE or (condition != "optimal" and not _has_feasible_solution(pm)):
        return empty
    solved = np.asarray(pm.model.variables["volume"].solution.values, float)
    if bool(np.isnan(solved).any()):
        return empty
    volume = np.clip(solved, 0.0, None)
    opened = (np.round(np.asarray(pm.model.variables["open"].solution.values, float))
              if pm.contracts else np.zeros(0))
    duals: dict[str, FloatArray] = {}
    if not pm.contracts and not pm.integral:
        for name in pm.model.constraints:
            dual = pm.model.constraints[name].dual
            duals[str(name)] = np.atleast_1d(np.asarray(dual.values, float))
    slack = {k: np.atleast_1d(np.asarray(v.solution.values, float)) for k, v in pm.slacks.items()}
    gap = None
    if pm.contracts:
        gap = _mip_gap(pm)
    return Solution(state, condition, volume, opened, float(pm.model.objective.value or 0.0),
                    gap, duals, slack, start)


def _has_feasible_solution(pm: PlanModel) -> bool:
    """Whether HiGHS holds a feasible primal solution (2 = feasible in its status codes)."""
    solver = getattr(pm.model, "solver_model", None)
    try:
        return int(solver.getInfo().primal_solution_status) == 2  # type: ignore[union-attr]
    except Exception:
        return False


def _mip_gap(pm: PlanModel) -> float | None:
    solver = getattr(pm.model, "solver_model", None)
    try:
        info = solver.getInfo()  # type: ignore[union-attr]
        return float(info.mip_gap)
    except Exception:
        return None


def verify(pm: PlanModel, solution: Solution, volume: npt.ArrayLike | None = None) -> None:
    """Recompute every constraint from the numbers; raise :class:`VerificationError` naming each
    row that does not hold (bounds, budget with contracts, every requirement, contracts)."""
    vol = np.asarray(solution.volume if volume is None else volume, float)
    if np.isnan(vol).any():
        raise VerificationError(f"there is no solution to verify (solver: {solution.condition})")
    problems: list[str] = []
    upper = pm.cells["upper"].to_numpy(float)
    tol = 1e-6 * np.maximum(upper, 1.0)
    if (vol < -1e-6).any():
        problems.append(f"{int((vol < -1e-6).sum())} negative volumes")
    over = np.flatnonzero(vol > upper + tol)
    if len(over):
        problems.append(f"{len(over)} volumes above their upper bound (e.g. cell {over[0]}: "
                        f"{vol[over[0]]:,.2f} > {upper[over[0]]:,.2f})")
    opened = solution.contracts_open
    for req in pm.requirements:
        lhs = req.lhs(vol)
        if req.name == "budget" and pm.contracts:
            lhs = lhs + float(np.dot([c.fixed_cost for c in pm.contracts], opened))
        rhs = req.rhs
        gap = rhs - lhs if req.sense == ">=" else lhs - rhs
        bad = np.flatnonzero(gap > 1e-4 + 1e-6 * np.maximum(np.abs(rhs), 1.0))
        for g in bad[:5]:
            problems.append(f"{req.name} ({req.label}) row {req.group_labels[g]}: "
                            f"{lhs[g]:,.2f} {req.sense} {rhs[g]:,.2f} does not hold")
        if len(bad) > 5:
            problems.append(f"{req.name}: {len(bad) - 5} more rows do not hold")
    if pm.contracts:
        cap: dict[str, float] = {}
        for contract, flag in zip(pm.contracts, opened, strict=True):
            market = f"{contract.service_id}|{contract.setting}|{contract.region}"
            cap[market] = cap.get(market, 0.0) + contract.capacity * float(flag)
        keys = pm.cells["service_id"] + "|" + pm.cells["setting"] + "|" + pm.cells["region"]
        used = pd.Series(vol).groupby(keys.to_numpy()).sum()
        for market, limit in cap.items():
            if float(used.get(market, 0.0)) > limit + 1e-4 + 1e-6 * limit:
                problems.append(f"contract capacity {market}: {float(used.get(market, 0.0)):,.2f}"
                                f" > {limit:,.2f}")
    if problems:
        raise VerificationError("the solution does not satisfy its constraints:\n- " +
                                "\n- ".join(problems))
