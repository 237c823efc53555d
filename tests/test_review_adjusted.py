"""Case-mix-adjusted rates: the ratio and difference methods on a hand-built cohort."""

from __future__ import annotations

import pandas as pd
import pytest

from commissioning.review.adjusted import adjusted_rates


def _outcomes() -> pd.DataFrame:
    # provider A: 10 people expected to reoffend at 10%, 8 did (a small, very poor result);
    # provider B: 90 people expected at 50%, 45 did (exactly as expected)
    rows = [{"provider_id": "A", "ogrs3_1y": 0.10, "reoffended": i < 8} for i in range(10)]
    rows += [{"provider_id": "B", "ogrs3_1y": 0.50, "reoffended": i < 45} for i in range(90)]
    return pd.DataFrame(rows)


def test_ratio_method_scales_the_national_rate_by_actual_over_expected() -> None:
    table = adjusted_rates(_outcomes(), method="ratio").table.set_index("provider_id")
    national = 53 / 100
    assert table.loc["B", "adjusted_rate"] == pytest.approx(national * 0.5 / 0.5)
    assert table.loc["A", "adjusted_rate"] == pytest.approx(national * 0.8 / 0.1)


def test_difference_method_adds_actual_minus_expected() -> None:
    table = adjusted_rates(_outcomes(), method="difference").table.set_index("provider_id")
    assert table.loc["A", "adjusted_rate"] == pytest.approx(0.53 + 0.8 - 0.1)


def test_adjusted_intervals_stay_within_0_and_100_percent() -> None:
    for method in ("ratio", "difference"):
        table = adjusted_rates(_outcomes(), method=method).table  # type: ignore[arg-type]
        assert (table["adjusted_lower"] >= 0).all() and (table["adjusted_upper"] <= 1).all()
        assert (table["adjusted_lower"] <= table["adjusted_upper"]).all()
