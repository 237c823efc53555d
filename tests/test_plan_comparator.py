"""The fair comparator, the reasons of each cell, the price of each intention, the savings
bridge and the draws: each checked against an independent computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commissioning.plan.explain import BINDING_CODES, policy_costs
from commissioning.plan.intentions import Intention
from commissioning.plan.model import build_model, released_cells
from commissioning.plan.ranking import fair_ranking, ranking_check
from commissioning.plan.resolve import Resolver
from commissioning.plan.run import changes_by, make_plan, objective_value
from commissioning.plan.solution import read_solution, solve
from commissioning.plan.uncertainty import evaluate_draws
from commissioning.policy.parameters import load_parameters
from plan_fixtures import make_cells, settings

LOW_RISK = Intention("custody", 4, "disinvest", "low risk", rule={
    "kind": "no_non_core_low_risk", "setting": "custody", "sex": "male"})
WOMEN = Intention("custody", 5, "maintain", "women", rule={
    "kind": "spend_at_least_baseline", "setting": "custody", "sex": "female"})
CORE = Intention("co_commissioning", 9, "minimum_standard", "housing", rule={
    "kind": "core_offer", "services": ["housing"]})
INTENTIONS = [LOW_RISK, WOMEN, CORE]


def _cells(n_regions: int = 3, seed: int = 4) -> pd.DataFrame:
    """Unequal regions and services: a good expensive programme, a cheap weak one, a core
    housing service worth nothing, a court-ordered requirement, low-risk men and women."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    regions = ["North", "South", "East", "West", "Wales"][:n_regions]
    for r, region in enumerate(regions):
        for sex, low in (("male", False), ("male", True), ("female", False)):
            people = float(rng.integers(20, 400))
            rows += [
                {"service_id": "good", "region": region, "sex": sex, "ogrs_medium_high": not low,
                 "avoided_per_unit": 0.08 * (0.3 if low else 1.0), "unit_cost": 4.0,
                 "baseline_volume": float(rng.integers(1, 30)), "eligible": people / 3,
                 "upper": people / 3},
                {"service_id": "weak", "region": region, "sex": sex, "ogrs_medium_high": not low,
                 "avoided_per_unit": 0.005, "unit_cost": 1.0,
                 "baseline_volume": float(rng.integers(5, 60)), "eligible": people,
                 "upper": people, "evidence_category": "promising"},
                {"service_id": "housing", "region": region, "sex": sex, "core": True,
                 "ogrs_medium_high": not low, "avoided_per_unit": 0.0, "unit_cost": 2.0,
                 "baseline_volume": float(rng.integers(0, 10)), "eligible": people / 4,
                 "upper": people / 4, "evidence_category": "not_evaluated"},
                {"service_id": "unpaid", "region": region, "sex": sex,
                 "ogrs_medium_high": not low, "avoided_per_unit": 0.0, "unit_cost": 0.5,
                 "baseline_volume": 10.0 + r, "statutory_volume": 10.0 + r, "eligible": people,
                 "upper": people, "evidence_category": "no_effect"},
            ]
    return make_cells(rows)


def _settings(savings: float) -> object:
    return settings(savings_target=savings, savings_outside_portfolio=0.0, shrink=0.3,
                    growth=0.5, new_share=0.2, core_offer_coverage=0.15)


@pytest.mark.parametrize("savings", [0.0, 40.0, 120.0])
def test_the_fair_ranking_meets_every_row_of_the_model_and_the_optimum_is_no_worse(
        savings: float) -> None:
    cells = _cells()
    s = _settings(savings)
    pm = build_model(cells, s, INTENTIONS)  # type: ignore[arg-type]
    solution = read_solution(pm, solve(pm))
    assert solution.optimal
    released = released_cells(pm.cells, [r for reqs in pm.built.values() for r in reqs])
    fair = fair_ranking(pm.cells, s, pm.budget, pm.requirements, released)  # type: ignore[arg-type]
    assert fair.broken == [] == ranking_check(pm.requirements, fair.volume)
    assert fair.spend <= pm.budget + 1e-6
    optimum = objective_value(pm.cells, solution.volume, "reoffences", s)  # type: ignore[arg-type]
    ranked = objective_value(pm.cells, fair.volume, "reoffences", s)  # type: ignore[arg-type]
    assert optimum >= ranked - 1e-9
    # the ranking is not the baseline: it grows the best service within its growth limit
    good = (pm.cells["service_id"] == "good").to_numpy()
    base = pm.cells["baseline_volume"].to_numpy(float)
    if savings == 0.0:
        assert fair.volume[good].sum() > base[good].sum() + 1.0
    growth = next(r for r in pm.requirements if r.name == "growth_limit")
    assert (growth.lhs(fair.volume) <= growth.rhs + 1e-6).all()
    # court orders and the shrink limit are funded before anything else
    assert (fair.volume >= pm.cells["statutory_volume"].to_numpy(float) - 1e-9).all()


def test_the_ranking_order_is_by_benefit_per_pound() -> None:
    cells = _cells()
    s = _settings(0.0)
    pm = build_model(cells, s, INTENTIONS)  # type: ignore[arg-type]
    fair = fair_ranking(pm.cells, s, pm.budget, pm.requirements)  # type: ignore[arg-type]
    order = list(fair.ranked["service_id"])
    assert order.index("good") < order.index("weak")
    ratios = fair.ranked["benefit_cost_ratio"].to_numpy(float)
    assert (np.diff(ratios) <= 1e-12).all()


def test_every_cell_names_what_set_its_volume_and_no_zero_value_cell_reads_as_value() -> None:
    cells = _cells()
    s = _settings(40.0)
    result = make_plan(cells, s, INTENTIONS)  # type: ignore[arg-type]
    p = result.portfolio
    codes = p["binding"].str.replace(r"^intention .*", "intention", regex=True)
    assert set(codes) <= set(BINDING_CODES)
    grew = p["planned_volume"] > p["baseline_volume"] + 1e-6
    worthless = p["value_per_start"] <= 0
    # a service worth nothing that grows is held up by a rule, never "value" or "budget"
    assert not (grew & worthless & p["binding"].isin(["value", "budget"])).any()
    unpaid = p[p["service_id"] == "unpaid"]
    assert set(unpaid["binding"]) <= {"court_ordered"}
    assert (unpaid["court_ordered_volume"] == unpaid["planned_volume"]).all()
    low = p[(p["service_id"] == "weak") & ~p["ogrs_medium_high"] & (p["sex"] == "male")]
    assert set(low["binding"]) == {"intention custody 4"}
    for col in ("unit_cost", "value_per_start", "upper_volume", "court_ordered_volume"):
        assert p[col].notna().all()
    budgeted = p[p["binding"] == "budget"]
    assert all("reoffences avoided per £1k" in r for r in budgeted["reason"])


def test_warm_intention_costs_equal_a_cold_rebuild_without_each_intention() -> None:
    cells = _cells()
    s = _settings(40.0)
    result = make_plan(cells, s, INTENTIONS)  # type: ignore[arg-type]
    assert result.objective is not None
    cold = {c.intention: c.value for c in policy_costs(
        cells, s, INTENTIONS, "reoffences", result.objective)}  # type: ignore[arg-type]
    warm = {c.intention: c.cost for c in result.intention_costs}
    assert set(warm) == set(cold)
    for key, value in cold.items():
        assert warm[key] == pytest.approx(value, rel=1e-5, abs=1e-5)
        cost = next(c for c in result.intention_costs if c.intention == key)
        assert cost.sentence and "{" not in cost.sentence
    free = next(c for c in result.comparison if c["portfolio"] == "optimum without intentions")
    pm = build_model(cells, s, [])  # type: ignore[arg-type]
    alone = read_solution(pm, solve(pm))
    assert free["objective_reoffences"] == pytest.approx(
        objective_value(cells, alone.volume, "reoffences", s), abs=1e-6)  # type: ignore[arg-type]
    names = [c["portfolio"] for c in result.comparison]
    assert names == ["2011-12 baseline", "fair ranking", "optimum without intentions",
                     "optimum with intentions"]
    values = {c["portfolio"]: c["objective_reoffences"] for c in result.comparison}
    assert values["optimum without intentions"] >= values["optimum with intentions"] - 1e-9
    assert values["optimum with intentions"] >= values["fair ranking"] - 1e-9


def test_a_resolve_leaves_the_model_as_it_was() -> None:
    cells = _cells()
    s = _settings(40.0)
    pm = build_model(cells, s, INTENTIONS)  # type: ignore[arg-type]
    first = read_solution(pm, solve(pm))
    resolver = Resolver.of(pm)
    other = resolver.solve_with(relax=["custody_5"], weights=np.ones(len(pm.cells)))
    assert other.optimal
    again = resolver.run()
    assert again.objective == pytest.approx(first.objective, rel=1e-9)


def test_the_savings_bridge_adds_up_and_names_a_parameter_for_each_line() -> None:
    cells = _cells()
    cells.loc[cells["service_id"] == "unpaid", "statutory"] = True
    cells.loc[cells["service_id"] == "unpaid", "rehabilitation"] = False
    cells.loc[cells["service_id"] == "unpaid", "planned_unit_cost"] = 0.45
    s = settings(savings_target=50.0, savings_outside_portfolio=10.0, shrink=0.3, growth=0.5,
                 new_share=0.2, core_offer_coverage=0.15)
    result = make_plan(cells, s, INTENTIONS)  # type: ignore[arg-type]
    assert result.savings is not None
    lines = {b["line"]: b for b in result.savings_bridge}
    parts = [b["amount"] for b in result.savings_bridge
             if b["line"] not in ("total savings", "of which beyond the target")]
    assert sum(parts) == pytest.approx(lines["total savings"]["amount"])
    assert lines["total savings"]["amount"] == pytest.approx(result.savings + 10.0)
    assert lines["outside the portfolio (NOMS headquarters)"]["amount"] == 10.0
    assert lines["of which beyond the target"]["amount"] >= -1e-6
    known = {p.name for p in load_parameters()}
    for b in result.savings_bridge:
        first = b["source"].split(" ")[0]
        assert first in known or b["source"].startswith(("plan optimum", "sum of")), b
    price = lines["price of sentence delivery (negotiated efficiency)"]["amount"]
    unpaid = result.portfolio[result.portfolio["service_id"] == "unpaid"]
    assert price == pytest.approx(float((unpaid["planned_volume"] * 0.05).sum()))
    # the bulletin's spend bridge is this bridge (one source), from baseline to planned spend
    from commissioning.publish.decisions import BridgeMismatch, _bridge

    steps = _bridge(result)
    by_key = {b["key"]: b["amount"] for b in result.savings_bridge}
    assert [st.kind for st in steps] == ["start", "step", "step", "step", "step", "end"]
    assert steps[0].amount == pytest.approx(result.baseline_spend)
    assert steps[-1].amount == pytest.approx(result.planned_spend)
    assert steps[1].amount == pytest.approx(-by_key["price"])
    assert steps[2].amount == pytest.approx(-by_key["demand"])
    assert sum(st.amount for st in steps[1:-1]) == pytest.approx(
        result.planned_spend - result.baseline_spend)
    # a bridge that does not reach the planned spend is an error, not a quiet figure
    import dataclasses

    broken = dataclasses.replace(result, savings_bridge=[
        {**b, "amount": b["amount"] + (1_000.0 if b["key"] == "price" else 0.0)}
        for b in result.savings_bridge])
    with pytest.raises(BridgeMismatch, match="not to the planned spend"):
        _bridge(broken)


def test_gross_moves_add_up_to_the_net_change() -> None:
    cells = _cells()
    result = make_plan(cells, _settings(40.0), INTENTIONS)  # type: ignore[arg-type]
    table = changes_by(result.portfolio, ["service_id", "setting"])
    assert (table["spend_in"] - table["spend_out"]).to_numpy() == pytest.approx(
        table["spend_change"].to_numpy())
    assert (table["spend_in"] >= 0).all() and (table["spend_out"] >= 0).all()


def test_draws_give_probabilities_and_flag_allocations_that_flip() -> None:
    cells = _cells()
    s = _settings(40.0)
    pm = build_model(cells, s, INTENTIONS)  # type: ignore[arg-type]
    solution = read_solution(pm, solve(pm))
    released = released_cells(pm.cells, [r for reqs in pm.built.values() for r in reqs])
    ranking = fair_ranking(pm.cells, s, pm.budget, pm.requirements, released).volume  # type: ignore[arg-type]
    central = pm.cells["avoided_per_unit"].to_numpy(float)
    good = (pm.cells["service_id"] == "good").to_numpy()

    def same(k: int) -> tuple[np.ndarray, np.ndarray]:
        return central, central * 2e4

    out = evaluate_draws(pm, Resolver.of(pm), same, 6, 3, solution.volume, ranking,
                         "reoffences", 0.5)
    assert out["p_beats_baseline"] == 1.0
    assert out["cells_flipping"] == 0 and out["flagged_services"] == []
    assert out["value_of_information"] == pytest.approx(0.0, abs=1e-6)

    def half_useless(k: int) -> tuple[np.ndarray, np.ndarray]:
        a = central.copy()
        if k % 2:
            a[good] = 0.0   # in odd draws the good programme does nothing
        return a, a * 2e4

    out = evaluate_draws(pm, Resolver.of(pm), half_useless, 10, 10, solution.volume, ranking,
                         "reoffences", 0.4)
    spread = out["plan_minus_baseline"]
    assert spread["p5"] < spread["p95"]          # the draws differ, so do the outcomes
    assert out["resolves"] == 10
    assert out["cells_flipping"] > 0
    assert any(f["service"].startswith("good") for f in out["flagged_services"])
    assert out["value_of_information"] > 0
    assert out["_flip_share"][good].max() >= 0.5


def test_disinvestment_separates_no_data_from_failing_evidence() -> None:
    from commissioning.plan.run import DISINVEST_BASIS, VALUE_BASIS, disinvestment

    cells = _cells()
    result = make_plan(cells, _settings(120.0), INTENTIONS)  # type: ignore[arg-type]
    table = disinvestment(result.portfolio)
    basis = dict(zip(table["service_id"], table["basis"], strict=True))
    assert basis.get("housing", DISINVEST_BASIS["not_evaluated"]) == \
        DISINVEST_BASIS["not_evaluated"]
    assert set(basis.values()) <= {*DISINVEST_BASIS.values(), VALUE_BASIS}
    assert basis["weak"] == VALUE_BASIS           # promising, cut for value
    assert (table["spend_out"] > 0).all()
    cells.loc[cells["service_id"] == "weak", "evidence_category"] = "not_evaluated"
    again = disinvestment(make_plan(cells, _settings(120.0), INTENTIONS).portfolio)  # type: ignore[arg-type]
    assert dict(zip(again["service_id"], again["basis"], strict=True))["weak"] == \
        DISINVEST_BASIS["not_evaluated"]
