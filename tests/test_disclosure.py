"""Small-cell suppression: no small count is shown, and none can be recovered by subtraction."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from commissioning.publish.disclosure import (
    suppress_need_profile,
    suppress_risk_profile,
    to_published_csv,
)
from commissioning.schema.contract import RISK_TIERS

THRESHOLD = 5


def _risk_frame(counts: np.ndarray, providers: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    i = 0
    for p in range(providers):
        for group in ("sex", "violence"):
            for tier in RISK_TIERS:
                n = int(counts[i % len(counts)])
                i += 1
                rows.append({"provider_id": f"P{p}", "setting": "community",
                             "offence_group": group, "risk_tier": tier, "offenders": n,
                             "under_25": int(rng.integers(0, n + 1)),
                             "female": int(rng.integers(0, n + 1))})
    frame = pd.DataFrame(rows)
    total = frame.groupby(["provider_id", "setting", "offence_group"])["offenders"].transform("sum")
    frame["share_pct"] = 100 * frame["offenders"] / total.where(total > 0)
    frame["under_25_pct"] = 100 * frame["under_25"] / frame["offenders"].where(frame.offenders > 0)
    frame["female_pct"] = 100 * frame["female"] / frame["offenders"].where(frame.offenders > 0)
    return frame


def _withheld_per_line(out: pd.DataFrame, keys: list[str]) -> pd.Series:
    return out["offenders"].isna().groupby([out[k] for k in keys]).sum()


@settings(max_examples=150, deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=4, max_size=32),
    providers=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_suppression_never_reveals_a_small_cell(
    counts: list[int], providers: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    raw = _risk_frame(np.array(counts), providers, rng)
    by = ["provider_id"] if providers > 1 else []
    out = suppress_risk_profile(raw, by, THRESHOLD)
    shown = out["offenders"].dropna()
    assert not ((shown > 0) & (shown < THRESHOLD)).any()
    # the share of a withheld cell is withheld too
    assert out.loc[out["offenders"].isna(), "share_pct"].isna().all()
    # percentages shown never reveal 1-4 people with or without the attribute
    for pct, count in (("under_25_pct", "under_25"), ("female_pct", "female")):
        visible = out[pct].notna()
        k = raw.loc[visible, count]
        n = raw.loc[visible, "offenders"]
        assert not (((k > 0) & (k < THRESHOLD)) | ((n - k > 0) & (n - k < THRESHOLD))).any()
    # no line of cells that adds up to a known total has exactly one withheld cell
    lines = [[*by, "setting", "offence_group"]]
    if by:
        lines.append(["setting", "offence_group", "risk_tier"])
    for keys in lines:
        assert not (_withheld_per_line(out, keys) == 1).any(), keys
    # nothing that was not small or needed for protection changes
    kept = out["offenders"].notna()
    assert (out.loc[kept, "offenders"] == raw.loc[kept, "offenders"]).all()


def test_large_cells_are_untouched() -> None:
    raw = _risk_frame(np.array([100, 200, 300, 400]), 1, np.random.default_rng(0))
    raw["under_25"] = 50
    raw["female"] = 20
    out = suppress_risk_profile(raw, [], THRESHOLD)
    assert out["offenders"].notna().all()
    assert out["female_pct"].notna().all()


def test_a_lonely_small_cell_takes_the_next_smallest_with_it() -> None:
    raw = _risk_frame(np.array([3, 50, 60, 70]), 1, np.random.default_rng(0))
    out = suppress_risk_profile(raw, [], THRESHOLD)
    sex = out[out.offence_group == "sex"]
    assert sex["offenders"].isna().tolist() == [True, True, False, False]


def test_need_profile_withholds_small_counts_and_complements() -> None:
    need = pd.DataFrame({
        "setting": ["community"] * 3, "offence_group": ["sex"] * 3,
        "need": ["thinking", "drugs", "ete"],
        "offenders_with_need": [3, 98, 50], "assessed": [100, 100, 100],
        "prevalence_pct": [3.0, 98.0, 50.0],
    })
    out = suppress_need_profile(need, [], THRESHOLD)
    assert out["prevalence_pct"].isna().tolist() == [True, True, False]


def test_published_csv_writes_a_star_for_withheld_cells() -> None:
    raw = _risk_frame(np.array([3, 50, 60, 70]), 1, np.random.default_rng(0))
    out = suppress_risk_profile(raw, [], THRESHOLD)
    text = to_published_csv(out, ["offence_group", "risk_tier", "offenders", "share_pct"])
    assert text.splitlines()[1] == "sex,low,*,*"
