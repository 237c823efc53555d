"""OGRS3 scoring and risk tiers: the published known values, birthday edge cases, the cap,
the clamp, the tier rule, and agreement between the relational and NumPy scorers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
import yaml

from commissioning.assess import ogrs3
from commissioning.assess.risk import RISK_COLUMNS, RiskRules, classify, score
from commissioning.engine import backend
from commissioning.policy.parameters import ParameterSet
from commissioning.schema.contract import OFFENCES
from policy_support import ROUND_DATE

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "ogrs3.yaml").read_text())
DATE_COLS = ("date_of_birth", "conviction_date", "first_sanction_date", "assessment_date")


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    base = {"offender_id": "x", "setting": "community", "provider_id": "LDN", "rosh": "low"}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for col in DATE_COLS:
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


def _score(con: Any, params: ParameterSet, frame: pd.DataFrame) -> pd.DataFrame:
    rules = RiskRules.from_policy(params.at(ROUND_DATE))
    result: pd.DataFrame = backend.execute(con, score(ibis.memtable(frame), rules))
    return result


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_ogrs3_case(case: dict[str, Any], con: Any, params: ParameterSet) -> None:
    row = _score(con, params, _frame([case["input"]])).iloc[0]
    expected = case["output"]
    for key, value in expected.items():
        if key == "ogrs3_2y_percent":
            assert int(ogrs3.score_percent(np.array([row["ogrs3_2y"]]))[0]) == value
        elif isinstance(value, float):
            assert row[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert row[key] == value, key


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_numpy_scorer_agrees_with_case(case: dict[str, Any]) -> None:
    inp = case["input"]
    day = {k: np.array([np.datetime64(str(inp[k]), "D")]) for k in DATE_COLS}
    born = day["date_of_birth"]
    y = ogrs3.linear_predictor(
        ogrs3.whole_years(born, day["assessment_date"]),
        ogrs3.whole_years(born, day["conviction_date"]),
        ogrs3.whole_years(born, day["first_sanction_date"]),
        np.array([inp["sex"] == "female"]),
        np.array([inp["previous_sanctions"]]),
        np.array([OFFENCES.index(inp["offence"])]),
    )
    p1, p2 = ogrs3.probabilities(y)
    if "ogrs3_1y" in case["output"]:
        assert p1[0] == pytest.approx(case["output"]["ogrs3_1y"], rel=1e-12)
        assert p2[0] == pytest.approx(case["output"]["ogrs3_2y"], rel=1e-12)


def test_output_keeps_input_rows_and_adds_risk_columns(con: Any, params: ParameterSet) -> None:
    frame = _frame([CASES[0]["input"], CASES[2]["input"]])
    scored = _score(con, params, frame)
    assert list(scored.columns) == [*frame.columns, *RISK_COLUMNS]
    assert scored["sex"].tolist() == ["male", "female"]


@pytest.mark.parametrize(
    ("rosh", "previous", "expected_tier"),
    [
        ("low", 0, "low"),  # 2-year score 22%
        ("medium", 1, "low"),  # 48.65% rounds to 49
        ("high", 0, "very_high"),  # harm decides, whatever the score
        ("very_high", 0, "very_high"),
        ("low", 3, "medium"),
        ("medium", 40, "high"),
    ],
)
def test_risk_tier_rule(
    rosh: str, previous: int, expected_tier: str, con: Any, params: ParameterSet
) -> None:
    row = dict(CASES[0]["input"], previous_sanctions=previous, rosh=rosh)
    scored = _score(con, params, _frame([row])).iloc[0]
    pct = int(ogrs3.score_percent(np.array([scored["ogrs3_2y"]]))[0])
    if rosh in ("low", "medium"):
        assert (pct >= 75) == (expected_tier == "high")
        assert (50 <= pct < 75) == (expected_tier == "medium")
    assert scored["risk_tier"] == expected_tier


def test_tier_cut_offs_follow_the_parameter(con: Any, params: ParameterSet) -> None:
    stricter = params.with_overrides(
        {"risk.tier_rule": {"2010-04-01": {"very_high_harm_levels": ["very_high"],
                                           "high_from_pct": 75}},
         "risk.medium_high_threshold": {"2009-01-01": 20}}
    )
    row = dict(CASES[0]["input"], rosh="high")
    scored = _score(con, stricter, _frame([row])).iloc[0]
    assert scored["risk_tier"] == "medium"  # 22% >= 20 and high harm no longer very high


MEDIUM_HIGH = yaml.safe_load((Path(__file__).parent / "cases" / "medium_high.yaml").read_text())


@pytest.mark.parametrize(
    "case", MEDIUM_HIGH,
    ids=[f"{c['ogrs3_2y']}-{c['rosh']}-at-{c['threshold']}" for c in MEDIUM_HIGH],
)
def test_one_definition_of_medium_to_high_risk(
    case: dict[str, Any], con: Any, params: ParameterSet
) -> None:
    """Tiers, bands, the plan's flag and the web check's low tiers derive from one parameter."""
    from commissioning.assess.risk import tier_is_medium_high
    from commissioning.plan.baseline import with_segment
    from commissioning.plan.inputs import PlanSettings
    from commissioning.plan.intentions import load_intentions
    from commissioning.secure.checks import CheckRules

    policy = params.with_overrides(
        {"risk.medium_high_threshold": {"2009-01-01": case["threshold"]}}
    )
    rules = RiskRules.from_policy(policy.at(ROUND_DATE))
    frame = pd.DataFrame([{"ogrs3_2y": case["ogrs3_2y"], "rosh": case["rosh"], "region": "x"}])
    classified = classify(ibis.memtable(frame), rules)
    settings = PlanSettings.from_policy(policy.at(ROUND_DATE))
    row = backend.execute(con, with_segment(classified, settings.ogrs_threshold)).iloc[0]
    assert int(ogrs3.score_percent(np.array([case["ogrs3_2y"]]))[0]) == case["percent"]
    assert row["risk_tier"] == case["tier"]
    assert row["ogrs3_band"] == case["band"]
    assert bool(row["ogrs_medium_high"]) is case["medium_high"]
    # harm aside, a tier is medium or above exactly where the plan counts medium to high risk
    if case["rosh"] not in rules.very_high_harm_levels:
        assert (row["risk_tier"] != "low") is case["medium_high"]
    check = CheckRules.from_policy(policy, load_intentions(), ROUND_DATE)
    assert check.threshold == case["threshold"]
    # a proposal line of the tier is a cell of medium to high risk exactly where the plan's is
    # (harm aside: the very high tier is by risk of serious harm)
    if case["rosh"] not in rules.very_high_harm_levels:
        assert tier_is_medium_high(row["risk_tier"]) is case["medium_high"]


def test_threshold_must_lie_below_the_high_tier(params: ParameterSet) -> None:
    broken = params.with_overrides({"risk.medium_high_threshold": {"2009-01-01": 80}})
    with pytest.raises(ValueError, match="medium_high_threshold"):
        RiskRules.from_policy(broken.at(ROUND_DATE))


def test_offence_group_mapping_must_cover_every_category(params: ParameterSet) -> None:
    broken = params.with_overrides(
        {"risk.offence_groups": {"2010-04-01": {"sex": ["sexual_child"], "violence": ["violence"],
                                                "acquisitive": [], "other": []}}}
    )
    with pytest.raises(ValueError, match="not mapped"):
        RiskRules.from_policy(broken.at(ROUND_DATE))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_relational_scorer_matches_numpy_on_random_records(
    seed: int, con: Any, params: ParameterSet
) -> None:
    rng = np.random.default_rng(seed)
    n = 5_000
    born = np.datetime64("1930-01-01") + rng.integers(0, 70 * 365, n).astype("timedelta64[D]")
    first = born + rng.integers(10 * 366, 30 * 365, n).astype("timedelta64[D]")
    convicted = first + rng.integers(0, 30 * 365, n).astype("timedelta64[D]")
    assessed = convicted + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    female = rng.random(n) < 0.2
    previous = rng.integers(0, 80, n)
    offence = rng.integers(0, len(OFFENCES), n)
    frame = pd.DataFrame(
        {
            "offender_id": "x", "setting": "community", "provider_id": "LDN", "rosh": "low",
            "sex": np.where(female, "female", "male"),
            "offence": np.array(OFFENCES)[offence],
            "previous_sanctions": previous,
            "date_of_birth": born, "conviction_date": convicted,
            "first_sanction_date": first, "assessment_date": assessed,
        }
    )
    for col in DATE_COLS:
        frame[col] = pd.to_datetime(frame[col]).dt.date
    scored = _score(con, params, frame)
    y = ogrs3.linear_predictor(
        ogrs3.whole_years(born, assessed),
        ogrs3.whole_years(born, convicted),
        ogrs3.whole_years(born, first),
        female, previous, offence,
    )
    p1, p2 = ogrs3.probabilities(y)
    np.testing.assert_allclose(scored["ogrs3_1y"].to_numpy(), p1, rtol=1e-12)
    np.testing.assert_allclose(scored["ogrs3_2y"].to_numpy(), p2, rtol=1e-12)
    assert (scored["ogrs3_2y"] > scored["ogrs3_1y"]).all()
    pct = ogrs3.score_percent(p2)
    expected_band = np.select(
        [pct >= 90, pct >= 75, pct >= 50], ["very_high", "high", "medium"], "low"
    )
    assert (scored["ogrs3_band"].to_numpy() == expected_band).all()
