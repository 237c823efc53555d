"""Impact evaluation: matching recovers an effect planted with selection on observed variables."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from commissioning.review.evaluate import EvaluationOptions, TooFewPeople, e_value, evaluate
from commissioning.review.matching import match
from policy_support import POLICY

#: The evaluation settings in force (review.evaluation).
OPTIONS = EvaluationOptions.from_policy(POLICY)

TRUE_EFFECT = -0.10  # risk difference planted for the treated


def planted_cohort(n: int = 5000, seed: int = 6) -> pd.DataFrame:
    """Higher-risk people are far more likely to be treated; treatment lowers risk by 10 pp."""
    rng = np.random.default_rng(seed)
    ogrs = rng.uniform(0.1, 0.9, n)
    female = rng.random(n) < 0.15
    previous = rng.poisson(2 + 10 * ogrs)
    need_drugs = rng.random(n) < 0.2 + 0.5 * ogrs
    treat_logit = -2.2 + 6.0 * (ogrs - 0.5) + 0.8 * need_drugs
    treated = rng.random(n) < 1 / (1 + np.exp(-treat_logit))
    p = 0.15 + 0.6 * ogrs + 0.05 * need_drugs + TRUE_EFFECT * treated
    reoffended = rng.random(n) < p
    index = pd.Timestamp("2010-06-01")
    born = index - pd.to_timedelta(rng.integers(18 * 365, 50 * 365, n), unit="D")
    return pd.DataFrame({
        "offender_id": [f"p{i}" for i in range(n)],
        "index_date": index,
        "index_type": "court_order",
        "provider_id": "P1",
        "sex": np.where(female, "female", "male"),
        "date_of_birth": born,
        "first_sanction_date": born + pd.to_timedelta(16 * 365, unit="D"),
        "previous_sanctions": previous,
        "ogrs3_2y": ogrs,
        "need_drugs": need_drugs,
        "reoffended": reoffended,
        "reoffences": np.where(reoffended, 1 + rng.poisson(2, n), 0),
        "days_to_first": np.where(reoffended, rng.integers(1, 366, n), np.nan),
        "treated": treated,
    })


def test_matching_recovers_a_planted_effect_that_the_naive_comparison_misses() -> None:
    cohort = planted_cohort()
    t = cohort["treated"]
    naive = cohort.loc[t, "reoffended"].mean() - cohort.loc[~t, "reoffended"].mean()
    assert abs(naive - TRUE_EFFECT) > 0.08  # selection on risk hides most of the effect
    result = evaluate(cohort, cohort.loc[t, "offender_id"], "planted service",
                      dataclasses.replace(OPTIONS, max_fit_pool=None))
    assert result.treated_n == int(t.sum()) and result.matched_n >= 0.95 * result.treated_n
    b = result.binary
    assert b.ci_lower <= TRUE_EFFECT <= b.ci_upper
    assert abs(b.difference - TRUE_EFFECT) < 0.04
    assert b.significant and "less likely to reoffend" in result.conclusion
    smd = {row.variable: row for row in result.balance}
    assert abs(smd["ogrs3_2y"].smd_before) > 0.5
    assert all(abs(row.smd_after) < 0.1 for row in result.balance)
    assert result.sensitivity.risk_ratio < 1 and result.sensitivity.e_value > 1


def test_without_replacement_uses_each_comparison_person_once() -> None:
    cohort = planted_cohort(3000, seed=3)
    t = cohort["treated"]
    result = evaluate(cohort, cohort.loc[t, "offender_id"], "x",
                      dataclasses.replace(OPTIONS, replacement=False, neighbours=2))
    assert result.comparison_n <= 2 * result.matched_n
    rng = np.random.default_rng(1)
    pool, treated = rng.normal(size=2000), rng.normal(0.5, 1, 300)
    m = match(treated, pool, neighbours=2, caliper_sd=0.2, replacement=False)
    assert len(set(m.comparison.tolist())) == m.comparison.size
    assert np.all(np.abs(treated[m.treated] - pool[m.comparison]) <= m.caliper + 1e-12)


def test_matching_with_replacement_finds_the_nearest_neighbours() -> None:
    pool = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    m = match(np.array([0.9, 2.6, 9.0]), pool, neighbours=2, caliper_sd=None)
    pairs = sorted(zip(m.treated.tolist(), m.comparison.tolist(), strict=True))
    assert pairs == [(0, 0), (0, 1), (1, 2), (1, 3), (2, 3), (2, 4)]
    assert m.off_support == 0
    off = match(np.array([-5.0, 1.0]), pool, neighbours=1, caliper_sd=None)
    assert off.off_support == 1 and off.treated.tolist() == [1]


def test_fewer_than_60_treated_people_is_refused_clearly() -> None:
    cohort = planted_cohort(800, seed=5)
    with pytest.raises(TooFewPeople, match="at least 60"):
        evaluate(cohort, cohort["offender_id"].head(59), "small pilot", OPTIONS)


def test_e_value_matches_vanderweele_and_ding() -> None:
    from commissioning.review.evaluate import OutcomeComparison

    b = OutcomeComparison(0.26, 0.35, -0.09, -0.14, -0.02, 0.01)
    ev = e_value(b, 0.0008, 0.0008)
    rr = 0.35 / 0.26
    assert ev.e_value == pytest.approx(rr + np.sqrt(rr * (rr - 1)))
    assert 1.0 < ev.e_value_ci < ev.e_value


def test_gradient_boosting_option_runs_and_balances() -> None:
    cohort = planted_cohort(2000, seed=11)
    t = cohort["treated"]
    result = evaluate(cohort, cohort.loc[t, "offender_id"], "x",
                      dataclasses.replace(OPTIONS, model="gradient_boosting"))
    assert "gradient boosting" in result.method
    assert abs({r.variable: r for r in result.balance}["ogrs3_2y"].smd_after) < 0.1
