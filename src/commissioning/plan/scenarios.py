"""Plan scenarios: a name, an objective, parameter overrides and intentions set aside.

A scenario file is YAML::

    name: savings-160
    objective: reoffences          # or net_benefit
    parameters:                    # dated overrides, as `--policy` files
      plan.savings_target: {2012-04-01: 160000000}
    drop_intentions: [custody 3]   # optional: intentions not applied

The built-in comparison runs the document's savings target and two others (£80M, £120M, £160M).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from commissioning.plan.model import OBJECTIVES

SAVINGS_SCENARIOS: tuple[float, ...] = (80e6, 120e6, 160e6)


class ScenarioError(ValueError):
    """A scenario file that cannot be used: says which field and how to fix it."""


@dataclass(frozen=True)
class PlanScenario:
    name: str
    objective: str = "reoffences"
    parameters: Mapping[str, Mapping[Any, Any]] = field(default_factory=dict)
    drop_intentions: tuple[str, ...] = ()
    source: str | None = None


def load_plan_scenario(path: Path) -> PlanScenario:
    """Read and check a scenario file."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read the scenario ({exc})") from None
    if not isinstance(doc, Mapping):
        raise ScenarioError(f"{path}: a scenario is a mapping with name, objective, parameters")
    objective = str(doc.get("objective", "reoffences"))
    if objective not in OBJECTIVES:
        raise ScenarioError(f"{path}: objective {objective!r} must be one of "
                            f"{', '.join(OBJECTIVES)}")
    params = doc.get("parameters") or {}
    if not isinstance(params, Mapping) or not all(isinstance(v, Mapping) for v in params.values()):
        raise ScenarioError(f"{path}: 'parameters' must map parameter names to {{date: value}}")
    drop = doc.get("drop_intentions") or []
    if not isinstance(drop, list):
        raise ScenarioError(f"{path}: 'drop_intentions' must be a list like ['custody 3']")
    return PlanScenario(str(doc.get("name", path.stem)), objective,
                        {str(k): dict(v) for k, v in params.items()},
                        tuple(str(d) for d in drop), str(path))


def savings_scenarios(targets: Sequence[float] = SAVINGS_SCENARIOS,
                      objective: str = "reoffences") -> list[PlanScenario]:
    """One scenario per savings target."""
    return [PlanScenario(f"savings £{t / 1e6:,.0f}M", objective,
                         {"plan.savings_target": {"2012-04-01": t}}) for t in targets]
