"""Payment by results: the published decisions, and decisions that flip exactly at thresholds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from commissioning.review.pbr import SchemeError, builtin_schemes, calculate, load_scheme
from commissioning.review.performance import Bands, load_indicators, rate_providers
from policy_support import ROUND_DATE

SCHEMES = builtin_schemes()


def test_peterborough_cohort_1_is_an_8_4_percent_reduction_and_earns_no_payment() -> None:
    [d] = calculate(SCHEMES["peterborough"],
                    [{"cohort": "1", "events_per_100": 142, "comparison_events_per_100": 155}])
    assert d.change == pytest.approx(0.0839, abs=5e-4)
    assert d.decision == "not paid" and d.amount == 0.0
    assert "8.4% reduction" in d.evidence


def test_peterborough_all_cohorts_at_9_percent_pays_at_the_7_5_percent_threshold() -> None:
    [d] = calculate(SCHEMES["peterborough"],
                    [{"cohort": "all", "events_per_100": 91, "comparison_events_per_100": 100}])
    assert d.threshold == 0.075 and d.decision == "paid"


def test_peterborough_flips_exactly_at_10_percent() -> None:
    rows = [{"cohort": "x", "events_per_100": e, "comparison_events_per_100": 100}
            for e in (90.0, 90.01)]
    assert [d.decision for d in calculate(SCHEMES["peterborough"], rows)] == ["paid", "not paid"]


def test_doncaster_cohort_1_paid_and_cohort_2_repays_ten_percent() -> None:
    rows = [{"cohort": "1", "change_pp": -5.7, "contract_value": 1_000_000},
            {"cohort": "2", "change_pp": -3.3, "contract_value": 1_000_000}]
    one, two = calculate(SCHEMES["doncaster"], rows)
    assert one.decision == "paid" and "0.7 pp in the bonus band" in one.evidence
    assert two.decision == "repaid" and two.amount == pytest.approx(-100_000)


def test_doncaster_flips_exactly_at_5_points_from_rates() -> None:
    rows = [{"cohort": "a", "rate_pct": 40.0, "baseline_rate_pct": 45.0},
            {"cohort": "b", "rate_pct": 40.01, "baseline_rate_pct": 45.0}]
    assert [d.decision for d in calculate(SCHEMES["doncaster"], rows)] == ["paid", "repaid"]


def test_crc_pays_only_on_a_significant_adjusted_change() -> None:
    base = {"cohort": "c", "cohort_size": 5000, "baseline_cohort_size": 5000,
            "baseline_rate": 0.36, "predicted_rate": 0.35, "baseline_predicted_rate": 0.36}
    big = calculate(SCHEMES["crc_2015"], [{**base, "rate": 0.31}])[0]
    assert big.provider_value == pytest.approx(0.32) and big.decision == "paid"
    small = calculate(SCHEMES["crc_2015"], [{**base, "rate": 0.34}])[0]
    assert small.decision == "no payment (not significant)" and small.amount == 0.0
    worse = calculate(SCHEMES["crc_2015"], [{**base, "rate": 0.40}])[0]
    assert worse.decision == "deducted" and worse.amount is not None and worse.amount < 0


def test_rate_card_caps_units_and_the_total_and_splits_by_payer() -> None:
    out = calculate(SCHEMES["rate_card_example"],
                    [{"period": "2013", "no_proven_reoffence_12m": 500, "entered_employment": 10}])
    first, total = out[0], out[-1]
    assert first.reference_value == 400  # units capped
    assert total.provider_value == 400 * 1500 + 10 * 800
    assert total.amount == pytest.approx(600_000) and "commissioner 420,000" in total.evidence


def test_a_scheme_file_missing_a_setting_says_which(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nname: X\nmechanism: binary_vs_baseline\nthreshold_pp: 5\n")
    with pytest.raises(SchemeError, match="amount_at_risk_fraction"):
        load_scheme(path)


def test_ratings_band_providers_from_indicator_scores(params: object) -> None:
    from commissioning.policy.parameters import ParameterSet

    assert isinstance(params, ParameterSet)
    values = pd.DataFrame({
        "provider_id": ["A", "B", "C"],
        "adjusted_reoffending_ratio": [0.90, 1.02, 1.20],
        "frequency_per_offender": [1.0, 1.5, 1.7],
    })
    ratings = rate_providers(values, load_indicators(), Bands.from_policy(params.at(ROUND_DATE)))
    t = ratings.table.set_index("provider_id")
    assert t.loc["A", "mean_score"] == 4.0 and t.loc["A", "band"] == 4
    assert t.loc["B", "mean_score"] == pytest.approx((3 * 2 + 2) / 4) and t.loc["B", "band"] == 2
    assert t.loc["C", "band"] == 1 and t.loc["C", "band_label"] == "Serious concern"
    assert "Not rated (no data): completion_rate, unit_cost" in ratings.method
