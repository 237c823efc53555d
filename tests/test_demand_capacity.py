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


def test_probabilities_of_shortfall_by_horizon_draw_from_each_years_errors(
    params: ParameterSet,
) -> None:
    """With errors by years ahead, a cell 2 years ahead draws from year 2's errors and a cell
    1.5 years ahead from year 2's scaled by sqrt(1.5 / 2) (as the intervals do), not from one
    pooled set × sqrt(h) (issue 14: the capacity flags used pooled errors)."""
    errors = {1: np.array([-0.02, 0.0, 0.02, 0.04]), 2: np.array([-0.1, 0.0, 0.1, 0.2, 0.3])}
    mean = np.array([1_000.0, 1_000.0, 1_000.0, 1_000.0])
    places = np.array([1_030.0, 1_150.0, 1_150.0, 1_000.0])
    horizon = np.array([1.0, 2.0, 1.5, 0.5])
    p = K.shortfall_probability(mean, places, horizon, errors)
    assert p[0] == pytest.approx(1 / 4)  # only +0.04 > log(1.03) = 0.0296
    assert p[1] == pytest.approx(2 / 5)  # +0.2, +0.3 > log(1.15) = 0.140
    # 1.5 years: threshold log(1.15) / sqrt(0.75) = 0.161: still +0.2 and +0.3
    assert p[2] == pytest.approx(2 / 5)
    assert p[3] == pytest.approx(2 / 4)  # half a year: year 1's errors; 0.02, 0.04 > 0
    pooled = K.shortfall_probability(mean, places, horizon, np.array([-0.05, 0.05, 0.1]))
    assert pooled[1] == pytest.approx(1 / 3)  # log(1.15) / sqrt(2) = 0.0988: only 0.1
    assert pooled[0] == pytest.approx(2 / 3)


def test_places_on_the_interval_bound_have_the_intervals_tail_probability(
    params: ParameterSet,
) -> None:
    """On the round's projection, places equal to the 90% interval's upper (lower) bound are
    exceeded with probability at most 5% (at least 95%): the flags and the intervals use the
    same errors."""
    from commissioning.assess.demand import pipeline

    result = pipeline.prison(params.at(ROUND_DATE), [], 4, 7)
    base = result.projection[result.projection["scenario"] == "baseline"]
    base = base[np.isclose(base["horizon_years"] % 1, 0) & (base["horizon_years"] > 0)]
    assert len(base) >= 3
    mean = base["population_mean"].to_numpy(float)
    h = base["horizon_years"].to_numpy(float)
    upper = K.shortfall_probability(mean, base["population_p95"].to_numpy(float), h,
                                    result.horizon_errors)
    lower = K.shortfall_probability(mean, base["population_p05"].to_numpy(float) - 0.5, h,
                                    result.horizon_errors)
    # an empirical quantile of n errors leaves at most one error in n beyond the 5% tail
    n = np.array([len(result.horizon_errors[min(int(k), 5)]) for k in h])
    assert (upper > 0).any() and (upper <= 0.05 + 1 / n + 1e-9).all(), (upper, n)
    assert (lower >= 0.95 - 1 / n - 1e-9).all(), (lower, n)
    # and exactly the share of that year's errors beyond the bound (the old flags drew from
    # every horizon's errors × sqrt(h): 0.086 against 0.063 one year ahead)
    for i, k in enumerate(h[:5]):
        e = result.horizon_errors[int(k)]
        assert upper[i] == pytest.approx(
            np.mean(e > np.log(base["population_p95"].iloc[i] / mean[i])))
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
