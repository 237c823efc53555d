"""Segments and need profiles on a hand-built dataset with a known answer, and invariants."""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commissioning.assess.profiles import compute_profiles
from commissioning.assess.risk import RiskRules, score
from commissioning.engine import backend
from commissioning.policy.parameters import ParameterSet
from commissioning.schema.contract import NEEDS, RISK_TIERS
from policy_support import ROUND_DATE

# A record whose OGRS3 two-year score is 22% (low) and one at 49% (low, rounds to 49),
# one at 95% (high) — see tests/cases/ogrs3.yaml.
LOW = {"previous_sanctions": 0, "date_of_birth": "1990-02-01", "conviction_date": "2010-02-01",
       "first_sanction_date": "2010-02-01", "assessment_date": "2010-06-01", "offence": "violence"}
HIGH = {"previous_sanctions": 50, "date_of_birth": "1983-01-01", "conviction_date": "2010-06-01",
        "first_sanction_date": "1995-06-01", "assessment_date": "2010-07-01",
        "offence": "theft_non_motor"}


def _record(kind: dict[str, Any], **over: Any) -> dict[str, Any]:
    base = {"offender_id": "x", "setting": "community", "provider_id": "P1", "sex": "male",
            "rosh": "low", "region": "north"}
    base.update(kind)
    base.update(over)
    return base


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("date_of_birth", "conviction_date", "first_sanction_date", "assessment_date"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    for need in NEEDS:
        if need.column in frame:
            frame[need.column] = frame[need.column].astype("boolean")
    return frame


def _profiles(con: Any, params: ParameterSet, frame: pd.DataFrame, by: tuple[str, ...] = ()):
    scored = score(ibis.memtable(frame), RiskRules.from_policy(params.at(ROUND_DATE)))
    return compute_profiles(con, scored, by)


@pytest.fixture()
def known(params: ParameterSet, con: Any):
    rows = (
        # violence, community: 6 low (2 female, 6 under 25), 3 high (aged 27), 1 very high (rosh)
        [_record(LOW, sex="female", need_thinking=True, need_alcohol=True)] * 2
        + [_record(LOW, need_thinking=True, need_alcohol=False)] * 4
        + [_record(HIGH, offence="violence", need_thinking=False, need_alcohol=True)] * 3
        + [_record(HIGH, offence="violence", rosh="high", need_thinking=None,
                   need_alcohol=True)]
        # acquisitive, custody: 2 high
        + [_record(HIGH, setting="custody", provider_id="P2", need_thinking=True,
                   need_alcohol=False)] * 2
    )
    return _profiles(con, params, _frame(rows))


def test_risk_profile_counts_and_shares(known: Any) -> None:
    risk = known.risk.set_index(["setting", "offence_group", "risk_tier"])
    violence = risk.loc[("community", "violence")]
    assert violence["offenders"].tolist() == [6, 0, 3, 1]
    assert violence["share_pct"].tolist() == pytest.approx([60.0, 0.0, 30.0, 10.0])
    assert violence.loc["low", "female_pct"] == pytest.approx(100 * 2 / 6)
    assert violence.loc["low", "under_25_pct"] == pytest.approx(100.0)  # aged 20
    assert violence.loc["high", "under_25_pct"] == pytest.approx(0.0)  # aged 27
    assert pd.isna(violence.loc["medium", "female_pct"])  # no one to take a share of
    acquisitive = risk.loc[("custody", "acquisitive")]
    assert acquisitive["offenders"].tolist() == [0, 0, 2, 0]


def test_every_group_lists_the_four_tiers_in_order(known: Any) -> None:
    for _, group in known.risk.groupby(["setting", "offence_group"]):
        assert group["risk_tier"].tolist() == list(RISK_TIERS)


def test_need_prevalence_counts_only_those_assessed(known: Any) -> None:
    need = known.need.set_index(["setting", "offence_group", "need"])
    thinking = need.loc[("community", "violence", "thinking")]
    assert thinking["offenders_with_need"] == 6
    assert thinking["assessed"] == 9  # one record has the section missing
    assert thinking["prevalence_pct"] == pytest.approx(100 * 6 / 9)
    assert need.loc[("community", "violence", "alcohol"), "prevalence_pct"] == pytest.approx(60.0)


def test_needs_are_ranked_by_prevalence_within_a_group(known: Any) -> None:
    group = known.need[(known.need.setting == "community")]
    assert group["need"].tolist()[:2] == ["thinking", "alcohol"]
    assert group["prevalence_pct"].is_monotonic_decreasing


def test_extra_grouping_splits_the_profile(params: ParameterSet, con: Any) -> None:
    rows = [_record(LOW, provider_id="A")] * 3 + [_record(HIGH, provider_id="B",
                                                           offence="violence")] * 2
    prof = _profiles(con, params, _frame(rows), by=("provider_id",))
    a = prof.risk[prof.risk.provider_id == "A"]
    assert a["offenders"].tolist() == [3, 0, 0, 0]
    assert list(prof.risk.columns[:2]) == ["provider_id", "setting"]


def test_unknown_grouping_column_is_a_clear_error(params: ParameterSet, con: Any) -> None:
    with pytest.raises(ValueError, match="--by nonsense: no such column"):
        _profiles(con, params, _frame([_record(LOW)]), by=("nonsense",))


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 400),
    seed=st.integers(0, 2**32 - 1),
    n_providers=st.integers(1, 4),
)
def test_shares_sum_to_100_within_every_group(
    n: int, seed: int, n_providers: int, params: ParameterSet
) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        kind = dict(HIGH if rng.random() < 0.5 else LOW)
        kind["offence"] = str(rng.choice(["violence", "burglary_domestic", "sexual_child",
                                          "drink_driving"]))
        rows.append(_record(kind, setting=str(rng.choice(["community", "custody"])),
                            provider_id=f"P{rng.integers(n_providers)}",
                            rosh=str(rng.choice(["low", "medium", "high"])),
                            sex=str(rng.choice(["male", "female"]))))
    con = backend.connect()
    try:
        prof = _profiles(con, params, _frame(rows), by=("provider_id",))
    finally:
        con.disconnect()
    sums = prof.risk.groupby(["provider_id", "setting", "offence_group"])["share_pct"].sum()
    assert np.allclose(sums.to_numpy(), 100.0)
    assert prof.risk["offenders"].sum() == n
