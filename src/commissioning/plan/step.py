"""The ``plan`` round step (order 400): baseline, optimum, fair ranking, intention prices,
savings bridge and the draws of the effects.

Reads the scored assessments and the ``interventions`` table of the workspace, writes
``portfolio.csv``, ``summary.json``, ``changes.csv`` and ``baseline_by_provider.csv`` under
``exports/plan/`` and returns a :class:`PlanStepResult` for the report section (registered on
import of this module).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from commissioning.plan.baseline import BaselineError
from commissioning.plan.inputs import demand_from_forecasts, demand_growth_from_forecasts
from commissioning.plan.run import PlanResult, plan_workspace, write_plan
from commissioning.steps import StepContext

STEP_ID = "plan"


@dataclass(frozen=True)
class PlanStepResult:
    """The plan for the report (None with the reason when the workspace cannot be planned)."""

    plan: PlanResult | None
    skipped: str | None
    seconds: float


def demand_growth(ctx: StepContext) -> dict[str, float]:
    """Statutory demand growth per setting from the demand step's forecasts, when it has run
    in this round and ``plan.statutory_demand_growth`` says ``from_demand_step`` (else empty:
    the parameter's figures stand)."""
    if not demand_from_forecasts(ctx.policy):
        return {}
    demand = ctx.results.get("demand")
    community = getattr(demand, "community", None)
    prison = getattr(demand, "prison", None)
    if community is None and prison is None:
        return {}
    frames = [f for f in (getattr(community, "history", None),
                          getattr(community, "forecast", None)) if f is not None]
    return demand_growth_from_forecasts(
        pd.concat(frames, ignore_index=True) if frames else None,
        getattr(prison, "projection", None))


def run(ctx: StepContext) -> PlanStepResult:
    """Plan the workspace's portfolio under the parameters in force (statutory demand growing
    as the demand step projects, when it has run)."""
    started = time.perf_counter()
    growth = demand_growth(ctx)
    if growth:
        ctx.log("plan: statutory demand growth from the demand step: " + ", ".join(
            f"{k} {v:+.1%}" for k, v in sorted(growth.items())))
    try:
        result, baseline = plan_workspace(ctx.con, ctx.workspace, ctx.policy,
                                          compare=False, demand_growth=growth)
    except BaselineError as exc:
        ctx.log(f"plan: skipped ({exc})")
        return PlanStepResult(None, str(exc), time.perf_counter() - started)
    write_plan(result, ctx.output_dir(STEP_ID), baseline)
    seconds = time.perf_counter() - started
    drawn = result.uncertainty
    ctx.log(f"plan: {result.status}, {len(result.portfolio):,} cells; fair ranking, optimum "
            f"without intentions, {len(result.intention_costs)} intention prices"
            + (f", {drawn['draws']:,} draws ({drawn['resolves']} re-solved, "
               f"{drawn['seconds']:.1f} s)" if drawn else "") + f" in {seconds:.1f} s")
    return PlanStepResult(result, None, seconds)
