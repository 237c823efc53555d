"""The equality impact screen on hand-made data: who loses services, flags, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commissioning.policy.parameters import ParameterSet
from commissioning.review.equality import equality_impact
from policy_support import ROUND_DATE

KEYS = {"setting": "custody", "offence_group": "violence", "harm": "low", "region": "North",
        "sex": "male", "ogrs_medium_high": True}


def people(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """(risk tier, ethnicity, age, count): one row per person."""
    out = []
    for tier, ethnicity, age, count in rows:
        out += [{**KEYS, "risk_tier": tier, "ethnicity": ethnicity, "age_at_assessment": age}
                ] * count
    return pd.DataFrame(out)


def portfolio(cells: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """(service, risk tier, baseline places, planned places)."""
    return pd.DataFrame([{**KEYS, "service_id": s, "risk_tier": t, "evidence_category":
                          "promising", "baseline_volume": b, "planned_volume": p}
                         for s, t, b, p in cells])


# Three cells of different sizes (not symmetric): the low tier, mostly group "asian", loses
# every place; the high tier, mostly "white", gains; a tiny "mixed" group of 3 people.
PEOPLE = people([
    ("low", "asian", 30, 300), ("low", "white", 40, 100),
    ("high", "white", 22, 900), ("high", "asian", 27, 60), ("high", "mixed", 33, 3),
    ("medium", "white", 55, 40), ("medium", "unknown", 45, 25),
])
PLAN = portfolio([
    ("mentoring", "low", 200.0, 0.0), ("mentoring", "high", 300.0, 480.0),
    ("employment_support", "medium", 50.0, 50.0), ("employment_support", "high", 20.0, 0.0),
])


def test_the_group_that_loses_services_is_flagged_with_an_interval(params: ParameterSet) -> None:
    result = equality_impact(PEOPLE, PLAN, params.at(ROUND_DATE), draws=200, seed=1)
    eth = result.table[result.table["characteristic"] == "ethnicity"].set_index("group")
    # asian: 300/400 of the low cell's 200 lost places + 60/963 of the high cell's 20
    lost_asian = 200 * 300 / 400 + 20 * 60 / 963
    assert eth.loc["asian", "loss_share_pct"] == pytest.approx(100 * lost_asian / 220)
    base_asian = 200 * 300 / 400 + 320 * 60 / 963
    assert eth.loc["asian", "baseline_share_pct"] == pytest.approx(100 * base_asian / 570)
    ratio = (lost_asian / 220) / (base_asian / 570)
    assert eth.loc["asian", "ratio_vs_baseline"] == pytest.approx(ratio)
    assert eth.loc["asian", "ratio_vs_baseline_low"] > 1.0
    assert eth.loc["asian", "ratio_vs_baseline_low"] <= ratio <= eth.loc[
        "asian", "ratio_vs_baseline_high"]
    assert bool(eth.loc["asian", "adverse"]) and not bool(eth.loc["white", "adverse"])
    # 'not known' is shown, never assessed; 3 people are suppressed (and the rest of the
    # characteristic still adds up, so secondary suppression withholds one more group)
    assert not bool(eth.loc["unknown", "adverse"])
    assert bool(eth.loc["mixed", "suppressed"]) and np.isnan(eth.loc["mixed", "people"])
    assert eth["suppressed"].sum() >= 2
    assert "possible adverse impact on Asian" in result.screening["ethnicity"]
    # age bands from the age at assessment
    age = result.table[result.table["characteristic"] == "age_band"].set_index("group")
    assert age.loc["18_24", "people"] == 900 and age.loc["50_plus", "people"] == 40


def test_the_threshold_is_a_dated_parameter(params: ParameterSet) -> None:
    strict = params.with_overrides({"review.equality_adverse_ratio": {"2011-04-05": 5.0}})
    result = equality_impact(PEOPLE, PLAN, strict.at(ROUND_DATE), draws=50, seed=1)
    assert result.threshold == 5.0
    assert not result.table["adverse"].any()
    assert "no adverse impact found at the threshold of 5" in result.screening["ethnicity"]
