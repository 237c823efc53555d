"""Whole provider contracts: the incumbent heuristic, the cover rows, and the optimum against
enumeration of every volume and every set of open contracts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from commissioning.plan.model import Contract, build_model, objective_coefficients
from commissioning.plan.solution import read_solution, solve, verify
from commissioning.plan.start import cover
from plan_fixtures import make_cells, settings


def test_the_cheapest_cover_of_a_markets_volume() -> None:
    capacity = np.array([2.0, 3.0, 4.0])
    fixed = np.array([2.0, 3.0, 4.0])
    assert cover(capacity, fixed, 3.5) == [2]          # one of 4 beats 2 + 3
    assert sorted(cover(capacity, fixed, 5.5)) == [0, 2]
    assert sorted(cover(capacity, fixed, 6.5)) == [1, 2]
    assert cover(capacity, fixed, 0.0) == []
    assert sorted(cover(capacity, fixed, 99.0)) == [0, 1, 2]
    assert cover(capacity, np.array([5.0, 1.0, 9.0]), 1.5) == [1]


def _market_instance() -> tuple[object, list[Contract]]:
    cells = make_cells([
        {"service_id": "a", "avoided_per_unit": 0.05, "unit_cost": 1.0, "baseline_volume": 2},
        {"service_id": "a", "avoided_per_unit": 0.02, "unit_cost": 1.0, "baseline_volume": 1,
         "offence_group": "acquisitive"},
        {"service_id": "b", "avoided_per_unit": 0.03, "unit_cost": 1.0, "baseline_volume": 1},
        {"service_id": "c", "avoided_per_unit": 0.01, "unit_cost": 1.0, "baseline_volume": 0},
    ])
    contracts = [Contract("k1", "a", "custody", "North", 2.0, 0.5),
                 Contract("k2", "a", "custody", "North", 3.0, 1.0),
                 Contract("k3", "b", "custody", "North", 2.0, 0.25)]
    return cells, contracts


def _enumerate(pm: object, contracts: list[Contract], upper: int = 3) -> float:
    """The best objective over whole volumes and every set of open contracts, checking every
    requirement, the contracts' fixed costs in the budget and their capacity."""
    cells = pm.cells  # type: ignore[attr-defined]
    coef = objective_coefficients(cells, "reoffences", settings())
    market = (cells["service_id"] + "|" + cells["setting"] + "|" + cells["region"]).to_numpy()
    best = -np.inf
    for opened in itertools.product((0, 1), repeat=len(contracts)):
        fixed = sum(c.fixed_cost * o for c, o in zip(contracts, opened, strict=True))
        cap: dict[str, float] = {}
        for c, o in zip(contracts, opened, strict=True):
            key = f"{c.service_id}|{c.setting}|{c.region}"
            cap[key] = cap.get(key, 0.0) + c.capacity * o
        for combo in itertools.product(range(upper + 1), repeat=len(cells)):
            vol = np.array(combo, float)
            if any(vol[market == k].sum() > v + 1e-9 for k, v in cap.items()):
                continue
            ok = True
            for req in pm.requirements:  # type: ignore[attr-defined]
                lhs = req.lhs(vol) + (fixed if req.name == "budget" else 0.0)
                gap = req.rhs - lhs if req.sense == ">=" else lhs - req.rhs
                if (gap > 1e-9).any():
                    ok = False
                    break
            if ok:
                best = max(best, float(coef @ vol))
    return best


@pytest.mark.parametrize("start", [True, False])
@pytest.mark.parametrize("savings", [0.0, 0.25])
def test_contract_optimum_equals_enumeration_with_the_cover_rows_active(
        start: bool, savings: float) -> None:
    cells, contracts = _market_instance()
    # shrink 50%: market a must keep 1.5 of its 3 starts, so one of its contracts stays open;
    # £4 of baseline spend, and at savings 0.25 only the cheapest whole-number plan fits
    s = settings(savings_target=savings, savings_outside_portfolio=0.0, shrink=0.5, growth=3.0)
    pm = build_model(cells, s, [], contracts=contracts, integral=True)
    assert "contract_cover" in pm.model.constraints
    solution = read_solution(pm, solve(pm, mip_gap=0.0, start=start))
    assert solution.optimal
    verify(pm, solution)
    assert solution.objective == pytest.approx(_enumerate(pm, contracts), abs=1e-7)
    assert solution.contracts_open[:2].sum() >= 1


def test_the_start_is_a_feasible_incumbent_no_better_than_the_relaxation() -> None:
    cells, contracts = _market_instance()
    s = settings(savings_target=0.0, savings_outside_portfolio=0.0, shrink=0.5, growth=3.0)
    pm = build_model(cells, s, [], contracts=contracts)
    solution = read_solution(pm, solve(pm))
    assert solution.start is not None
    assert solution.start.objective <= solution.start.relaxation + 1e-9
    assert solution.objective >= solution.start.objective - 1e-9
    assert set(solution.start.contracts_open) <= {0.0, 1.0}
