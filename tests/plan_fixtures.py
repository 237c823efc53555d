"""Small hand-made plan cells for the plan tests (no workspace needed)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from commissioning.plan.inputs import PlanSettings
from commissioning.policy.parameters import load_parameters
from policy_support import ROUND_DATE

_DEFAULTS = {
    "evidence_category": "best_evidence", "core": False, "statutory": False,
    "rehabilitation": True, "setting": "custody", "offence_group": "violence",
    "risk_tier": "medium", "harm": "low", "region": "North", "sex": "male",
    "ogrs_medium_high": True, "people": 100.0, "eligible": 50.0, "base_rate": 0.4,
    "completion": 1.0, "baseline_volume": 0.0, "statutory_volume": 0.0, "unit_cost": 1.0,
    "planned_unit_cost": None, "avoided_per_unit": 0.0, "value_per_unit": None, "upper": 3.0,
}


def make_cells(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Cells with every column the plan needs; each row overrides the defaults."""
    records = []
    for row in rows:
        rec = {"service_id": "svc", **_DEFAULTS, **row}
        if rec["planned_unit_cost"] is None:
            rec["planned_unit_cost"] = rec["unit_cost"]
        if rec["value_per_unit"] is None:  # £ per start at a round £20,000 per reoffence
            rec["value_per_unit"] = 20000.0 * float(rec["avoided_per_unit"])  # type: ignore[arg-type]
        rec["baseline_spend"] = float(rec["baseline_volume"]) * float(rec["unit_cost"])
        records.append(rec)
    return pd.DataFrame.from_records(records)


def settings(**changes: object) -> PlanSettings:
    """The built-in plan settings with ``changes`` (e.g. savings_target=...)."""
    base = PlanSettings.from_policy(load_parameters().at(ROUND_DATE))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
