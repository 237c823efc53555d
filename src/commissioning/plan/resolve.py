"""Warm re-solves of a solved plan: the same HiGHS model with rows relaxed, floors moved or the
objective changed, each solved from the optimal basis the last solve left.

Building the national model takes seconds (linopy), solving it from that basis a few hundredths
of a second (dual or primal simplex from a basis that is optimal for a nearby problem). The
price of each intention, the optimum without intentions and the draws of the uncertainty
analysis are all such re-solves (:mod:`commissioning.plan.explain`,
:mod:`commissioning.plan.uncertainty`). Every change is undone by :meth:`Resolver.restore`, and
every portfolio a re-solve returns can be checked with :func:`commissioning.plan.solution.verify`
against the requirements it was solved under.

Only LP models (no contracts, not integral): a re-solve of a MIP is not warm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from commissioning.plan.model import PlanModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


class ResolveError(RuntimeError):
    """A re-solve that cannot be made (no solved LP, unknown constraint)."""


@dataclass
class Resolved:
    """One re-solve: HiGHS's model status, the objective HiGHS reports and the volumes."""

    status: str
    objective: float
    volume: FloatArray

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"


@dataclass
class Resolver:
    """The solved HiGHS model of ``pm`` with the positions of its volume columns and rows."""

    pm: PlanModel
    highs: Any
    volume_cols: IntArray
    rows: dict[str, IntArray]
    base_cost: FloatArray
    base_lower: FloatArray
    base_upper: FloatArray
    changed_rows: set[int] = field(default_factory=set)
    cost_changed: bool = False

    @classmethod
    def of(cls, pm: PlanModel) -> Resolver:
        """The resolver of a model already solved by :func:`commissioning.plan.solution.solve`."""
        if pm.contracts or pm.integral or pm.elastic:
            raise ResolveError("warm re-solves are for the LP plan (no contracts, not elastic)")
        highs = getattr(pm.model, "solver_model", None)
        if highs is None:
            raise ResolveError("the model has not been solved with HiGHS (io_api='direct')")
        model = pm.model
        labels = np.asarray(model.variables["volume"].labels.values, np.int64)
        vpos = model.variables.label_index.label_to_pos
        cpos = model.constraints.label_index.label_to_pos
        rows = {}
        for name in model.constraints:
            lab = np.asarray(model.constraints[name].labels.values, np.int64).ravel()
            lab = lab[lab >= 0]
            rows[str(name)] = np.asarray(cpos[lab], np.int32)
        lp = highs.getLp()
        return cls(pm, highs, np.asarray(vpos[labels], np.int32), rows,
                   np.asarray(lp.col_cost_, float).copy(), np.asarray(lp.row_lower_, float).copy(),
                   np.asarray(lp.row_upper_, float).copy())

    def _rows(self, name: str) -> IntArray:
        if name not in self.rows:
            raise ResolveError(f"the model has no constraint {name!r} (has: "
                               f"{', '.join(sorted(self.rows))})")
        return self.rows[name]

    def relax(self, names: Iterable[str]) -> None:
        """Remove the rows of the named constraints (their bounds become ±∞)."""
        for name in names:
            idx = self._rows(name)
            if len(idx) == 0:
                continue
            self.highs.changeRowsBounds(len(idx), idx, np.full(len(idx), -np.inf),
                                        np.full(len(idx), np.inf))
            self.changed_rows.update(int(i) for i in idx)

    def set_lower(self, name: str, rhs: FloatArray) -> None:
        """New right-hand sides of a ``≥`` constraint in volume units (row scaling 1)."""
        idx = self._rows(name)
        rhs = np.asarray(rhs, float)
        if len(idx) != len(rhs):
            raise ResolveError(f"{name}: {len(rhs)} right-hand sides for {len(idx)} rows")
        self.highs.changeRowsBounds(len(idx), idx, rhs, self.base_upper[idx])
        self.changed_rows.update(int(i) for i in idx)

    def set_objective(self, weights: FloatArray) -> None:
        """New objective coefficients of the volume columns (the model's sense is kept)."""
        w = np.asarray(weights, float)
        self.highs.changeColsCost(len(self.volume_cols), self.volume_cols, w)
        self.cost_changed = True

    def restore(self) -> None:
        """Undo every change since the model was solved."""
        if self.changed_rows:
            idx = np.array(sorted(self.changed_rows), np.int32)
            self.highs.changeRowsBounds(len(idx), idx, self.base_lower[idx], self.base_upper[idx])
            self.changed_rows.clear()
        if self.cost_changed:
            n = len(self.base_cost)
            self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), self.base_cost)
            self.cost_changed = False

    def run(self) -> Resolved:
        """Solve from the current basis and read the volumes back."""
        self.highs.run()
        status = self.highs.modelStatusToString(self.highs.getModelStatus())
        if status != "Optimal":
            return Resolved(status, float("nan"), np.full(len(self.volume_cols), np.nan))
        x = np.asarray(self.highs.getSolution().col_value, float)
        volume = np.clip(x[self.volume_cols], 0.0, None)
        return Resolved(status, float(self.highs.getInfo().objective_function_value), volume)

    def solve_with(self, relax: Iterable[str] = (),
                   lower: Mapping[str, FloatArray] | None = None,
                   weights: FloatArray | None = None) -> Resolved:
        """Relax, move floors and/or change the objective, solve, then restore the model."""
        try:
            self.relax(relax)
            for name, rhs in (lower or {}).items():
                self.set_lower(name, rhs)
            if weights is not None:
                self.set_objective(weights)
            return self.run()
        finally:
            self.restore()
