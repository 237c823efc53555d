"""Prison population model: stock–flow identities, Little's law, scenarios, backtest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from commissioning.assess.demand import prison as P
from commissioning.assess.demand.scenarios import (
    BASELINE,
    Scenario,
    _parse,
    built_in_scenario,
    load_scenario,
    remand_recall_check,
    run_scenarios,
    scenario_peak,
    series_mape,
)
from commissioning.policy.parameters import ParameterSet
from policy_support import ROUND_DATE


@pytest.fixture(scope="module")
def model(params: ParameterSet) -> P.PrisonModel:
    return P.calibrate(params.at(ROUND_DATE), horizon=36)


def test_origin_is_the_real_june_2011_population(model: P.PrisonModel) -> None:
    assert model.initial_stock.sum() == pytest.approx(85_951)
    remand = sum(model.initial_stock[i] for i, (b, _) in enumerate(P.STRATA) if b == "remand")
    assert remand == pytest.approx(P.reference_history().remand[P.month_index("2011-06")])


def test_population_is_previous_plus_receptions_minus_releases(model: P.PrisonModel) -> None:
    sim = P.simulate(model, runs=20, seed=1)
    previous = np.concatenate([sim.initial[:, None, :], sim.population[:, :-1, :]], axis=1)
    assert np.array_equal(sim.population, previous + sim.receptions - sim.releases)
    assert (sim.population >= 0).all() and (sim.releases >= 0).all()
    assert sim.total.shape == (20, 36)


def test_littles_law_at_steady_state() -> None:
    median, sigma, inflow = 6.0, 0.5, 1_000.0
    mean_ts = P.mean_time_served(median, sigma)
    n = len(P.STRATA)
    horizon = 48
    model = P.PrisonModel(
        origin=P.month_index("2011-06"),
        horizon=horizon,
        initial_stock=np.full(n, inflow * mean_ts),
        receptions=np.full((horizon, n), inflow),
        hazard=np.broadcast_to(P.hazards(median, sigma), (horizon, n, P.MAX_AGE)).copy(),
        initial_ages=np.broadcast_to(P.steady_state_ages(median, sigma), (n, P.MAX_AGE)).copy(),
        growth=0.0,
        growth_sd=0.0,
        time_served_log_sd=0.0,
    )
    sim = P.simulate(model, runs=40, seed=3, growth=False)
    per_stratum = sim.population[:, 12:, :].mean()
    assert per_stratum == pytest.approx(inflow * mean_ts, rel=0.01)
    assert 6.0 < mean_ts < 8.0  # lognormal mean exp(mu + sigma^2/2) = 6.8, rounded up to months


def test_a_scenario_with_no_changes_equals_the_baseline(params: ParameterSet) -> None:
    results = run_scenarios(params.at(ROUND_DATE), [Scenario("no_change")], runs=10, seed=5,
                            horizon=24)
    base, same = results[0].simulation, results[1].simulation
    assert results[0].scenario.name == BASELINE
    assert np.array_equal(base.population, same.population)


def test_public_disorder_peaks_about_1000_in_february_2012(params: ParameterSet) -> None:
    results = run_scenarios(params.at(ROUND_DATE), [built_in_scenario("public_disorder")], runs=30,
                            horizon=24)
    month, size = scenario_peak(results, "public_disorder")
    assert month in ("2012-01", "2012-02", "2012-03")
    assert 850 < size < 1_150
    diff = results[1].simulation.total.mean(axis=0) - results[0].simulation.total.mean(axis=0)
    december = results[0].simulation.months.index("2012-12")
    assert diff[december] < size / 2  # falling through the year


def test_indeterminate_share_reaches_17_percent_by_march_2013_and_stays(
    params: ParameterSet,
) -> None:
    results = run_scenarios(params.at(ROUND_DATE), [built_in_scenario("indeterminate_17")], runs=20)
    base = P.band_shares(results[0].simulation, "2013-03")["indeterminate"]
    raised = P.band_shares(results[1].simulation, "2013-03")["indeterminate"]
    assert 0.155 < base < 0.163
    assert 0.166 < raised < 0.174
    months = results[1].simulation.months
    later = [m for m in months if m >= "2013-03"]
    shares = [P.band_shares(results[1].simulation, m)["indeterminate"] for m in later]
    assert later[-1] == "2018-06"
    assert min(shares) > 0.165 and max(shares) < 0.175  # stays at 17% to the end


def test_every_built_in_scenario_names_its_start_end_and_phase_in() -> None:
    for name in ("public_disorder", "sentencing_reform", "indeterminate_17"):
        sc = built_in_scenario(name)
        assert sc.start and sc.end and sc.phase_in_months >= 0, name
        assert P.month_index(sc.start) <= P.month_index(sc.end)
        assert sc.start in sc.window and sc.end in sc.window


def test_a_scenario_ends_and_phases_in(params: ParameterSet) -> None:
    doc = {
        "name": "ramp", "start": "2012-01", "end": "2012-12", "phase_in_months": 4,
        "overrides": {"demand.prison_reception_multiplier": {"2012-01-01": {
            "remand": 1.0, "under_12m": 2.0, "12m_to_4y": 1.0, "4y_plus": 1.0,
            "indeterminate": 1.0, "recall": 1.0}}},
    }
    sc = _parse(doc, "ramp", "test")
    p = sc.apply(params)
    value = p.value
    name = "demand.prison_reception_multiplier"
    assert value(name, dt.date(2011, 12, 1))["under_12m"] == 1.0
    assert value(name, dt.date(2012, 1, 1))["under_12m"] == pytest.approx(1.25)
    assert value(name, dt.date(2012, 3, 1))["under_12m"] == pytest.approx(1.75)
    assert value(name, dt.date(2012, 4, 1))["under_12m"] == 2.0
    assert value(name, dt.date(2012, 12, 1))["under_12m"] == 2.0
    assert value(name, dt.date(2013, 1, 1))["under_12m"] == 1.0  # ended
    results = run_scenarios(params.at(ROUND_DATE), [sc], runs=10, seed=2)
    rec = [r.simulation.receptions.mean(axis=(0, 2)) for r in results]
    months = results[0].simulation.months
    assert rec[1][months.index("2012-06")] > rec[0][months.index("2012-06")] * 1.05
    # Receptions are back to the baseline's after the end (same seed, same draws).
    after = months.index("2013-01")
    assert rec[1][after:].sum() == pytest.approx(rec[0][after:].sum(), rel=0.01)


def test_a_scenario_without_a_window_or_outside_it_is_refused() -> None:
    doc: dict[str, object] = {"name": "x", "overrides": {"demand.prison_reception_shocks": {}}}
    with pytest.raises(P.DemandError, match="start, end and phase-in"):
        _parse(doc, "x", "x.yaml")
    doc.update(start="2012-06", end="2012-01", phase_in_months=0)
    with pytest.raises(P.DemandError, match="before start"):
        _parse(doc, "x", "x.yaml")


def test_expected_path_is_the_monte_carlo_mean(params: ParameterSet) -> None:
    model = P.calibrate(params.at(ROUND_DATE), horizon=24)
    expected = P.expected_total(model)
    sim = P.simulate(model, runs=200, seed=4)
    assert sim.total.mean(axis=0) == pytest.approx(expected, rel=0.01)


def test_remand_and_recall_are_checked_against_the_monthly_series(params: ParameterSet) -> None:
    frame = remand_recall_check(params.at(ROUND_DATE))
    assert len(frame) > 50  # monthly remand and recall, July 2011 - December 2014
    assert set(frame["series"]) == {"remand", "recall"}
    assert series_mape(frame, "remand") < 15


def test_bad_scenario_files_say_what_is_wrong(tmp_path: Path, params: ParameterSet) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(P.DemandError, match="mapping"):
        load_scenario(bad)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("no.such.parameter: {2012-01-01: 1}\n", encoding="utf-8")
    with pytest.raises(P.DemandError, match=r"no\.such\.parameter"):
        run_scenarios(params.at(ROUND_DATE), [load_scenario(unknown)], runs=2, horizon=3)
