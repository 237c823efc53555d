"""The prison backtest: every origin and horizon, naive benchmarks, empirical intervals, and the
same figures from the round's pipeline and the CLI."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from commissioning.assess.demand import pipeline
from commissioning.assess.demand.backtest import (
    BASE_METHODS,
    BENCHMARKS,
    METHOD_LABELS,
    METHODS,
    BacktestSettings,
    PrisonBacktest,
    benchmark_paths,
    chance_all_within,
    choose,
    coverage_p_value,
    horizon_quantiles,
    interval_quantiles,
    monthly_forecasts,
    prison_backtest,
)
from commissioning.assess.demand.prison import DemandError, PrisonHistory, reference_history
from commissioning.assess.demand.report_section import _backtest_table, _backtest_text
from commissioning.cli.app import _register, app
from commissioning.policy.parameters import ParameterSet
from policy_support import ROUND_DATE

runner = CliRunner()
_register()


@pytest.fixture(scope="module")
def bt(params: ParameterSet) -> PrisonBacktest:
    return prison_backtest(params.at(ROUND_DATE))


def test_every_origin_and_horizon_for_every_method(bt: PrisonBacktest) -> None:
    e = bt.errors
    assert set(e["method"]) == set(METHODS)
    assert sorted(e["origin"].unique()) == list(range(2000, 2023))  # Junes 2000-2022
    assert sorted(e["horizon_years"].unique()) == [1, 2, 3, 4, 5]
    # Every origin is scored at every horizon the real series reaches (to June 2023).
    per = e[e["method"] == "last_value"].groupby("origin")["horizon_years"].max()
    assert per.loc[2018] == 5 and per.loc[2020] == 3 and per.loc[2022] == 1
    assert len(e) == len(METHODS) * sum(min(5, 2023 - o) for o in range(2000, 2023))
    # Every method's row for an origin and year is compared with the same actual value.
    assert (e.groupby(["origin", "year"])["actual"].nunique() == 1).all()


def test_benchmarks_follow_their_definitions(params: ParameterSet) -> None:
    history = PrisonHistory({2000 + i: 100.0 * 1.1**i for i in range(8)}, {}, {})
    s = BacktestSettings.from_policy(params.at(ROUND_DATE))
    paths = benchmark_paths(history, 2006, np.array([1.0, 2.0]), s)
    assert paths["last_value"] == pytest.approx([100 * 1.1**6] * 2)
    # A pure exponential: drift and the log-linear trend both continue it exactly.
    assert paths["drift"] == pytest.approx([100 * 1.1**7, 100 * 1.1**8])
    assert paths["log_linear"] == pytest.approx([100 * 1.1**7, 100 * 1.1**8])
    # Damped: growth of 0.8 then 0.8 + 0.64 years of the drift.
    g = np.log(1.1)
    assert paths["damped_trend"] == pytest.approx(
        [100 * 1.1**6 * np.exp(g * 0.8), 100 * 1.1**6 * np.exp(g * 1.44)]
    )


def test_mape_table_matches_the_errors(bt: PrisonBacktest) -> None:
    table = bt.table()
    e = bt.errors
    for m in METHODS:
        for h in (1, 3, 5):
            want = e[(e["method"] == m) & (e["horizon_years"] == h)]["ape_pct"].mean()
            got = table.set_index("horizon_years").loc[h, f"mape_{m}_pct"]
            assert got == pytest.approx(want, abs=0.006)
    beaten = {h for h, *_ in bt.beaten_at()}
    for r in table.to_dict("records"):
        best = min(r[f"mape_{b}_pct"] for b in BENCHMARKS)
        assert (r["mape_selected_pct"] > best) == (r["horizon_years"] in beaten)
    # The headline beats the naive last value at every horizon on the real series.
    assert (table["mape_selected_pct"] < table["mape_last_value_pct"]).all()


def test_selected_is_the_method_chosen_on_errors_known_at_each_origin(
    bt: PrisonBacktest,
) -> None:
    s = bt.settings
    a = bt.all_errors
    for origin in (2000, 2004, 2011, 2020):
        known = a[(a["year"] <= origin) & a["method"].isin(s.candidates)]
        score = (np.abs(np.log(known["actual"] / known["forecast"]))
                 / np.sqrt(known["horizon_years"])).groupby(known["method"]).mean()
        want = str(score.idxmin()) if known.groupby("method").size().min() >= 12 else "combination"
        assert bt.choice(origin) == want
        chosen = bt.choices.set_index("origin").loc[origin, "chosen"]
        assert chosen == want
        sel = bt.errors[(bt.errors["origin"] == origin) & (bt.errors["method"] == "selected")]
        same = bt.errors[(bt.errors["origin"] == origin) & (bt.errors["method"] == want)]
        assert sel["forecast"].to_numpy() == pytest.approx(same["forecast"].to_numpy())
    # Before twelve errors of every candidate are known (origin 1995 has none), the fallback.
    assert choose(a, 1996, s)[0] == "combination"


def test_no_look_ahead_changing_later_years_does_not_change_an_origin(
    params: ParameterSet, bt: PrisonBacktest
) -> None:
    real = reference_history()
    # The population after June 2008 changes out of recognition (and remand and recall).
    june_2008 = 2008 * 12 + 5

    def monthly(series: dict[int, float]) -> dict[int, float]:
        return {m: v * 1.4 if m > june_2008 else v for m, v in series.items()}

    later = {y: (v * 1.4 if y > 2008 else v) for y, v in real.june_population.items()}
    changed = prison_backtest(params.at(ROUND_DATE), PrisonHistory(
        later, monthly(dict(real.remand)), monthly(dict(real.recall))))
    for origin in (2003, 2006, 2008):
        assert changed.choice(origin) == bt.choice(origin)
        for h in (1, 3, 5):
            for level in (0.8, 0.9):
                assert horizon_quantiles(changed.calibration, origin, h, level,
                                         changed.settings) == horizon_quantiles(
                    bt.calibration, origin, h, level, bt.settings)
    old = bt.choices.set_index("origin")
    new = changed.choices.set_index("origin")
    pd.testing.assert_frame_equal(new.loc[:2008], old.loc[:2008])
    # ... and the change is seen once its years are known.
    assert not new.loc[2012:].equals(old.loc[2012:])


def test_intervals_use_only_errors_known_at_the_origin(bt: PrisonBacktest) -> None:
    iv = bt.intervals
    assert set(iv["level"]) == {0.8, 0.9}
    for r in iv.sample(20, random_state=1).to_dict("records"):
        known = bt.calibration[bt.calibration["year"] <= r["origin"]]
        same = known[known["horizon_years"] == r["horizon_years"]]
        if r["basis"] == "horizon":
            assert r["calibration_errors"] == len(same) >= bt.settings.min_horizon_errors
        else:
            assert r["basis"] == "pooled" and len(same) < bt.settings.min_horizon_errors
            assert r["calibration_errors"] == len(known)
    # Wider at 90% than at 80%, and wider further ahead.
    w = iv.assign(width=iv["upper"] / iv["lower"])
    wide = w.pivot_table(index=["origin", "year"], columns="level", values="width").dropna()
    assert (wide[0.9] >= wide[0.8]).all()
    for origin in (2010, 2015):
        one = w[(w["origin"] == origin) & (w["level"] == 0.9)].sort_values("horizon_years")
        assert one["width"].is_monotonic_increasing
    # Coverage is measured, and reported between 0 and 100.
    assert 50 <= bt.coverage(0.8) <= 100 and bt.coverage(0.8) <= bt.coverage(0.9)


def test_coverage_by_horizon_on_the_real_series(bt: PrisonBacktest) -> None:
    table = bt.table().set_index("horizon_years")
    tol = bt.settings.coverage_tolerance_pp
    for level in (0.8, 0.9):
        tag = round(level * 100)
        cov = table[f"coverage_{tag}_pct"]
        # Never below nominal by more than the tolerance, never more than 10 points above.
        assert (cov >= tag - tol).all() and (cov <= min(tag + 10, 100)).all(), cov
        assert (table[f"coverage_{tag}_within_tolerance"] == ((cov - tag).abs() <= tol)).all()
    # The 80% interval four and five years ahead covers at most 90% (pooled errors scaled by
    # sqrt(h) covered 95% there).
    assert (table.loc[[4, 5], "coverage_80_pct"] <= 90.0).all()
    # Every miss is listed with its numbers.
    misses = bt.coverage_misses()
    assert {(h, lv) for h, lv, *_ in misses} == {
        (h, lv) for h in table.index for lv in (0.8, 0.9)
        if not table.loc[h, f"coverage_{round(lv * 100)}_within_tolerance"]}


def _binomial_pmf(k: int, n: int, p: float) -> float:
    from math import comb

    return comb(n, k) * p**k * (1 - p) ** (n - k)


def test_the_coverage_test_is_the_exact_two_sided_binomial_test() -> None:
    # By hand: the two-sided p sums the outcomes no more likely than the one observed.
    n, level = 23, 0.8
    for covered in (20, 23, 12):
        here = _binomial_pmf(covered, n, level)
        expected = sum(_binomial_pmf(k, n, level) for k in range(n + 1)
                       if _binomial_pmf(k, n, level) <= here * (1 + 1e-7))
        assert coverage_p_value(covered, n, level) == pytest.approx(min(expected, 1.0))
    assert coverage_p_value(12, 23, 0.8) < 0.05 < coverage_p_value(20, 23, 0.8)
    assert coverage_p_value(0, 0, 0.8) == 1.0


def test_the_chance_that_calibrated_intervals_meet_the_tolerance() -> None:
    # One level: the counts within 5 points of 80% of 20 are 15, 16 and 17.
    assert chance_all_within([20], [0.8], 5) == pytest.approx(
        sum(_binomial_pmf(k, 20, 0.8) for k in (15, 16, 17)))
    # One interval can only cover 0% or 100%: never within 5 points of 80%.
    assert chance_all_within([1], [0.8], 5) == 0.0
    # Two nested levels, brute force over every outcome of 5 origins (inside the 50% interval,
    # inside only the 90% one, outside both) against a 20-point tolerance.
    from itertools import product

    probs = {0: 0.5, 1: 0.4, 2: 0.1}
    brute = 0.0
    for outcome in product((0, 1, 2), repeat=5):
        in50 = sum(o == 0 for o in outcome) / 5
        in90 = sum(o <= 1 for o in outcome) / 5
        if abs(in50 - 0.5) <= 0.2 and abs(in90 - 0.9) <= 0.2:
            brute += float(np.prod([probs[o] for o in outcome]))
    assert chance_all_within([5], [0.5, 0.9], 20) == pytest.approx(brute)
    # Horizons multiply; many origins make the tolerance easy to meet.
    assert chance_all_within([20, 5], [0.8], 5) == pytest.approx(
        chance_all_within([20], [0.8], 5) * chance_all_within([5], [0.8], 5))
    assert chance_all_within([2000], [0.8, 0.9], 5) > 0.99


def test_the_backtest_tests_its_coverage_and_says_so(bt: PrisonBacktest) -> None:
    table = bt.table()
    alpha = bt.settings.coverage_test_alpha
    for level in bt.settings.levels:
        tag = round(level * 100)
        for r in table.to_dict("records"):
            part = bt.intervals[np.isclose(bt.intervals["level"], level)
                                & (bt.intervals["horizon_years"] == r["horizon_years"])]
            p = coverage_p_value(int(part["covered"].sum()), len(part), level)
            assert r[f"coverage_{tag}_p_value"] == pytest.approx(p, abs=5e-4)
            assert r[f"coverage_{tag}_consistent"] == (p >= alpha)
    assert {(h, lv) for h, lv, *_ in bt.coverage_rejections()} == {
        (int(r["horizon_years"]), lv) for r in table.to_dict("records")
        for lv in bt.settings.levels if not r[f"coverage_{round(lv * 100)}_consistent"]}
    sentence = bt.coverage_test_sentence()
    assert "exact binomial test" in sentence and "Kupiec" in sentence
    chance = chance_all_within(list(table["coverage_80_n"]), bt.settings.levels,
                               bt.settings.coverage_tolerance_pp)
    assert f"probability {chance * 100:.1f}%" in sentence
    at80 = bt.intervals[np.isclose(bt.intervals["level"], 0.8)]
    k, n = int(at80["covered"].sum()), len(at80)
    assert f"80%: {k} of {n} ({k / n * 100:.1f}%" in sentence
    above = all(table[f"coverage_{round(v * 100)}_pct"].gt(v * 100).all()
                for v in bt.settings.levels)
    assert ("Every cell is above nominal" in sentence) == above


def test_interval_quantiles_need_enough_errors() -> None:
    assert interval_quantiles(np.arange(5.0), 0.9, 12) is None
    lo, hi = interval_quantiles(np.linspace(-1, 1, 101), 0.8, 12) or (0.0, 0.0)
    assert lo == pytest.approx(-0.8) and hi == pytest.approx(0.8)


def test_projection_follows_the_headline_and_round_equals_cli(
    params: ParameterSet, bt: PrisonBacktest, tmp_path: Path
) -> None:
    a = pipeline.prison(params.at(ROUND_DATE), [], runs=6, seed=3)
    b = pipeline.prison(params.at(ROUND_DATE), [], runs=6, seed=3)
    pd.testing.assert_frame_equal(a.projection, b.projection)
    pd.testing.assert_frame_equal(a.backtest.table(), bt.table())
    chosen = bt.choice(a.origin // 12)
    assert a.chosen == chosen and chosen in BASE_METHODS
    paths = monthly_forecasts(params.at(ROUND_DATE), reference_history(), a.origin, 84,
                              bt.settings, chosen)
    base = a.projection[a.projection["scenario"] == "baseline"]
    assert base["population_mean"].to_numpy() == pytest.approx(paths["selected"], rel=2e-4)
    assert paths["selected"] == pytest.approx(paths[chosen])
    assert (base["population_p05"] < base["population_p10"]).all()
    assert (base["population_p10"] < base["population_mean"]).all()
    assert (base["population_mean"] < base["population_p90"]).all()
    assert "empirical" in a.interval_source
    head = a.headline()
    assert head["headline_method"] == "selected" and head["forecast_at_origin"] == chosen
    assert head["mape_1y_pct"] == pytest.approx(bt.mape(None, 1), abs=0.005)
    assert head["beaten_at_horizons"] == [h for h, *_ in bt.beaten_at()]
    # June 2013: the projection's error against the real population is reported as computed.
    err = a.june_error_pct(2013)
    assert err is not None and err == pytest.approx(
        (float(base[base["month"] == "2013-06"]["population_mean"].iloc[0]) / 84_249 - 1) * 100)
    # The report says what was chosen, the coverage by horizon and every miss, plainly.
    text = _backtest_text(SimpleNamespace(prison=a))  # type: ignore[arg-type]
    assert "without looking ahead" in text
    assert f"follows the {METHOD_LABELS[chosen].lower()}" in text
    for h in range(1, 6):
        assert f"{h} year{'s' if h > 1 else ''} ahead {bt.coverage(0.8, h):.1f}%" in text
    for h, level, cov, n in bt.coverage_misses():
        years = f"{h} year{'s' if h > 1 else ''} ahead"
        assert f"{years} ({round(level * 100)}% interval, {cov:.1f}% of {n})" in text
    html = _backtest_table(SimpleNamespace(prison=a))  # type: ignore[arg-type]
    assert "Selected (chosen on earlier origins" in html and "of 23" in html
    # The CLI with the same seed and runs writes the same projection and backtest table.
    result = runner.invoke(app, ["demand", "prison", "--out", str(tmp_path), "--runs", "6",
                                 "--seed", "3"])
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(tmp_path / "prison_projection.csv")
    assert cli["population_mean"].to_numpy() == pytest.approx(
        a.projection["population_mean"].to_numpy())
    table = pd.read_csv(tmp_path / "prison_backtest_table.csv")
    assert table["mape_selected_pct"].to_numpy() == pytest.approx(
        bt.table()["mape_selected_pct"].to_numpy())
    assert table["coverage_80_pct"].to_numpy() == pytest.approx(
        bt.table()["coverage_80_pct"].to_numpy())


def test_cli_backtest_prints_and_writes_the_table(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demand", "backtest", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "prison_backtest_table.csv")
    assert list(table["horizon_years"]) == [1, 2, 3, 4, 5]
    assert {"coverage_80_pct", "coverage_90_pct", "mape_damped_trend_pct",
            "coverage_80_within_tolerance"} <= set(table.columns)
    assert "Headline figure" in result.output
    assert "without looking ahead" in result.output
    assert "exact binomial test" in " ".join(result.output.split())
    assert {"coverage_80_p_value", "coverage_90_consistent"} <= set(table.columns)
    choices = pd.read_csv(tmp_path / "prison_backtest_choices.csv")
    assert list(choices["origin"]) == list(range(1995, 2023))
    intervals = pd.read_csv(tmp_path / "prison_backtest_intervals.csv")
    assert set(intervals["basis"]) <= {"horizon", "pooled"}
    assert (tmp_path / "prison_backtest.csv").exists()
    # the table fits an 80-column terminal: every method's full name, no truncated header
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    for label in ("Selected *", "Stock–flow model", "Damped trend", "Last value"):
        assert any(line.startswith(f"│ {label}") for line in lines), label
    assert "…" not in result.output
    assert "The round's projection (origin June 2011) follows the forecast selected there: " \
        "Damped trend" in " ".join(result.output.split())


def test_bad_backtest_parameters_are_named(params: ParameterSet) -> None:
    bad = params.with_overrides({"demand.prison_backtest": {"1990-01-01": {
        **params.value("demand.prison_backtest", ROUND_DATE), "headline": "crystal_ball"}}})
    with pytest.raises(DemandError, match="crystal_ball"):
        prison_backtest(bad.at(ROUND_DATE))
    bad = params.with_overrides({"demand.prison_forecast_selection": {"1990-01-01": {
        **params.value("demand.prison_forecast_selection", ROUND_DATE),
        "candidates": ["damped_trend", "tea_leaves"]}}})
    with pytest.raises(DemandError, match="tea_leaves"):
        prison_backtest(bad.at(ROUND_DATE))


def test_a_stricter_test_level_lists_the_cells_it_rejects(params: ParameterSet) -> None:
    # At level 0.5 the cells with p below 0.5 are rejected (the real series: some, not all).
    strict = params.with_overrides({"demand.prison_intervals": {"1990-01-01": {
        **params.value("demand.prison_intervals", ROUND_DATE), "coverage_test_alpha": 0.5}}})
    bt = prison_backtest(strict.at(ROUND_DATE))
    table = bt.table()
    expected = {(int(r["horizon_years"]), lv) for r in table.to_dict("records")
                for lv in bt.settings.levels if r[f"coverage_{round(lv * 100)}_p_value"] < 0.5}
    rejected = bt.coverage_rejections()
    assert {(h, lv) for h, lv, *_ in rejected} == expected
    assert 0 < len(expected) < 10
    for h, lv, cov, p in rejected:
        assert p < 0.5 and cov == round(bt.coverage(lv, h), 1)
    sentence = bt.coverage_test_sentence()
    assert f"rejects nominal coverage in {len(expected)} of 10 cells at the 0.5 level" in sentence
    bad = params.with_overrides({"demand.prison_intervals": {"1990-01-01": {
        **params.value("demand.prison_intervals", ROUND_DATE), "coverage_test_alpha": 1.5}}})
    with pytest.raises(DemandError, match="coverage_test_alpha"):
        prison_backtest(bad.at(ROUND_DATE))
