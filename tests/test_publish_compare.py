"""Recomputed profiles beside the published Tables 1-2: merging tiers and differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commissioning.publish.compare import (
    ComparisonError,
    compare_need_prevalence,
    compare_risk_profile,
    load_published_need_prevalence,
    load_published_risk_profile,
    merge_tiers,
)
from policy_support import POLICY

#: The tolerance in force (publish.comparison_tolerance_pp).
TOL = POLICY.number("publish.comparison_tolerance_pp")

PUBLISHED = pd.DataFrame(
    {
        "setting": ["community"] * 3,
        "offence_group": ["sex"] * 3,
        "risk_tier": ["low", "medium", "high+very_high"],
        "share_pct": [41.0, 5.0, 54.0],
        "under_25_pct": [13.0, 34.0, 15.0],
        "female_pct": [2.0, 1.0, 1.0],
        "note": ["", "", "merged"],
    }
)


def recomputed(**overrides: list[float]) -> pd.DataFrame:
    """A community sex-offender profile of 1,000 people in four tiers."""
    frame = pd.DataFrame(
        {
            "setting": ["community"] * 4,
            "offence_group": ["sex"] * 4,
            "risk_tier": ["low", "medium", "high", "very_high"],
            "offenders": [400, 60, 140, 400],
            "share_pct": [40.0, 6.0, 14.0, 40.0],
            "under_25_pct": [10.0, 30.0, 30.0, 10.0],
            "female_pct": [2.0, 1.0, 5.0, 0.0],
        }
    )
    for col, values in overrides.items():
        frame[col] = values
    return frame


def row(frame: pd.DataFrame, tier: str) -> pd.Series:
    hit = frame[frame["risk_tier"] == tier]
    assert len(hit) == 1, f"expected one {tier} row, got {len(hit)}"
    return hit.iloc[0]


def test_merged_tier_sums_offenders_and_shares_and_weights_age_and_sex_shares() -> None:
    merged = row(merge_tiers(recomputed(), PUBLISHED), "high+very_high")
    assert merged["offenders"] == 540
    assert merged["share_pct"] == pytest.approx(54.0)
    # (140 × 30 + 400 × 10) / 540 = 8200 / 540
    assert merged["under_25_pct"] == pytest.approx(8200 / 540)
    # (140 × 5 + 400 × 0) / 540 = 700 / 540
    assert merged["female_pct"] == pytest.approx(700 / 540)


def test_differences_are_recomputed_minus_published_after_merging() -> None:
    out = compare_risk_profile(recomputed(), PUBLISHED, tolerance_pp=TOL)
    assert list(out["risk_tier"]) == ["low", "medium", "high+very_high"]
    low = row(out, "low")
    assert low["share_diff_pp"] == pytest.approx(-1.0)
    assert low["under_25_diff_pp"] == pytest.approx(-3.0)
    assert low["female_diff_pp"] == pytest.approx(0.0)
    merged = row(out, "high+very_high")
    assert merged["offenders"] == 540
    assert merged["share_diff_pp"] == pytest.approx(0.0)
    assert merged["under_25_diff_pp"] == pytest.approx(8200 / 540 - 15)
    assert merged["note"] == "merged"


def test_differences_over_the_tolerance_are_flagged_and_others_are_not() -> None:
    out = compare_risk_profile(recomputed(), PUBLISHED, tolerance_pp=1.5)
    flags = dict(zip(out["risk_tier"], out["over_tolerance"], strict=True))
    # low: |−3.0| under-25 difference; medium: |30 − 34| = 4; merged: 15.19 − 15 = 0.19.
    assert flags == {"low": True, "medium": True, "high+very_high": False}
    assert row(out, "medium")["max_abs_diff_pp"] == pytest.approx(4.0)
    loose = compare_risk_profile(recomputed(), PUBLISHED, tolerance_pp=5.0)
    assert not loose["over_tolerance"].any()


def test_a_suppressed_part_suppresses_the_merged_figure_instead_of_revealing_it() -> None:
    frame = recomputed(
        offenders=[400, 60, np.nan, 400],
        share_pct=[40.0, 6.0, np.nan, 40.0],
        female_pct=[2.0, 1.0, np.nan, 0.0],
    )
    merged = row(compare_risk_profile(frame, PUBLISHED, tolerance_pp=TOL), "high+very_high")
    assert merged["offenders"] is pd.NA
    for col in ("share_pct", "under_25_pct", "female_pct", "share_diff_pp", "female_diff_pp"):
        assert math.isnan(merged[col]), col
    assert not merged["over_tolerance"]


def test_a_suppressed_percentage_in_an_unmerged_tier_has_no_difference() -> None:
    frame = recomputed(female_pct=[2.0, np.nan, 5.0, 0.0])
    medium = row(compare_risk_profile(frame, PUBLISHED, tolerance_pp=TOL), "medium")
    assert math.isnan(medium["female_pct"]) and math.isnan(medium["female_diff_pp"])
    assert medium["share_diff_pp"] == pytest.approx(1.0)


def test_by_columns_are_each_compared_with_the_national_figures() -> None:
    a = recomputed().assign(provider_id="N01")
    b = recomputed(share_pct=[45.0, 1.0, 14.0, 40.0]).assign(provider_id="N02")
    frame = pd.concat([a, b])[["provider_id", *recomputed().columns]]
    out = compare_risk_profile(frame, PUBLISHED, tolerance_pp=TOL)
    assert list(out.columns[:2]) == ["provider_id", "setting"]
    assert len(out) == 6
    lows = out[out["risk_tier"] == "low"].set_index("provider_id")["share_diff_pp"]
    assert lows.to_dict() == pytest.approx({"N01": -1.0, "N02": 4.0})


def test_missing_columns_are_reported_by_name() -> None:
    with pytest.raises(ComparisonError, match="offenders"):
        compare_risk_profile(recomputed().drop(columns="offenders"), PUBLISHED, tolerance_pp=TOL)


def test_published_tables_load_with_merged_rows_and_six_needs_per_group() -> None:
    risk = load_published_risk_profile()
    assert len(risk) == 30
    assert set(risk.loc[risk["risk_tier"].str.contains("+", regex=False), "risk_tier"]) == {
        "high+very_high",
        "medium+high",
    }
    needs = load_published_need_prevalence()
    assert needs.groupby(["setting", "offence_group"]).size().eq(6).all()


def test_the_published_figures_compared_with_themselves_differ_by_nothing() -> None:
    published = load_published_risk_profile()
    as_profile = published.assign(offenders=100).drop(columns="note")
    out = compare_risk_profile(as_profile, tolerance_pp=TOL)
    assert len(out) == 30
    assert out["max_abs_diff_pp"].max() == 0
    assert not out["over_tolerance"].any()


def need_profile() -> pd.DataFrame:
    codes = ["relationships", "thinking", "lifestyle", "attitudes", "ete", "accommodation"]
    codes += ["finance", "drugs", "alcohol", "emotional"]
    prevalence = [70.0, 74.0, 58.0, 56.0, 45.0, 39.0, 20.0, 30.0, 10.0, np.nan]
    return pd.DataFrame(
        {
            "setting": "community",
            "offence_group": "sex",
            "need": codes,
            "offenders_with_need": [round(10 * p) if p == p else pd.NA for p in prevalence],
            "prevalence_pct": prevalence,
        }
    )


def test_need_comparison_ranks_all_ten_needs_and_compares_the_published_six() -> None:
    published = load_published_need_prevalence()
    out = compare_need_prevalence(need_profile(), published, tolerance_pp=TOL)
    out = out[(out["setting"] == "community") & (out["offence_group"] == "sex")]
    assert len(out) == 10
    assert list(out["need"][:3]) == ["thinking", "relationships", "lifestyle"]
    assert list(out["rank"]) == list(range(1, 11))
    by_need = out.set_index("need")
    assert by_need.loc["relationships", "diff_pp"] == pytest.approx(70 - 72)
    assert by_need.loc["thinking", "diff_pp"] == pytest.approx(74 - 71)
    assert bool(by_need.loc["thinking", "over_tolerance"])
    assert not bool(by_need.loc["lifestyle", "over_tolerance"])
    assert by_need.loc["relationships", "rank_published"] == 1
    # Needs the document does not list have no published figure and no difference.
    assert math.isnan(by_need.loc["drugs", "prevalence_pct_published"])
    assert math.isnan(by_need.loc["drugs", "diff_pp"])
    # The suppressed need ranks last and is never compared.
    assert by_need.loc["emotional", "rank"] == 10
    assert by_need.loc["relationships", "need_label"] == "Relationships"


def test_columns_after_the_standard_ones_are_not_groupings() -> None:
    frame = recomputed().assign(under_25=[40, 18, 42, 40], group_offenders=1000)
    out = compare_risk_profile(frame, PUBLISHED, tolerance_pp=TOL)
    assert list(out.columns[:3]) == ["setting", "offence_group", "risk_tier"]
    assert len(out) == 3


@given(
    offenders=st.lists(st.integers(min_value=0, max_value=10_000), min_size=4, max_size=4),
    under_25=st.lists(st.floats(min_value=0, max_value=100), min_size=4, max_size=4),
)
def test_merging_keeps_the_total_and_the_weighted_mean(
    offenders: list[int], under_25: list[float]
) -> None:
    total = sum(offenders)
    shares = [100 * n / total if total else 0.0 for n in offenders]
    frame = recomputed(offenders=offenders, share_pct=shares, under_25_pct=under_25)
    out = compare_risk_profile(frame, PUBLISHED, tolerance_pp=TOL)
    assert int(out["offenders"].sum()) == total
    assert out["share_pct"].sum() == pytest.approx(sum(shares))
    merged = row(out, "high+very_high")
    high_n, very_high_n = offenders[2], offenders[3]
    if high_n + very_high_n:
        expected = (under_25[2] * high_n + under_25[3] * very_high_n) / (high_n + very_high_n)
        assert merged["under_25_pct"] == pytest.approx(expected)
        assert min(under_25[2:]) - 1e-9 <= merged["under_25_pct"] <= max(under_25[2:]) + 1e-9
    else:
        assert math.isnan(merged["under_25_pct"])
