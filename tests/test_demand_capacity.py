"""Capacity (estate, commissioned places, headroom, flags), service demand and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.assess.demand import capacity as K
from commissioning.assess.demand.prison import DemandError
from commissioning.assess.demand.services import PlanningFlows, service_demand
from commissioning.cli.app import _register, app
from commissioning.policy.parameters import ParameterSet
from policy_support import ROUND_DATE

runner = CliRunner()
_register()


def test_estate_places_add_up_to_the_commissioned_places(params: ParameterSet) -> None:
    estate = K.estate(params.at(ROUND_DATE))
    assert estate["places"].sum() == pytest.approx(90_000, abs=10)
    public = estate[estate["sector"] == "public"]
    assert public["places"].sum() == pytest.approx(76_000, abs=10)
    hse = public[public["function_group"] == "high_security"]
    assert hse["places"].sum() == pytest.approx(6_300, abs=5)
    assert set(estate.loc[estate["function_group"] == "female", "sex"]) == {"female"}


def test_given_capacities_are_kept_and_the_rest_fills_the_places(params: ParameterSet) -> None:
    first = K.estate(params.at(ROUND_DATE)).iloc[0]
    given = K.read_capacities(
        pd.DataFrame({"provider_id": [first["provider_id"]], "operational_capacity": [123]})
    )
    estate = K.estate(params.at(ROUND_DATE), capacities=given)
    row = estate[estate["provider_id"] == first["provider_id"]].iloc[0]
    assert row["places"] == 123 and row["places_source"] == "given"
    assert estate["places"].sum() == pytest.approx(90_000, abs=10)
    with pytest.raises(DemandError, match="row 2, column operational_capacity"):
        K.read_capacities(pd.DataFrame({"provider_id": ["X"], "operational_capacity": [-1]}))


def test_headroom_flags_only_above_the_chosen_probability(params: ParameterSet) -> None:
    capacity = pd.DataFrame(
        {"function": ["local", "open", "cat_c"], "sex": ["male", "male", "male"],
         "places": [1_000, 1_000, 2_000]}
    )
    projection = pd.DataFrame(
        {
            "month": ["2012-06"] * 3,
            "scenario": ["baseline"] * 3,
            "function": ["local", "open", "cat_c"],
            "sex": ["male"] * 3,
            "population_mean": [1_050.0, 985.0, 1_500.0],
            "population_p05": [1_000.0, 850.0, 1_400.0],
            "population_p95": [1_100.0, 1_010.0, 1_600.0],
            "horizon_years": [1.0] * 3,
        }
    )
    # Past log errors: the forecast was 10% too high as often as 10% too low, or exact.
    errors = np.array([-0.1] * 10 + [0.0] * 10 + [0.1] * 10)
    frame = K.headroom(projection, capacity, params.at(ROUND_DATE), errors=errors)
    by = frame.set_index("function")
    # local: mean 1,050 over 1,000 places; only the -10% errors keep it under: P = 2/3.
    assert by.loc["local", "p_shortfall"] == pytest.approx(2 / 3, abs=1e-3)
    assert by.loc["local", "flag"] == "over"
    # open: 985 under 1,000 places; only the +10% errors exceed them: P = 1/3 < 0.5, but
    # within 2% of places (980) two thirds exceed: tight.
    assert by.loc["open", "p_shortfall"] == pytest.approx(1 / 3, abs=1e-3)
    assert by.loc["open", "flag"] == "tight"
    assert by.loc["cat_c", "flag"] == "ok" and by.loc["cat_c", "p_shortfall"] == 0
    assert by.loc["local", "headroom"] == -50
    # A lower chosen probability flags the open estate too.
    strict = params.with_overrides(
        {"demand.capacity_flags": {"2005-01-01": {"tight_margin": 0.02,
                                                  "shortfall_probability": 0.2}}}
    )
    assert K.headroom(projection, capacity, strict.at(ROUND_DATE), errors=errors).set_index(
        "function").loc["open", "flag"] == "over"
    summary = K.flags_summary(frame)
    assert set(summary["function"]) == {"local", "open"}  # all: 3,535 of 4,000 places
    assert summary.set_index("function").loc["local", "max_p_shortfall"] == pytest.approx(
        2 / 3, abs=1e-3)


def test_the_error_distribution_is_each_years_quantiles_continuous_in_between() -> None:
    """At whole years the quantiles of that year's errors (never narrower than an earlier
    year's); linear in between; × sqrt(t) in the first year (issue 14: the band jumped back
    each June when a month took year k's errors × sqrt(t / k))."""
    from commissioning.assess.demand.backtest import ErrorQuantiles

    q = ErrorQuantiles({1: np.array([-0.02, 0.0, 0.02, 0.04]),
                        2: np.array([-0.1, 0.0, 0.1, 0.2, 0.3]),
                        3: np.array([-0.05, 0.0, 0.05])})  # narrower than year 2
    assert q.quantile(1.0, 0.5) == pytest.approx(np.quantile([-0.02, 0.0, 0.02, 0.04], 0.5))
    assert q.quantile(2.0, 0.9) == pytest.approx(np.quantile([-0.1, 0.0, 0.1, 0.2, 0.3], 0.9))
    assert q.quantile(0.25, 0.9) == pytest.approx(q.quantile(1.0, 0.9) * 0.5)
    mid = q.quantile(1.5, 0.9)
    assert mid == pytest.approx((q.quantile(1.0, 0.9) + q.quantile(2.0, 0.9)) / 2)
    # year 3's own errors are narrower: the band keeps year 2's width, it does not shrink
    assert q.quantile(3.0, 0.9) == pytest.approx(q.quantile(2.0, 0.9))
    assert q.quantile(3.0, 0.1) == pytest.approx(q.quantile(2.0, 0.1))
    # monthly, the upper bound never falls from one month to the next
    months = np.arange(1, 37) / 12
    upper = np.array([q.quantile(t, 0.95)[0] for t in months])
    assert (np.diff(upper) >= -1e-12).all()
    # the exceedance reads the same function: the 95% quantile is exceeded 5% of the time
    t = np.array([1.0, 1.5, 2.0, 2.75])
    bound = np.array([q.quantile(ti, 0.95)[0] for ti in t])
    assert q.exceedance(t, bound) == pytest.approx([0.05] * 4, abs=1e-3)
    assert q.exceedance(t, np.full(4, 10.0)).tolist() == [0.0] * 4


def test_a_pooled_array_of_errors_is_drawn_times_sqrt_h() -> None:
    mean = np.array([1_000.0, 1_000.0])
    places = np.array([1_030.0, 1_150.0])
    pooled = K.shortfall_probability(mean, places, np.array([1.0, 2.0]),
                                     np.array([-0.05, 0.05, 0.1]))
    assert pooled[0] == pytest.approx(2 / 3)  # log(1.03) = 0.0296: 0.05 and 0.1 above
    assert pooled[1] == pytest.approx(1 / 3)  # log(1.15) / sqrt(2) = 0.0988: only 0.1


def test_places_on_the_interval_bound_have_the_intervals_tail_probability(
    params: ParameterSet,
) -> None:
    """On the round's projection, places equal to the 90% interval's upper (lower) bound are
    exceeded with probability 5% (95%), in every month: the flags and the intervals read one
    distribution."""
    from commissioning.assess.demand import pipeline

    result = pipeline.prison(params.at(ROUND_DATE), [], 4, 7)
    base = result.projection[result.projection["scenario"] == "baseline"]
    base = base[base["horizon_years"] > 0].iloc[::5]  # every fifth month
    assert len(base) >= 10 and result.error_quantiles is not None
    mean = base["population_mean"].to_numpy(float)
    h = base["horizon_years"].to_numpy(float)
    # the projection's bounds are rounded to 0.1 of a person
    upper = K.shortfall_probability(mean, base["population_p95"].to_numpy(float) + 0.1, h,
                                    result.error_quantiles)
    lower = K.shortfall_probability(mean, base["population_p05"].to_numpy(float) - 0.1, h,
                                    result.error_quantiles)
    assert upper == pytest.approx([0.05] * len(h), abs=2e-3), upper
    assert lower == pytest.approx([0.95] * len(h), abs=2e-3), lower
    assert sorted(result.horizon_errors) == [1, 2, 3, 4, 5]


def test_service_demand_follows_requirements_and_needs(params: ParameterSet) -> None:
    risk = pd.DataFrame(
        {
            "setting": ["community", "community", "custody"],
            "offence_group": ["acquisitive", "violence", "acquisitive"],
            "risk_tier": ["low", "high", "low"],
            "offenders": [300, 100, 50],
        }
    )
    need = pd.DataFrame(
        {
            "setting": ["community", "community", "custody"],
            "offence_group": ["acquisitive", "violence", "acquisitive"],
            "need": ["ete", "ete", "ete"],
            "prevalence_pct": [50.0, 20.0, 80.0],
        }
    )
    flows = PlanningFlows(1_000.0, 200.0, {"unpaid_work": 400.0}, "2012-04 to 2013-03")
    demand = service_demand(risk, need, flows, params.at(ROUND_DATE))
    unpaid = demand[demand["service_id"] == "unpaid_work"]
    assert unpaid["eligible"].sum() == pytest.approx(400.0)
    assert set(unpaid["setting"]) == {"community"}
    jobs = demand[demand["service_id"] == "employment_support"].set_index(
        ["setting", "offence_group"]
    )["eligible"]
    assert jobs[("community", "acquisitive")] == pytest.approx(750 * 0.5)
    assert jobs[("custody", "acquisitive")] == pytest.approx(200 * 0.8)
    sotp = demand[demand["service_id"] == "sex_offender_treatment_programme"]
    assert sotp.empty  # no sex offenders in these segments


def test_cli_demand_prison_writes_the_projection(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["demand", "prison", "--out", str(tmp_path), "--runs", "5", "--seed", "1",
         "--scenario", "public_disorder"],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "prison_projection.csv")
    assert list(frame.columns)[:5] == [
        "month", "scenario", "population_mean", "population_p05", "population_p95"
    ]
    assert set(frame["scenario"]) == {"baseline", "public_disorder"}
    assert len(frame) == 2 * 84
    assert (frame["population_p05"] <= frame["population_mean"]).all()
    assert "MAPE" in result.output


def test_cli_demand_rejects_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demand", "prison", "--out", str(tmp_path), "--runs", "0"])
    assert result.exit_code == 2
    assert "at least 1" in result.output
    result = runner.invoke(
        app, ["demand", "prison", "--out", str(tmp_path), "--scenario", "no_such"]
    )
    assert result.exit_code == 2
    assert "no built-in scenario" in result.output
