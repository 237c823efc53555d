"""Today's method, for comparison: fund services in order of benefit–cost ratio until the money
runs out.

Statutory demand is funded first (courts must be served). Then each rehabilitation service ×
setting is ranked by its national benefit–cost ratio (social value of the reoffences it avoids
at its 2011-12 targeting, per £) and funded at its 2011-12 volumes — same people, same regions —
in that order; the last one funded takes what money is left, pro rata. No intention is applied:
the plan reports which ones this method breaks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.plan.inputs import PlanSettings

FloatArray = npt.NDArray[np.float64]


def rank_services(cells: pd.DataFrame, settings: PlanSettings) -> pd.DataFrame:
    """Benefit–cost ratio per rehabilitation service × setting at baseline targeting."""
    rehab = cells[cells["rehabilitation"] & (cells["baseline_volume"] > 0)]
    value = rehab["value_per_unit"] * rehab["baseline_volume"]
    cost = rehab["planned_unit_cost"] * rehab["baseline_volume"]
    table = pd.DataFrame({"service_id": rehab["service_id"], "setting": rehab["setting"],
                          "benefit": value, "cost": cost})
    ranked = table.groupby(["service_id", "setting"], as_index=False)[["benefit", "cost"]].sum()
    ranked["benefit_cost_ratio"] = ranked["benefit"] / ranked["cost"].where(ranked["cost"] > 0)
    return ranked.sort_values(["benefit_cost_ratio", "service_id", "setting"],
                              ascending=[False, True, True], kind="stable").reset_index(drop=True)


def ranking_portfolio(cells: pd.DataFrame, settings: PlanSettings, budget: float) -> FloatArray:
    """Volumes per cell under the ranking method."""
    volume = np.zeros(len(cells))
    statutory = cells["statutory"].to_numpy(bool)
    demand = cells["statutory_volume"].to_numpy(float)
    cost = cells["planned_unit_cost"].to_numpy(float)
    volume[statutory] = demand[statutory]
    # Court-ordered starts of requirement services are statutory too.
    volume[~statutory] = demand[~statutory]
    money = budget - float((volume * cost).sum())
    base = cells["baseline_volume"].to_numpy(float)
    for row in rank_services(cells, settings).itertuples():
        if money <= 0:
            break
        mask = ((cells["service_id"] == row.service_id) & (cells["setting"] == row.setting)
                ).to_numpy() & ~statutory
        extra = np.maximum(base[mask] - volume[mask], 0.0)
        need = float((extra * cost[mask]).sum())
        share = 1.0 if need <= money else money / need
        volume[mask] = volume[mask] + share * extra
        money -= share * need
    return volume
