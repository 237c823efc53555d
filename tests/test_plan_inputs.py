"""What the plan reads from the evidence base and demand: one unit cost per service, pooled
effects, statutory demand growth from the demand step's forecasts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from commissioning.evidence.benefit_cost import Valuation
from commissioning.evidence.catalogue import load_catalogue
from commissioning.evidence.rating import rate_all
from commissioning.plan.inputs import demand_growth_from_forecasts, service_specs
from commissioning.policy.parameters import load_parameters


def test_a_catalogue_priced_service_takes_the_catalogues_price_converted_as_benefit_cost() -> None:
    params = load_parameters()
    specs = service_specs(params)
    item = load_catalogue().get("thinking_skills_programme")
    expected = Valuation.from_parameters(params).unit_cost_gbp(item)
    assert expected is not None
    assert specs["thinking_skills_programme"].unit_cost == pytest.approx(expected)
    assert specs["thinking_skills_programme"].unit_cost_source.startswith("evidence catalogue")
    assert specs["prison_place"].unit_cost_source == "plan.unit_costs"


def test_a_service_priced_twice_is_an_error_that_says_which_to_remove() -> None:
    params = load_parameters()
    costs = dict(params.value("plan.unit_costs"))
    costs["thinking_skills_programme"] = {"cost": 1000, "requirement": "accredited_programme"}
    twice = params.with_overrides({"plan.unit_costs": {"2012-04-01": costs}})
    with pytest.raises(ValueError, match="thinking_skills_programme has two unit costs"):
        service_specs(twice)


def test_a_service_priced_nowhere_is_an_error() -> None:
    params = load_parameters()
    costs = dict(params.value("plan.unit_costs"))
    costs["mentoring"] = {}
    unpriced = params.with_overrides({"plan.unit_costs": {"2012-04-01": costs}})
    with pytest.raises(ValueError, match="mentoring has no unit cost"):
        service_specs(unpriced)


def test_the_effect_is_the_evidence_bases_pooled_odds_ratio_where_there_is_one() -> None:
    params = load_parameters()
    specs = service_specs(params)
    ratings = {r.intervention_id: r for r in rate_all(load_catalogue().interventions, params)}
    pooled = [sid for sid in specs if sid in ratings and ratings[sid].pooled is not None]
    assert pooled, "at least one planned service has a pooled effect"
    for sid in pooled:
        rating = ratings[sid]
        assert rating.pooled is not None
        assert specs[sid].odds_ratio == pytest.approx(
            math.exp(rating.pooled.log_or * rating.quality_factor))
        assert specs[sid].effect_source.startswith("evidence base")
    odds = params.value("plan.effect_by_category")["odds_ratio"]
    for sid, spec in specs.items():
        if sid not in pooled and not spec.statutory:
            assert spec.odds_ratio == odds[spec.evidence_category]


def _community(starts_2011: float, starts_2012: float) -> pd.DataFrame:
    rows = []
    for year, total in ((2011, starts_2011), (2012, starts_2012)):
        for q in ("Q2", "Q3", "Q4"):
            rows.append({"quarter": f"{year}{q}", "kind": "sentence_type", "starts": total / 4})
        rows.append({"quarter": f"{year + 1}Q1", "kind": "sentence_type", "starts": total / 4})
    rows.append({"quarter": "2012Q2", "kind": "requirement", "starts": 1e9})  # not a sentence
    return pd.DataFrame(rows)


def test_statutory_demand_growth_comes_from_the_demand_forecasts() -> None:
    months = pd.period_range("2011-04", "2013-03", freq="M").astype(str)
    population = [85_000.0 if m < "2012-04" else 86_700.0 for m in months]
    prison = pd.DataFrame({"month": months, "scenario": "baseline",
                           "population_mean": population})
    growth = demand_growth_from_forecasts(_community(100_000, 101_000), prison)
    assert growth["community"] == pytest.approx(0.01)
    assert growth["custody"] == pytest.approx(0.02)


def test_a_year_the_forecasts_do_not_cover_leaves_the_parameter_in_force() -> None:
    partial = _community(100_000, 101_000)
    partial = partial[partial["quarter"] != "2011Q2"]
    assert demand_growth_from_forecasts(partial, None) == {}


def test_the_round_plans_on_the_demand_step_only_when_the_parameter_says_so() -> None:
    from commissioning.plan.inputs import PlanSettings, demand_from_forecasts

    params = load_parameters()
    assert demand_from_forecasts(params) is False
    value = dict(params.value("plan.statutory_demand_growth"))
    on = params.with_overrides({"plan.statutory_demand_growth": {
        "2012-04-01": {**value, "from_demand_step": True}}})
    assert demand_from_forecasts(on) is True
    assert set(PlanSettings.from_parameters(on).demand_growth) == {"community", "custody"}
