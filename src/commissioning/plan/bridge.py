"""The savings bridge: where each £ of the savings target comes from.

The target (``plan.savings_target``) is met by savings outside the portfolio
(``plan.savings_outside_portfolio``) and by the portfolio's spend falling from its 2011-12
level. The portfolio's fall is split exactly, cell by cell, into

- **price of sentence delivery**: the assumed negotiated reduction in the unit price of prison
  places and offender management (``plan.sentence_delivery_efficiency``) on the volumes
  planned, ``Σ_stat planned_volume × (unit cost − planned unit cost)``;
- **demand for sentence delivery**: the change in place- and caseload-years at 2011-12 unit
  costs (``plan.statutory_demand_growth`` or the demand step's projections), a cost when demand
  grows: ``− Σ_stat (planned − baseline volume) × unit cost``;
- **rehabilitation moved out** and **moved in**: the gross fall and rise of spend over the
  rehabilitation cells (the optimiser's reallocation within ``plan.growth_limits`` and the
  intentions), ``Σ max(baseline − planned spend, 0)`` and ``− Σ max(planned − baseline, 0)``;
- **fixed costs of contracts** kept open, when the model has whole contracts.

The lines add up to the savings the plan delivers; the last line says by how much that exceeds
the target (budget left unspent because nothing more is worth its cost, or the objective's
tie-break preferring the cheaper of two equal portfolios).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from commissioning.plan.inputs import PlanSettings

FloatArray = npt.NDArray[np.float64]


def savings_bridge(cells: pd.DataFrame, planned: FloatArray, settings: PlanSettings,
                   budget: float, fixed_costs: float = 0.0,
                   sources: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The bridge lines (``key``: a stable name — outside, price, demand, disinvest, invest,
    fixed, total, beyond —, ``line``, ``amount`` in £ saved — negative is a cost —, ``source``:
    the parameter or step behind it, ``reference``: that parameter's reference where known).
    The one bridge of the round: the bulletin and the document read it from the plan."""
    refs = dict(sources or {})
    vol = np.asarray(planned, float)
    stat = cells["statutory"].to_numpy(bool)
    base = cells["baseline_volume"].to_numpy(float)
    unit = cells["unit_cost"].to_numpy(float)
    planned_unit = cells["planned_unit_cost"].to_numpy(float)
    price = float((vol * (unit - planned_unit))[stat].sum())
    demand = -float(((vol - base) * unit)[stat].sum())
    change = (cells["baseline_spend"].to_numpy(float) - vol * planned_unit)[~stat]
    out_ = float(np.clip(change, 0.0, None).sum())
    in_ = -float(np.clip(-change, 0.0, None).sum())
    portfolio = price + demand + out_ + in_ - fixed_costs
    total = settings.savings_outside_portfolio + portfolio
    lines: list[tuple[str, str, float, str]] = [
        ("outside", "outside the portfolio (NOMS headquarters)",
         settings.savings_outside_portfolio, "plan.savings_outside_portfolio"),
        ("price", "price of sentence delivery (negotiated efficiency)", price,
         "plan.sentence_delivery_efficiency"),
        ("demand", "demand for sentence delivery (more place- and caseload-years)", demand,
         "plan.statutory_demand_growth"),
        ("disinvest", "rehabilitation spend moved out (disinvestment)", out_,
         "plan optimum (plan.growth_limits, the intentions)"),
        ("invest", "rehabilitation spend moved in (investment)", in_,
         "plan optimum (plan.growth_limits, the intentions)"),
    ]
    if fixed_costs:
        lines.append(("fixed", "fixed costs of contracts kept open", -fixed_costs, "contracts"))
    rows = [{"key": key, "line": line, "amount": amount, "source": source,
             "reference": refs.get(source.split(" ")[0], "")}
            for key, line, amount, source in lines]
    rows.append({"key": "total", "line": "total savings", "amount": total,
                 "source": "sum of the lines above", "reference": ""})
    rows.append({"key": "beyond", "line": "of which beyond the target",
                 "amount": total - settings.savings_target,
                 "source": "plan.savings_target", "reference": refs.get("plan.savings_target", ""),
                 "note": f"budget £{budget / 1e6:,.1f}M; the optimum leaves unspent what "
                         "nothing within the limits is worth"})
    return rows
