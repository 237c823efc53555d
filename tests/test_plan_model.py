"""The optimisation: equals brute force on small instances, verify catches tampering,
infeasibility is explained, the ranking method is beaten or matched."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from commissioning.plan.explain import explain_infeasible
from commissioning.plan.intentions import Intention
from commissioning.plan.model import Contract, build_model, objective_coefficients, released_cells
from commissioning.plan.ranking import ranking_portfolio
from commissioning.plan.run import make_plan
from commissioning.plan.solution import VerificationError, read_solution, solve, verify
from plan_fixtures import make_cells, settings

WOMEN = Intention("custody", 5, "maintain", "women", rule={
    "kind": "spend_at_least_baseline", "setting": "custody", "sex": "female"})
LOW_RISK = Intention("custody", 4, "disinvest", "low risk", rule={
    "kind": "no_non_core_low_risk", "setting": "custody", "sex": "male"})
INEFFECTIVE = Intention("custody", 7, "disinvest", "ineffective", rule={
    "kind": "no_ineffective", "setting": "custody"})


def _instance() -> tuple[object, list[Intention]]:
    cells = make_cells([
        {"service_id": "a", "avoided_per_unit": 0.05, "unit_cost": 3.0, "baseline_volume": 1},
        {"service_id": "b", "avoided_per_unit": 0.04, "unit_cost": 2.0, "baseline_volume": 1,
         "ogrs_medium_high": False},
        {"service_id": "c", "avoided_per_unit": 0.01, "unit_cost": 1.0, "baseline_volume": 2,
         "sex": "female"},
        {"service_id": "d", "avoided_per_unit": 0.0, "unit_cost": 1.0, "baseline_volume": 2,
         "evidence_category": "no_effect"},
        {"service_id": "e", "avoided_per_unit": 0.03, "unit_cost": 1.0, "baseline_volume": 0,
         "sex": "female", "region": "South"},
    ])
    return cells, [WOMEN, LOW_RISK, INEFFECTIVE]


def _brute_force(pm: object, upper: int = 3) -> float:
    best = -np.inf
    coef = objective_coefficients(pm.cells, pm.objective_kind, settings())  # type: ignore[attr-defined]
    for combo in itertools.product(range(upper + 1), repeat=len(pm.cells)):  # type: ignore[attr-defined]
        vol = np.array(combo, float)
        if all(not (r.shortfall(vol) > 0).any() for r in pm.requirements):  # type: ignore[attr-defined]
            best = max(best, float(coef @ vol))
    return best


@pytest.mark.parametrize("savings", [0.0, 2.0, 4.0])
def test_optimum_equals_brute_force_enumeration(savings: float) -> None:
    cells, intentions = _instance()
    s = settings(savings_target=savings, savings_outside_portfolio=0.0, shrink=1.0, growth=3.0)
    pm = build_model(cells, s, intentions, integral=True)
    solution = read_solution(pm, solve(pm, mip_gap=0.0))
    assert solution.optimal
    verify(pm, solution)
    assert solution.objective == pytest.approx(_brute_force(pm), abs=1e-9)


def test_optimum_disinvests_from_low_risk_and_ineffective_and_keeps_women() -> None:
    cells, intentions = _instance()
    s = settings(savings_target=2.0, savings_outside_portfolio=0.0, shrink=1.0, growth=3.0)
    pm = build_model(cells, s, intentions)
    solution = read_solution(pm, solve(pm))
    volume = dict(zip(cells["service_id"], solution.volume, strict=True))
    assert volume["b"] == pytest.approx(0.0)       # non-core for low risk men
    assert volume["d"] == pytest.approx(0.0)       # ineffective
    women = 1.0 * volume["c"] + 1.0 * volume["e"]
    assert women >= 2.0 - 1e-6                     # women's spend kept at £2
    assert volume["e"] == pytest.approx(3.0)       # women's money moves to the better service


def test_verify_rejects_a_tampered_solution() -> None:
    cells, intentions = _instance()
    s = settings(savings_target=2.0, savings_outside_portfolio=0.0, shrink=1.0, growth=3.0)
    pm = build_model(cells, s, intentions)
    solution = read_solution(pm, solve(pm))
    verify(pm, solution)
    tampered = solution.volume.copy()
    tampered[1] = 1.0                               # low risk service back in
    with pytest.raises(VerificationError, match="custody_4"):
        verify(pm, solution, tampered)
    over = solution.volume + 5.0
    with pytest.raises(VerificationError, match=r"upper bound|budget"):
        verify(pm, solution, over)


def test_infeasibility_is_explained_by_the_constraints_that_conflict() -> None:
    cells, intentions = _instance()
    # £6 of savings from £10: women's £2 and what courts order cannot both survive.
    cells.loc[cells["service_id"] == "a", "statutory_volume"] = 1.0
    s = settings(savings_target=9.0, savings_outside_portfolio=0.0, shrink=1.0, growth=3.0)
    pm = build_model(cells, s, intentions)
    assert not read_solution(pm, solve(pm)).optimal
    conflicts = explain_infeasible(cells, s, intentions)
    named = {c.intention or c.constraint for c in conflicts}
    assert "custody 5" in named
    assert all("must give" in c.sentence() for c in conflicts)
    result = make_plan(cells, s, intentions)
    assert result.status == "infeasible"
    assert result.conflicts


def test_the_optimum_is_at_least_the_ranking_method() -> None:
    cells, intentions = _instance()
    s = settings(savings_target=2.0, savings_outside_portfolio=0.0, shrink=1.0, growth=3.0)
    result = make_plan(cells, s, intentions)
    assert result.status == "optimal"
    assert result.objective is not None
    assert result.objective >= result.ranking_objective - 1e-9
    pm = build_model(cells, s, intentions)
    released = released_cells(pm.cells, [r for reqs in pm.built.values() for r in reqs])
    ranking = ranking_portfolio(cells, s, result.budget, pm.requirements, released)
    assert float((ranking * cells["planned_unit_cost"]).sum()) <= result.budget + 1e-9
    assert result.ranking_broken == []
    assert {v.id: v.holds for v in result.intentions}["custody 4"] is True
    assert {v.id: v.holds for v in result.baseline_intentions}["custody 4"] is False


def test_budget_shadow_price_is_what_one_more_pound_buys() -> None:
    cells, intentions = _instance()
    s = settings(savings_target=2.0, savings_outside_portfolio=0.0, shrink=1.0, growth=3.0)
    low = make_plan(cells, s, intentions)
    more = make_plan(cells, settings(savings_target=1.999, savings_outside_portfolio=0.0,
                                     shrink=1.0, growth=3.0), intentions)
    assert low.budget_shadow_price is not None and more.objective is not None
    assert low.objective is not None
    assert (more.objective - low.objective) / 0.001 * 1e6 == pytest.approx(
        low.budget_shadow_price, rel=1e-3)


def test_whole_provider_contracts_are_chosen_as_integers() -> None:
    cells, intentions = _instance()
    s = settings(savings_target=0.0, savings_outside_portfolio=0.0, shrink=1.0, growth=3.0)
    contracts = [Contract("k1", "a", "custody", "North", 2.0, 1.0),
                 Contract("k2", "a", "custody", "North", 3.0, 5.0)]
    pm = build_model(cells, s, intentions, contracts=contracts)
    solution = read_solution(pm, solve(pm, mip_gap=0.0))
    assert solution.optimal
    verify(pm, solution)
    assert set(np.round(solution.contracts_open)) <= {0.0, 1.0}
    volume_a = solution.volume[cells["service_id"].to_numpy() == "a"].sum()
    capacity = sum(c.capacity * o for c, o in zip(contracts, solution.contracts_open,
                                                   strict=True))
    assert volume_a <= capacity + 1e-9
