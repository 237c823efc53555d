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
from policy_support import ROUND_DATE


def _with_approved_premises(params, cost):  # type: ignore[no-untyped-def]
    costs = dict(params.value("plan.unit_costs", ROUND_DATE))
    costs["approved_premises"] = {} if cost is None else {"cost": cost}
    return params.with_overrides({"plan.unit_costs": {"2012-04-01": costs}})


def test_a_catalogue_priced_service_takes_the_catalogues_uk_price_in_the_rounds_prices() -> None:
    params = _with_approved_premises(load_parameters(), None)
    specs = service_specs(params.at(ROUND_DATE))
    item = load_catalogue().get("approved_premises")
    assert item.unit_cost.currency == "GBP" and item.unit_cost.gbp is not None
    expected = Valuation.from_policy(params.at(ROUND_DATE)).unit_cost_gbp(item)
    assert expected is not None and expected > item.unit_cost.gbp  # deflated up to 2011-12
    assert specs["approved_premises"].unit_cost == pytest.approx(expected)
    assert specs["approved_premises"].unit_cost_source.startswith("evidence catalogue")
    assert specs["prison_place"].unit_cost_source == "plan.unit_costs"


def test_a_us_dollar_figure_never_becomes_a_uk_unit_cost() -> None:
    params = load_parameters()
    item = load_catalogue().get("thinking_skills_programme")
    assert item.unit_cost.currency == "USD"
    spec = service_specs(params.at(ROUND_DATE))["thinking_skills_programme"]
    assert spec.unit_cost_source == "plan.unit_costs"
    costs = params.value("plan.unit_costs", ROUND_DATE)
    assert spec.unit_cost == costs["thinking_skills_programme"]["cost"]


def test_a_service_priced_twice_is_an_error_that_says_which_to_remove() -> None:
    twice = _with_approved_premises(load_parameters(), 1000)
    with pytest.raises(ValueError, match="approved_premises has two unit costs"):
        service_specs(twice.at(ROUND_DATE))


def test_a_service_priced_nowhere_is_an_error() -> None:
    params = load_parameters()
    costs = dict(params.value("plan.unit_costs", ROUND_DATE))
    costs["mentoring"] = {}
    unpriced = params.with_overrides({"plan.unit_costs": {"2012-04-01": costs}})
    with pytest.raises(ValueError, match="mentoring has no unit cost"):
        service_specs(unpriced.at(ROUND_DATE))


def test_the_effect_is_the_evidence_bases_distribution_the_benefit_cost_uses() -> None:
    from commissioning.evidence.outcome import service_effects

    params = load_parameters()
    specs = service_specs(params.at(ROUND_DATE))
    effects = service_effects(load_catalogue().interventions, params.at(ROUND_DATE))
    for sid, spec in specs.items():
        if spec.statutory:
            assert spec.effect is None and spec.risk_ratio == 1.0
            continue
        assert spec.effect == effects[sid]
        assert spec.odds_ratio == pytest.approx(math.exp(effects[sid].log_or))
        assert spec.effect_source.startswith(effects[sid].kind)
    rated = rate_all(load_catalogue().interventions, params.at(ROUND_DATE))
    ratings = {r.intervention_id: r for r in rated}
    for sid, spec in specs.items():
        if not spec.statutory and ratings[sid].pooled is None:
            assert spec.effect is not None and spec.effect.kind == "assumption"
            assert spec.effect.se > 0, "an assumption carries its range"


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
    assert demand_from_forecasts(params.at(ROUND_DATE)) is False
    value = dict(params.value("plan.statutory_demand_growth", ROUND_DATE))
    on = params.with_overrides({"plan.statutory_demand_growth": {
        "2012-04-01": {**value, "from_demand_step": True}}})
    assert demand_from_forecasts(on.at(ROUND_DATE)) is True
    growth = PlanSettings.from_policy(on.at(ROUND_DATE)).demand_growth
    assert set(growth) == {"community", "custody"}
