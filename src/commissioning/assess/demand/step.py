"""The ``demand`` round step (order 300): forecasts, prison scenarios, capacity and services.

Reads the workspace (the ``community_starts`` table, whose import manifest says whether it is
synthetic — without one the synthetic history is used and called so; the establishments table
when imported; the foundation's national profiles, from the round's results), writes CSV files under
``exports/demand/`` (outputs only, never an input) and returns a
:class:`DemandResult` for the report section (:mod:`commissioning.assess.demand.capability`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from commissioning.assess.demand import pipeline
from commissioning.assess.demand.community import CommunityForecast
from commissioning.assess.demand.scenarios import built_in_scenarios
from commissioning.assess.demand.services import (
    PlanningFlows,
    planning_flows,
    service_demand,
    service_totals,
)
from commissioning.io.exports import write_tables
from commissioning.steps import StepContext
from commissioning.synth.demand_history import community_history

STEP_ID = "demand"
COMMUNITY_TABLE = "community_starts"


@dataclass(frozen=True)
class DemandResult:
    """What the demand step computed, for the report."""

    community: CommunityForecast
    prison: pipeline.PrisonResult
    capacity: pipeline.CapacityResult
    flows: PlanningFlows | None
    service_totals: pd.DataFrame
    history_synthetic: bool
    seconds: float
    shortfall_probability: float
    community_source: str = ""

    @property
    def headline(self) -> dict[str, object]:
        """Headline figures (for the bulletin): the backtest, projection and capacity."""
        out: dict[str, object] = dict(self.prison.headline())
        flags = self.capacity.flags
        base = flags[flags["scenario"] == "baseline"] if len(flags) else flags
        out["shortfall_probability_threshold"] = self.shortfall_probability
        out["baseline_functions_flagged_over"] = int((base["months_over"] > 0).sum()) if len(
            base) else 0
        out["community_history_synthetic"] = self.history_synthetic
        return out


def _establishments(ctx: StepContext) -> pd.DataFrame | None:
    if not ctx.workspace.has("establishments"):
        return None
    return pd.read_parquet(ctx.workspace.input_path("establishments"))


def community_input(ctx: StepContext) -> tuple[pd.DataFrame, bool, str]:
    """The workspace's ``community_starts`` table, whether it is synthetic (from its import
    manifest) and where it came from; without one, the synthetic history, said so."""
    ws = ctx.workspace
    if ws.has(COMMUNITY_TABLE):
        manifest = ws.manifest(COMMUNITY_TABLE)
        frame = pd.read_parquet(ws.input_path(COMMUNITY_TABLE))
        synthetic = manifest.get("synthetic") is True
        source = (f"from {manifest.get('source_file', '?')} imported "
                  f"{manifest.get('imported_at', '?')}"
                  + (" (synthetic: written by the generator)" if synthetic else ""))
        return frame, synthetic, source
    frame = community_history(ctx.policy, ctx.seed)
    return frame, True, ("not imported: the synthetic history of demand.community_history "
                         "(import your own with `commission import community_starts FILE`)")


def run(ctx: StepContext) -> DemandResult:
    """Run the demand assessment on the workspace."""
    started = time.perf_counter()
    out = ctx.output_dir(STEP_ID)
    policy = ctx.policy
    history, synthetic, provenance = community_input(ctx)
    ctx.log(f"demand: community starts {provenance}")
    community = pipeline.community(history, policy)
    pipeline.write_community(community, out)
    runs = int(policy.value("demand.prison_projection")["runs"])
    prison = pipeline.prison(policy, built_in_scenarios(), runs, ctx.seed)
    prison.write(out)
    capacity = pipeline.capacity(policy, prison, _establishments(ctx))
    capacity.write(out)
    flows, totals = None, pd.DataFrame()
    try:
        from commissioning.round import foundation

        profiles = foundation(ctx).profiles
        flows = planning_flows(community.forecast, prison.adjusted[0].simulation)
        demand = service_demand(profiles.risk, profiles.need, flows, policy)
        totals = service_totals(demand)
        write_tables({"service_demand.csv": demand, "service_demand_totals.csv": totals}, out)
    except Exception as exc:  # the rest of the demand report still stands
        ctx.log(f"demand: service demand skipped ({exc})")
    seconds = time.perf_counter() - started
    ctx.log(f"demand: forecasts, {len(prison.runs)} prison projections and capacity "
            f"in {seconds:.1f} s")
    chosen = float(policy.value("demand.capacity_flags")["shortfall_probability"])
    return DemandResult(community, prison, capacity, flows, totals, synthetic, seconds, chosen,
                        provenance)
